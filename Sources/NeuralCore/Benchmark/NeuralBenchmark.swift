import COpenBLAS
import Platform

/// Throughput figures for `showtell bench neural`. Not a test: numbers depend on the machine
/// and the build (run it from a release build).
public enum NeuralBenchmark {
    public struct Options: Sendable {
        /// OpenBLAS threads for the training measurement (the paper-config inference uses 1).
        public var threads: Int = 2
        public var trainingBatch: Int = 16
        public var trainingIterations: Int = 3
        public var inferenceRuns: Int = 3
        public var imageSize: Int = 224
        public init() {}
    }

    public static func run(_ options: Options = Options()) -> String {
        var lines = ["neural benchmark (float32, OpenBLAS sgemm, \(options.imageSize)x\(options.imageSize) grayscale)"]
        lines.append(contentsOf: complexityReport())

        let core = String(cString: openblas_get_corename())
        lines.append("OpenBLAS core: \(core)" + (["Prescott", "Core2", "Nehalem", "Atom"].contains(core)
            ? " (generic SSE kernels: the library did not recognise this CPU; set OPENBLAS_CORETYPE, e.g. SkylakeX or Haswell)" : ""))
        openblas_set_num_threads(Int32(options.threads))
        let sgemm = sgemmGFLOPS()
        lines.append("sgemm \(options.threads) thread(s): \(fixed(sgemm.square)) GFLOP/s (1024x1024x1024), \(fixed(sgemm.convLike)) GFLOP/s (256x3136x1152)")

        let edge = ResNeXt(.edge, seed: 1)
        edge.threads = options.threads
        let a = edge.makeActivations(batch: options.trainingBatch, height: options.imageSize, width: options.imageSize)
        var random = RandomSource(seed: 2)
        random.fillGaussian(a.input.data, count: a.input.count, std: 1)
        for (kind, t) in convolutionTimings(edge, a, backward: true) {
            lines.append("  edge conv \(kind), \(options.threads) thread(s), batch \(options.trainingBatch): \(fixed(t.macs / 1e9, 2)) GMAC, "
                + "forward \(fixed(t.forwardGFLOPS)) GFLOP/s (\(fixed(100 * t.forwardGFLOPS / sgemm.convLike, 0))% of sgemm), "
                + "backward \(fixed(t.backwardGFLOPS)) GFLOP/s (\(fixed(100 * t.backwardGFLOPS / sgemm.convLike, 0))%)")
        }
        let sgd = SGD(store: edge.store)
        sgd.threads = options.threads
        func trainingStep() {
            edge.store.zeroGradients()
            edge.forward(a, training: true)
            for i in 0..<a.pooled.count { a.pooledGrad.data[i] = a.pooled.data[i] * 1e-3 }
            edge.backward(a)
            sgd.step(learningRate: 1e-3)
        }
        trainingStep()  // warm-up: page in the arenas
        let start = MonotonicClock.seconds()
        for _ in 0..<options.trainingIterations { trainingStep() }
        let seconds = MonotonicClock.seconds() - start
        let imagesPerSecond = Double(options.trainingBatch * options.trainingIterations) / seconds
        lines.append("edge training (forward+backward+SGD), \(options.threads) thread(s), batch \(options.trainingBatch): "
            + "\(fixed(imagesPerSecond)) images/s (\(fixed(1000 * seconds / Double(options.trainingIterations), 0)) ms/step)")

        openblas_set_num_threads(1)
        let sgemmSingle = sgemmGFLOPS()
        lines.append("sgemm 1 thread: \(fixed(sgemmSingle.square)) GFLOP/s (1024x1024x1024), \(fixed(sgemmSingle.convLike)) GFLOP/s (256x3136x1152)")
        let paper = ResNeXt(.paper, seed: 1)
        let p = paper.makeActivations(batch: 1, height: options.imageSize, width: options.imageSize, training: false)
        random.fillGaussian(p.input.data, count: p.input.count, std: 1)
        paper.forward(p, training: false)
        var times = [Double]()
        for _ in 0..<options.inferenceRuns {
            let t0 = MonotonicClock.seconds()
            paper.forward(p, training: false)
            times.append(MonotonicClock.seconds() - t0)
        }
        let macs = ResNeXtConfiguration.paper.complexity(height: options.imageSize, width: options.imageSize).multiplyAdds
        let best = times.min()!
        lines.append("paper forward (inference), 1 thread, batch 1: \(fixed(1000 * best)) ms best of \(options.inferenceRuns)"
            + " (median \(fixed(1000 * times.sorted()[times.count / 2])) ms), \(fixed(2 * Double(macs) / best / 1e9)) GFLOP/s")
        // The same network at output stride 32 (no dilation) has the MACs of the usual
        // ResNeXt-50 that onnxruntime figures refer to.
        var undilated = ResNeXtConfiguration.paper
        undilated.strides[3] = 2
        undilated.dilations[3] = 1
        let plain = ResNeXt(undilated, seed: 1)
        let q = plain.makeActivations(batch: 1, height: options.imageSize, width: options.imageSize, training: false)
        random.fillGaussian(q.input.data, count: q.input.count, std: 1)
        plain.forward(q, training: false)
        var plainBest = Double.infinity
        for _ in 0..<options.inferenceRuns {
            let t0 = MonotonicClock.seconds()
            plain.forward(q, training: false)
            plainBest = min(plainBest, MonotonicClock.seconds() - t0)
        }
        let plainMACs = undilated.complexity(height: options.imageSize, width: options.imageSize).multiplyAdds
        lines.append("paper at output stride 32 (no dilation, \(fixed(Double(plainMACs) / 1e9, 2)) GMAC), 1 thread: \(fixed(1000 * plainBest)) ms best of \(options.inferenceRuns)")
        for (kind, t) in convolutionTimings(paper, p, backward: false) {
            lines.append("  paper conv \(kind), 1 thread, batch 1: \(fixed(t.macs / 1e9, 2)) GMAC, "
                + "forward \(fixed(t.forwardGFLOPS)) GFLOP/s (\(fixed(100 * t.forwardGFLOPS / sgemmSingle.convLike, 0))% of sgemm)")
        }
        openblas_set_num_threads(Int32(options.threads))
        return lines.joined(separator: "\n")
    }

