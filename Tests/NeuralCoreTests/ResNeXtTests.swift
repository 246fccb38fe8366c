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
    /// edge-local (edge without that stage); planned without allocating the arenas.
    @Test("output stride 16", arguments: [(ResNeXtConfiguration.edge, 224, 14), (.edge, 256, 16), (.paper, 224, 14), (.paper, 256, 16),
                                          (.edgeLocal, 224, 14), (.edgeLocal, 256, 16)])
    func outputStride(_ item: (configuration: ResNeXtConfiguration, size: Int, map: Int)) {
        let plan = ResNeXtPlan(ResNeXtArchitecture(item.configuration), batch: 1, height: item.size, width: item.size)
        #expect(plan.outHeight == item.map && plan.outWidth == item.map)
        #expect(plan.channels == item.configuration.outputChannels)
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
