import NeuralTestSupport
import Testing
@testable import NeuralCore

/// Forward passes against numpy (Fixtures/neural_reference.safetensors, written by
/// Tests/FixtureScripts/neural_reference.py), and fast paths against the naive references.
struct NumpyReferenceTests {
    @Test("conv2d matches numpy", arguments: 0..<6)
    func convolution(_ index: Int) throws {
        let r = Fixtures.integers("conv.\(index).geometry")
        let g = Conv2DGeometry(batch: r[0], inChannels: r[1], outChannels: r[2], height: r[3], width: r[4],
                               kernel: r[5], stride: r[6], padding: r[7], dilation: r[8], groups: r[9])
        let x = Fixtures.buffer("conv.\(index).input"), w = Fixtures.buffer("conv.\(index).weight")
        let bias = r[10] == 1 ? Fixtures.buffer("conv.\(index).bias") : nil
        let expected = try Fixtures.reference.floats("conv.\(index).output")
        let fast = TestBuffer(count: g.outputCount), naive = TestBuffer(count: g.outputCount), columns = TestBuffer(count: g.columnsCount)
        Conv2D.forward(output: fast.pointer, input: x.pointer, weight: w.pointer, bias: bias?.pointer, geometry: g, columns: columns.pointer)
        Conv2D.referenceForward(output: naive.pointer, input: x.pointer, weight: w.pointer, bias: bias?.pointer, geometry: g)
        #expect(expected.count == g.outputCount)
        #expect(agreement(fast.array, expected) <= 1, "\(g)")
        #expect(agreement(naive.array, expected) <= 1, "\(g)")
    }

    @Test("max and average pooling match numpy", arguments: 0..<3)
    func pooling(_ index: Int) throws {
        let r = Fixtures.integers("pool.\(index).geometry")
        let g = PoolGeometry(batch: r[0], channels: r[1], height: r[2], width: r[3], kernel: r[4], stride: r[5], padding: r[6])
        let x = Fixtures.buffer("pool.\(index).input")
        let y = TestBuffer(count: g.outputCount), naive = TestBuffer(count: g.outputCount)
        MaxPool.forward(output: y.pointer, input: x.pointer, geometry: g)
        MaxPool.referenceForward(output: naive.pointer, input: x.pointer, geometry: g)
        let expectedMax = try Fixtures.reference.floats("pool.\(index).max")
        #expect(y.array == expectedMax)
        #expect(naive.array == expectedMax)
        AvgPool.forward(output: y.pointer, input: x.pointer, geometry: g)
        AvgPool.referenceForward(output: naive.pointer, input: x.pointer, geometry: g)
        let expectedAvg = try Fixtures.reference.floats("pool.\(index).avg")
        #expect(agreement(y.array, expectedAvg) <= 1)
        #expect(agreement(naive.array, expectedAvg) <= 1)
    }

    @Test func batchNormTrainingAndInference() throws {
        let x = Fixtures.buffer("batchnorm.input"), gamma = Fixtures.buffer("batchnorm.gamma"), beta = Fixtures.buffer("batchnorm.beta")
        let g = BatchNormGeometry(batch: 2, channels: 3, spatial: 20)
        let runningMean = Fixtures.buffer("batchnorm.running_mean"), runningVar = Fixtures.buffer("batchnorm.running_var")
        let y = TestBuffer(count: g.count), naive = TestBuffer(count: g.count), mean = TestBuffer(count: 3), invStd = TestBuffer(count: 3)
        BatchNorm.forwardInference(output: y.pointer, input: x.pointer, gamma: gamma.pointer, beta: beta.pointer,
                                   runningMean: runningMean.pointer, runningVar: runningVar.pointer, geometry: g)
        #expect(agreement(y.array, try Fixtures.reference.floats("batchnorm.eval_output")) <= 1)
        BatchNorm.forwardTraining(output: y.pointer, input: x.pointer, gamma: gamma.pointer, beta: beta.pointer,
                                  savedMean: mean.pointer, savedInvStd: invStd.pointer,
                                  runningMean: runningMean.pointer, runningVar: runningVar.pointer, geometry: g)
        BatchNorm.referenceForwardTraining(output: naive.pointer, input: x.pointer, gamma: gamma.pointer, beta: beta.pointer, geometry: g)
        let expected = try Fixtures.reference.floats("batchnorm.train_output")
        #expect(agreement(y.array, expected) <= 1)
        #expect(agreement(naive.array, expected) <= 1)
        #expect(agreement(runningMean.array, try Fixtures.reference.floats("batchnorm.running_mean_after")) <= 1)
        #expect(agreement(runningVar.array, try Fixtures.reference.floats("batchnorm.running_var_after")) <= 1)
    }

