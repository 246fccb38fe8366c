import NeuralTestSupport
import Testing
@testable import NeuralCore

struct ResNeXtTests {
    @Test func tinyShapesAndOutputs() {
        let model = ResNeXt(.tiny, seed: 1)
        let a = model.makeActivations(batch: 2, height: 16, width: 16)
        #expect(a.input.shape == [2, 1, 16, 16])
        #expect(a.spatialMap.shape == [2, 32, 8, 8])
        #expect(a.pooled.shape == [2, 32])
        var random = RandomSource(seed: 5)
        random.fillGaussian(a.input.data, count: a.input.count, std: 1)
        model.forward(a, training: false)
        let spatial = a.spatialMap.toArray(), pooled = a.pooled.toArray()
        #expect(spatial.allSatisfy { $0.isFinite && $0 >= 0 })  // block output ends in ReLU
        let mean = (0..<64).map { Double(spatial[$0]) }.reduce(0, +) / 64
        #expect(abs(mean - Double(pooled[0])) < 1e-5)

        // Inference-only activations (no gradient half) give the same outputs in less memory.
        let inference = model.makeActivations(batch: 2, height: 16, width: 16, training: false)
        inference.input.data.update(from: a.input.data, count: a.input.count)
        model.forward(inference, training: false)
        #expect(inference.spatialMap.toArray() == spatial)
        #expect(inference.floatCount < a.floatCount * 2 / 3)
    }

    /// Output stride 16 (dilated last stage) for the edge and paper backbones, and for
    /// edge-local (edge without that stage); 8 for edge-local-os8; planned without allocating the arenas.
    @Test("output stride 16", arguments: [(ResNeXtConfiguration.edge, 224, 14), (.edge, 256, 16), (.paper, 224, 14), (.paper, 256, 16),
                                          (.edgeLocal, 224, 14), (.edgeLocal, 256, 16), (.edgeLocalStride8, 224, 28)])
    func outputStride(_ item: (configuration: ResNeXtConfiguration, size: Int, map: Int)) {
        let plan = ResNeXtPlan(ResNeXtArchitecture(item.configuration), batch: 1, height: item.size, width: item.size)
        #expect(plan.outHeight == item.map && plan.outWidth == item.map)
        #expect(plan.channels == item.configuration.outputChannels)
    }

    /// DeepLab's conversion: a stage's stride 2 turned into stride 1, entry dilation 1 and
    /// dilation 2 after it, runs the same weights on a grid twice as fine, and its even cells are
    /// the coarse network's cells exactly, except where squeeze-and-excitation pools the whole
    /// map (zeroed here, so both scale by sigmoid(0)). This is what `edge-local-os8` does to
    /// `edge-local`'s third stage.
    @Test func denseConversionKeepsTheCoarseCells() {
        func configuration(_ name: String, strides: [Int], dilations: [Int], entry: [Int]? = nil) -> ResNeXtConfiguration {
            ResNeXtConfiguration(
                name: name, stemWidth: 8, stemKernel: 3, stemStride: 1, stemPool: false, blocks: [1, 2], outWidths: [16, 32],
                groupedWidths: [8, 16], cardinality: 4, strides: strides, dilations: dilations, entryDilations: entry, seReduction: 4)
        }
        let coarseShape = configuration("coarse", strides: [2, 2], dilations: [1, 1])
        let fineShape = configuration("fine", strides: [2, 1], dilations: [1, 2], entry: [1, 1])
        #expect(coarseShape.sharesWeights(with: fineShape) && !coarseShape.sharesWeights(with: .tiny))
        #expect(ResNeXtConfiguration.edgeLocal.sharesWeights(with: .edgeLocalStride8))
        let coarse = ResNeXt(coarseShape, seed: 3), fine = ResNeXt(fineShape, seed: 3)
        #expect(coarse.store.entries.map(\.name) == fine.store.entries.map(\.name))
        for model in [coarse, fine] {
            for entry in model.store.entries where entry.name.contains("se.fc2") { model.store.pointer(entry).update(repeating: 0, count: entry.count) }
        }
        let c = coarse.makeActivations(batch: 1, height: 16, width: 16, training: false)
        let f = fine.makeActivations(batch: 1, height: 16, width: 16, training: false)
        #expect(c.spatialMap.shape == [1, 32, 4, 4] && f.spatialMap.shape == [1, 32, 8, 8])
        var random = RandomSource(seed: 4)
        random.fillGaussian(c.input.data, count: c.input.count, std: 1)
        f.input.data.update(from: c.input.data, count: c.input.count)
        coarse.forward(c, training: false)
        fine.forward(f, training: false)
        let coarseMap = c.spatialMap.toArray(), fineMap = f.spatialMap.toArray()
        var worst: Float = 0, largest: Float = 0, oddDiffers = 0
        for channel in 0..<32 {
            for y in 0..<4 {
                for x in 0..<4 {
                    let a = coarseMap[(channel * 4 + y) * 4 + x], b = fineMap[(channel * 8 + 2 * y) * 8 + 2 * x]
                    worst = max(worst, abs(a - b))
                    largest = max(largest, abs(a))
                    if fineMap[(channel * 8 + 2 * y + 1) * 8 + 2 * x + 1] != b { oddDiffers += 1 }
                }
            }
        }
        #expect(largest > 0.1 && worst <= 1e-5 * largest, "worst \(worst) of \(largest)")
        #expect(oddDiffers > 256)  // the cells between are new, not copies
        // With squeeze-and-excitation left on, the fine map pools more cells: close, not equal.
        let withSE = ResNeXt(fineShape, seed: 3)
        let s = withSE.makeActivations(batch: 1, height: 16, width: 16, training: false)
        s.input.data.update(from: c.input.data, count: c.input.count)
        withSE.forward(s, training: false)
        #expect(s.spatialMap.toArray() != fineMap)
    }