    /// Milliseconds of each timed forward pass of the paper configuration, batch 1, one
    /// OpenBLAS thread (after one warm-up pass). `outputStride32` builds it
    /// without the dilated last stage: the usual ResNeXt-50 shape, for comparing with other
    /// runtimes (Tests/Benchmarks/paper_vs_onnxruntime.sh).
    public static func paperInference(runs: Int, imageSize: Int = 224, outputStride32: Bool = false) -> [Double] {
        var configuration = ResNeXtConfiguration.paper
        if outputStride32 {
            configuration.strides[3] = 2
            configuration.dilations[3] = 1
        }
        openblas_set_num_threads(1)
        let network = ResNeXt(configuration, seed: 1)
        let a = network.makeActivations(batch: 1, height: imageSize, width: imageSize, training: false)
        var random = RandomSource(seed: 2)
        random.fillGaussian(a.input.data, count: a.input.count, std: 1)
        network.forward(a, training: false)
        return (0..<runs).map { _ in
            let t0 = MonotonicClock.seconds()
            network.forward(a, training: false)
            return 1000 * (MonotonicClock.seconds() - t0)
        }
    }

    /// Parameters and multiply-adds of each configuration at 224 and 256 pixels.
    public static func complexityReport() -> [String] {
        var lines = [String]()
        for configuration in [ResNeXtConfiguration.tiny, .edge, .paper] {
            for size in [224, 256] {
                let c = configuration.complexity(height: size, width: size)
                lines.append("\(configuration.name) \(size)x\(size): \(fixed(Double(c.parameters) / 1e6, 3)) M parameters, "
                    + "\(fixed(Double(c.multiplyAdds) / 1e9, 3)) G multiply-adds")
            }
        }
        return lines
    }