    @Test func elementwiseAndPooledLayers() throws {
        let x = Fixtures.buffer("relu.input")
        let y = TestBuffer(count: x.count)
        ReLU.forward(output: y.pointer, input: x.pointer, count: x.count)
        #expect(y.array == (try Fixtures.reference.floats("relu.output")))
        #expect(x.array.map(ReLU.reference) == (try Fixtures.reference.floats("relu.output")))

        let pooled = TestBuffer(count: 6), naive = TestBuffer(count: 6)
        GlobalAvgPool.forward(output: pooled.pointer, input: x.pointer, planes: 6, spatial: 16)
        GlobalAvgPool.referenceForward(output: naive.pointer, input: x.pointer, planes: 6, spatial: 16)
        #expect(agreement(pooled.array, try Fixtures.reference.floats("gap.output")) <= 1)
        #expect(agreement(naive.array, try Fixtures.reference.floats("gap.output")) <= 1)

        let input = Fixtures.buffer("l2norm.input"), norms = TestBuffer(count: 3)
        let normalised = TestBuffer(count: 12), normalisedNaive = TestBuffer(count: 12)
        L2Normalize.forward(output: normalised.pointer, input: input.pointer, norms: norms.pointer, rows: 3, dimension: 4)
        L2Normalize.referenceForward(output: normalisedNaive.pointer, input: input.pointer, rows: 3, dimension: 4)
        #expect(agreement(normalised.array, try Fixtures.reference.floats("l2norm.output")) <= 1)
        #expect(agreement(normalisedNaive.array, try Fixtures.reference.floats("l2norm.output")) <= 1)

        let a = TestBuffer([1, -2, 3]), b = TestBuffer([0.5, 0.5, -4]), sum = TestBuffer(count: 3)
        ResidualAdd.forward(output: sum.pointer, a: a.pointer, b: b.pointer, count: 3)
        #expect(sum.array == zip(a.array, b.array).map(ResidualAdd.reference))
    }