    /// Paper: ResNeXt-50 32x4d has ~23.0 M parameters without its classifier; SE adds ~2.5 M;
    /// 1-channel input removes 2 x 64 x 49 weights.
    @Test func complexityOfConfigurations() {
        let paper = ResNeXtConfiguration.paper.complexity(height: 224, width: 224)
        #expect(paper.parameters > 25_000_000 && paper.parameters < 26_000_000, "\(paper.parameters)")
        // Output stride 16 costs more than the 4.2 GMAC of the stride-32 network.
        #expect(paper.multiplyAdds > 4_000_000_000 && paper.multiplyAdds < 7_000_000_000, "\(paper.multiplyAdds)")
        let edge = ResNeXtConfiguration.edge.complexity(height: 224, width: 224)
        #expect(edge.parameters < paper.parameters / 20 && edge.multiplyAdds < paper.multiplyAdds / 10)
        let tiny = ResNeXtConfiguration.tiny.complexity(height: 16, width: 16)
        #expect(tiny.parameters == ResNeXt(.tiny).parameterCount)
    }

    /// Finite differences through the whole tiny backbone (BN in training mode). A ReLU or
    /// max-pool kink crossed by the perturbation can spoil an element, so a few percent may
    /// disagree; a wrong backward disagrees almost everywhere.
    @Test func wholeBackboneGradient() {
        let model = ResNeXt(.tiny, seed: 11)
        let a = model.makeActivations(batch: 2, height: 8, width: 8)
        var random = RandomSource(seed: 12)
        random.fillGaussian(a.input.data, count: a.input.count, std: 1)
        let spatialWeights = TestBuffer(gaussian: a.spatialMap.count, &random)
        let pooledWeights = TestBuffer(gaussian: a.pooled.count, &random)
        let loss = { () -> Double in
            model.forward(a, training: true)
            var total = 0.0
            for i in 0..<a.spatialMap.count { total += Double(a.spatialMap.data[i]) * Double(spatialWeights.pointer[i]) }
            for i in 0..<a.pooled.count { total += Double(a.pooled.data[i]) * Double(pooledWeights.pointer[i]) }
            return total
        }
        var mismatches = 0, checked = 0
        let epsilon: Float = 3e-4  // larger steps cross ReLU kinks; smaller ones drown in float32 noise
        var failures = [String]()
        model.store.zeroGradients()
        _ = loss()
        a.spatialMapGrad.data.update(from: spatialWeights.pointer, count: spatialWeights.count)
        a.pooledGrad.data.update(from: pooledWeights.pointer, count: pooledWeights.count)
        model.backward(a)
        for entry in model.store.entries where !entry.isBuffer {
            let value = model.store.pointer(entry), gradient = model.store.gradients + entry.offset
            for sample in 0..<min(3, entry.count) {
                let index = (sample * 7919) % entry.count
                let saved = value[index]
                value[index] = saved + epsilon
                let plus = loss()
                value[index] = saved - epsilon
                let minus = loss()
                value[index] = saved
                let numeric = (plus - minus) / (2 * Double(epsilon)), analytic = Double(gradient[index])
                checked += 1
                if abs(numeric - analytic) > 5e-3 + 5e-2 * max(abs(numeric), abs(analytic)) {
                    mismatches += 1
                    failures.append("\(entry.name)[\(index)]: \(numeric) vs \(analytic)")
                }
            }
        }
        #expect(checked > 100)
        #expect(mismatches * 20 <= checked, "\(mismatches)/\(checked): \(failures.prefix(8))")
    }