    /// Raw sgemm throughput: a square product and a conv-shaped one (Co x HoWo x Ci*9).
    static func sgemmGFLOPS() -> (square: Double, convLike: Double) {
        func measure(_ m: Int, _ n: Int, _ k: Int) -> Double {
            let a = Arena(count: m * k), b = Arena(count: k * n), c = Arena(count: m * n)
            var random = RandomSource(seed: 1)
            random.fillUniform(a.base, count: m * k, low: -1, high: 1)
            random.fillUniform(b.base, count: k * n, low: -1, high: 1)
            func run() {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                            a.base, Int32(k), b.base, Int32(n), 0, c.base, Int32(n))
            }
            run()
            var best = Double.infinity
            for _ in 0..<5 {
                let t0 = MonotonicClock.seconds()
                run()
                best = min(best, MonotonicClock.seconds() - t0)
            }
            return 2 * Double(m * n * k) / best / 1e9
        }
        return (measure(1024, 1024, 1024), measure(256, 3136, 1152))
    }

    /// Conv2D alone over every convolution of a training forward/backward, grouped by kind.
    struct ConvolutionTiming {
        var macs = 0.0, forwardSeconds = 0.0, backwardSeconds = 0.0
        var forwardGFLOPS: Double { 2 * macs / forwardSeconds / 1e9 }
        /// Backward does two products (input and weight gradients) of the forward's size.
        var backwardGFLOPS: Double { 4 * macs / backwardSeconds / 1e9 }
    }

    static func convolutionTimings(_ model: ResNeXt, _ a: ResNeXtActivations, backward: Bool) -> [(kind: String, timing: ConvolutionTiming)] {
        model.forward(a, training: backward)  // fills every layer's input
        var plans = [a.plan.stem]
        for block in a.plan.blocks { plans += [block.conv1, block.conv2, block.conv3] + (block.shortcut.map { [$0] } ?? []) }
        var kinds = [String](), timings = [String: ConvolutionTiming]()
        let p = model.store.parameters, g = model.store.gradients
        for u in plans {
            let c = u.conv
            let kind = u.input == a.plan.input ? "stem \(c.kernel)x\(c.kernel)"
                : c.groups > 1 ? "3x3 grouped (\(c.inChannels / c.groups) ch/group)"
                : c.isPointwise ? "1x1" : "1x1 stride \(c.stride)"
            if timings[kind] == nil { kinds.append(kind) }
            var timing = timings[kind] ?? ConvolutionTiming()
            timing.macs += Double(c.multiplyAdds)
            var t0 = MonotonicClock.seconds()
            Conv2D.forward(output: a.value(u.convOut), input: a.value(u.input), weight: p + u.unit.weight, bias: nil, geometry: c, columns: a.columns, threads: model.threads)
            timing.forwardSeconds += MonotonicClock.seconds() - t0
            if backward {
                t0 = MonotonicClock.seconds()
                Conv2D.backward(inputGrad: u.input == a.plan.input ? nil : a.gradient(u.input), weightGrad: g + u.unit.weight, biasGrad: nil,
                                outputGrad: a.gradient(u.convOut), input: a.value(u.input), weight: p + u.unit.weight, geometry: c, columns: a.columns, threads: model.threads)
                timing.backwardSeconds += MonotonicClock.seconds() - t0
            }
            timings[kind] = timing
        }
        var total = ConvolutionTiming()
        for t in timings.values {
            total.macs += t.macs
            total.forwardSeconds += t.forwardSeconds
            total.backwardSeconds += t.backwardSeconds
        }
        return kinds.map { ($0, timings[$0]!) } + [("all convolutions", total)]
    }

    /// Fixed-point text without Foundation's String(format:).
    static func fixed(_ value: Double, _ digits: Int = 1) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale), fraction = scaled % Int(scale)
        var text = (value < 0 && scaled != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let digitsText = String(fraction)
            text += "." + String(repeating: "0", count: digits - digitsText.count) + digitsText
        }
        return text
    }
}