    @Test func linearAndSqueezeExcitation() throws {
        let x = Fixtures.buffer("linear.input"), w = Fixtures.buffer("linear.weight"), b = Fixtures.buffer("linear.bias")
        let g = LinearGeometry(batch: 3, inFeatures: 5, outFeatures: 4)
        let y = TestBuffer(count: 12), naive = TestBuffer(count: 12)
        Linear.forward(output: y.pointer, input: x.pointer, weight: w.pointer, bias: b.pointer, geometry: g)
        Linear.referenceForward(output: naive.pointer, input: x.pointer, weight: w.pointer, bias: b.pointer, geometry: g)
        #expect(agreement(y.array, try Fixtures.reference.floats("linear.output")) <= 1)
        #expect(agreement(naive.array, try Fixtures.reference.floats("linear.output")) <= 1)

        let se = SqueezeExcitationGeometry(batch: 2, channels: 8, reduced: 2, spatial: 9)
        let packed = TestBuffer(try ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"].flatMap { try Fixtures.reference.floats("se.\($0)") })
        let input = Fixtures.buffer("se.input"), saved = TestBuffer(count: se.savedCount)
        let out = TestBuffer(count: se.count), outNaive = TestBuffer(count: se.count)
        SqueezeExcitation.forward(output: out.pointer, input: input.pointer, parameters: packed.pointer, saved: saved.pointer, geometry: se)
        SqueezeExcitation.referenceForward(output: outNaive.pointer, input: input.pointer, parameters: packed.pointer, geometry: se)
        #expect(agreement(out.array, try Fixtures.reference.floats("se.output")) <= 1)
        #expect(agreement(outNaive.array, try Fixtures.reference.floats("se.output")) <= 1)
    }

    @Test func lossesMatchNumpy() throws {
        let logits = Fixtures.buffer("softmax_ce.logits")
        let labels = Fixtures.integers("softmax_ce.labels").map(Int32.init)
        let probabilities = TestBuffer(count: 20)
        let ce = SoftmaxCrossEntropy.forward(logits: logits.pointer, labels: labels, probabilities: probabilities.pointer, batch: 4, classes: 5)
        let ceExpected = try Fixtures.reference.floats("softmax_ce.loss")[0]
        #expect(abs(ce - ceExpected) <= 1e-5 * max(1, abs(ceExpected)))
        #expect(abs(SoftmaxCrossEntropy.referenceLoss(logits: logits.pointer, labels: labels, batch: 4, classes: 5) - Double(ceExpected)) < 1e-5)

        let bceLogits = Fixtures.buffer("bce.logits"), targets = Fixtures.buffer("bce.targets")
        let bce = BCEWithLogits.forward(logits: bceLogits.pointer, targets: targets.pointer, count: 6)
        let bceExpected = try Fixtures.reference.floats("bce.loss")[0]
        #expect(abs(bce - bceExpected) <= 1e-5 * max(1, abs(bceExpected)))
        #expect(abs(BCEWithLogits.referenceLoss(logits: bceLogits.pointer, targets: targets.pointer, count: 6) - Double(bceExpected)) < 1e-5)

        let a = Fixtures.buffer("infonce.a"), b = Fixtures.buffer("infonce.b")
        let temperature = try Fixtures.reference.floats("infonce.temperature")[0]
        for (symmetric, name) in [(true, "infonce.loss_symmetric"), (false, "infonce.loss_one_way")] {
            let g = InfoNCEGeometry(batch: 4, dimension: 3, temperature: temperature, symmetric: symmetric)
            let scratch = TestBuffer(count: g.scratchCount)
            let loss = InfoNCE.forward(a: a.pointer, b: b.pointer, scratch: scratch.pointer, geometry: g)
            let expected = try Fixtures.reference.floats(name)[0]
            #expect(abs(loss - expected) <= 1e-5 * max(1, abs(expected)), "\(name)")
            #expect(abs(InfoNCE.referenceLoss(a: a.pointer, b: b.pointer, geometry: g) - Double(expected)) < 1e-5, "\(name)")
        }
    }

    /// im2col + sgemm against the direct loop on shapes covering every combination of
    /// stride, padding, dilation and groups.
    @Test("conv2d fast path equals naive reference", arguments: [
        (1, 2, 1, 1), (2, 1, 1, 2), (1, 0, 3, 4), (3, 2, 2, 2), (2, 3, 2, 1), (1, 1, 1, 8),
    ])
    func convolutionRandomShapes(_ shape: (stride: Int, padding: Int, dilation: Int, groups: Int)) {
        var random = RandomSource(seed: UInt64(shape.stride * 1000 + shape.padding * 100 + shape.dilation * 10 + shape.groups))
        let g = Conv2DGeometry(batch: 2, inChannels: 8, outChannels: 8, height: 9, width: 7, kernel: 3,
                               stride: shape.stride, padding: shape.padding, dilation: shape.dilation, groups: shape.groups)
        let x = TestBuffer(gaussian: g.inputCount, &random), w = TestBuffer(gaussian: g.weightCount, &random)
        let b = TestBuffer(gaussian: g.outChannels, &random)
        let fast = TestBuffer(count: g.outputCount), naive = TestBuffer(count: g.outputCount), columns = TestBuffer(count: g.columnsCount)
        Conv2D.forward(output: fast.pointer, input: x.pointer, weight: w.pointer, bias: b.pointer, geometry: g, columns: columns.pointer)
        Conv2D.referenceForward(output: naive.pointer, input: x.pointer, weight: w.pointer, bias: b.pointer, geometry: g)
        #expect(agreement(fast.array, naive.array, atol: 1e-4) <= 1, "\(g)")
    }

    @Test func gradientCheckerRejectsAWrongGradient() {
        var random = RandomSource(seed: 3)
        let x = Differentiable(name: "x", value: TestBuffer(gaussian: 6, &random), gradient: TestBuffer(count: 6))
        let (mismatches, checked) = gradientMismatches([x], loss: { x.value.dot(x.value) }) {
            for i in 0..<6 { x.gradient.pointer[i] = 2.2 * x.value.pointer[i] }  // true gradient is 2x
        }
        #expect(checked == 6)
        #expect(mismatches.count >= 5)
    }
}