    /// Splitting the non-GEMM work over threads changes no bit of a training step.
    @Test func threadedPassesMatchSingleThreaded() {
        func trainingStep(threads: Int) -> (spatial: [Float], gradients: [Float]) {
            let model = ResNeXt(.tiny, seed: 8)
            model.threads = threads
            let a = model.makeActivations(batch: 3, height: 16, width: 16)
            var random = RandomSource(seed: 9)
            random.fillGaussian(a.input.data, count: a.input.count, std: 1)
            model.store.zeroGradients()
            model.forward(a, training: true)
            random.fillGaussian(a.spatialMapGrad.data, count: a.spatialMapGrad.count, std: 1)
            model.backward(a)
            return (a.spatialMap.toArray(), Array(UnsafeBufferPointer(start: model.store.gradients, count: model.store.parameterCount)))
        }
        let single = trainingStep(threads: 1), threaded = trainingStep(threads: 2)
        #expect(single.spatial == threaded.spatial)
        #expect(single.gradients == threaded.gradients)
    }

    /// Tiny backbone + linear head memorises 8 random images with 4 labels.
    @Test func tinyBackboneOverfitsSmallBatch() {
        let model = ResNeXt(.tiny, seed: 3)
        let batch = 8, classes = 4
        let a = model.makeActivations(batch: batch, height: 16, width: 16)
        var random = RandomSource(seed: 4)
        random.fillGaussian(a.input.data, count: a.input.count, std: 1)
        let labels: [Int32] = (0..<batch).map { Int32($0 % classes) }

        var headLayout = ParameterLayout()
        let weight = headLayout.parameter("head.weight", [classes, 32]), bias = headLayout.parameter("head.bias", [classes])
        let head = ParameterStore(headLayout)
        random.fillUniform(head.parameters + weight, count: classes * 32, low: -0.17, high: 0.17)
        let geometry = LinearGeometry(batch: batch, inFeatures: 32, outFeatures: classes)
        let logits = TestBuffer(count: batch * classes), logitsGrad = TestBuffer(count: batch * classes)
        let probabilities = TestBuffer(count: batch * classes)
        let backboneSGD = SGD(store: model.store, momentum: 0.9, weightDecay: 0)
        let headSGD = SGD(store: head, momentum: 0.9, weightDecay: 0)

        var losses = [Float]()
        for _ in 0..<100 {
            model.store.zeroGradients()
            head.zeroGradients()
            model.forward(a, training: true)
            Linear.forward(output: logits.pointer, input: a.pooled.data, weight: head.parameters + weight, bias: head.parameters + bias, geometry: geometry)
            losses.append(SoftmaxCrossEntropy.forward(logits: logits.pointer, labels: labels, probabilities: probabilities.pointer, batch: batch, classes: classes))
            logitsGrad.zero()
            SoftmaxCrossEntropy.backward(logitsGrad: logitsGrad.pointer, probabilities: probabilities.pointer, labels: labels, batch: batch, classes: classes)
            Linear.backward(inputGrad: a.pooledGrad.data, weightGrad: head.gradients + weight, biasGrad: head.gradients + bias,
                            outputGrad: logitsGrad.pointer, input: a.pooled.data, weight: head.parameters + weight, geometry: geometry)
            model.backward(a)
            GradientClipping.clip(model.store, maxNorm: 5)
            backboneSGD.step(learningRate: 0.1)
            headSGD.step(learningRate: 0.1)
        }
        #expect(losses[0] > 1)
        #expect(losses.last! < 0.01, "loss went \(losses.first!) -> \(losses.last!)")
    }
}
