import NeuralTestSupport
import Testing
@testable import NeuralCore

/// Every layer's backward against central finite differences of its forward.
enum LayerGradientCase: CustomTestStringConvertible, Sendable {
    case conv(Conv2DGeometry, bias: Bool)
    case batchNorm
    case relu
    case maxPool(PoolGeometry)
    case avgPool(PoolGeometry)
    case globalAvgPool
    case linear
    case squeezeExcitation
    case residualAdd
    case dropout
    case softmaxCrossEntropy
    case bceWithLogits
    case infoNCE(symmetric: Bool)
    case l2Normalize

    var testDescription: String {
        switch self {
        case .conv(let g, let bias): return "\(g)\(bias ? " +bias" : "")"
        case .maxPool(let g): return "maxpool k\(g.kernel) s\(g.stride) p\(g.padding)"
        case .avgPool(let g): return "avgpool k\(g.kernel) s\(g.stride) p\(g.padding)"
        case .infoNCE(let symmetric): return "infoNCE symmetric=\(symmetric)"
        default: return "\(self)"
        }
    }

    static let all: [LayerGradientCase] = [
        .conv(Conv2DGeometry(batch: 2, inChannels: 4, outChannels: 4, height: 5, width: 5, kernel: 3, stride: 2, padding: 1, groups: 2), bias: true),
        .conv(Conv2DGeometry(batch: 1, inChannels: 4, outChannels: 6, height: 6, width: 6, kernel: 3, padding: 2, dilation: 2, groups: 2), bias: false),
        .conv(Conv2DGeometry(batch: 2, inChannels: 3, outChannels: 4, height: 4, width: 4, kernel: 1), bias: true),
        .conv(Conv2DGeometry(batch: 1, inChannels: 2, outChannels: 3, height: 5, width: 6, kernel: 3), bias: false),
        .conv(Conv2DGeometry(batch: 1, inChannels: 4, outChannels: 4, height: 5, width: 5, kernel: 1, stride: 2), bias: false),
        .batchNorm, .relu,
        .maxPool(PoolGeometry(batch: 2, channels: 2, height: 5, width: 5, kernel: 3, stride: 2, padding: 1)),
        .maxPool(PoolGeometry(batch: 1, channels: 2, height: 4, width: 4, kernel: 2, stride: 2)),
        .avgPool(PoolGeometry(batch: 2, channels: 2, height: 5, width: 5, kernel: 3, stride: 2, padding: 1)),
        .globalAvgPool, .linear, .squeezeExcitation, .residualAdd, .dropout,
        .softmaxCrossEntropy, .bceWithLogits, .infoNCE(symmetric: true), .infoNCE(symmetric: false), .l2Normalize,
    ]

    /// Builds the layer on random data and runs the finite-difference check.
    func run() -> (mismatches: [GradientMismatch], checked: Int) {
        var random = RandomSource(seed: 42)
        func tensor(_ name: String, _ value: TestBuffer) -> Differentiable {
            Differentiable(name: name, value: value, gradient: TestBuffer(count: value.count))
        }
        switch self {
        case .conv(let g, let hasBias):
            let x = tensor("input", TestBuffer(gaussian: g.inputCount, &random))
            let w = tensor("weight", TestBuffer(gaussian: g.weightCount, &random, scale: 0.5))
            let b = tensor("bias", TestBuffer(gaussian: g.outChannels, &random))
            let y = TestBuffer(count: g.outputCount), r = TestBuffer(gaussian: g.outputCount, &random)
            let columns = TestBuffer(count: g.columnsCount)
            let forward = {
                Conv2D.forward(output: y.pointer, input: x.value.pointer, weight: w.value.pointer,
                               bias: hasBias ? b.value.pointer : nil, geometry: g, columns: columns.pointer)
            }
            return gradientMismatches(hasBias ? [x, w, b] : [x, w], loss: { forward(); return y.dot(r) }) {
                forward()
                Conv2D.backward(inputGrad: x.gradient.pointer, weightGrad: w.gradient.pointer, biasGrad: hasBias ? b.gradient.pointer : nil,
                                outputGrad: r.pointer, input: x.value.pointer, weight: w.value.pointer, geometry: g, columns: columns.pointer)
            }
        case .batchNorm:
            let g = BatchNormGeometry(batch: 2, channels: 3, spatial: 6)
            let x = tensor("input", TestBuffer(gaussian: g.count, &random, scale: 2))
            let gamma = tensor("gamma", TestBuffer(gaussian: 3, &random)), beta = tensor("beta", TestBuffer(gaussian: 3, &random))
            let y = TestBuffer(count: g.count), r = TestBuffer(gaussian: g.count, &random)
            let mean = TestBuffer(count: 3), invStd = TestBuffer(count: 3), runningMean = TestBuffer(count: 3), runningVar = TestBuffer(count: 3, value: 1)
            let forward = {
                BatchNorm.forwardTraining(output: y.pointer, input: x.value.pointer, gamma: gamma.value.pointer, beta: beta.value.pointer,
                                          savedMean: mean.pointer, savedInvStd: invStd.pointer, runningMean: runningMean.pointer,
                                          runningVar: runningVar.pointer, geometry: g)
            }
            return gradientMismatches([x, gamma, beta], loss: { forward(); return y.dot(r) }) {
                forward()
                BatchNorm.backward(inputGrad: x.gradient.pointer, gammaGrad: gamma.gradient.pointer, betaGrad: beta.gradient.pointer,
                                   outputGrad: r.pointer, input: x.value.pointer, gamma: gamma.value.pointer,
                                   savedMean: mean.pointer, savedInvStd: invStd.pointer, geometry: g)
            }
        case .relu:
            let x = tensor("input", TestBuffer(gaussian: 30, &random, awayFromZero: 0.1))
            let y = TestBuffer(count: 30), r = TestBuffer(gaussian: 30, &random)
            return gradientMismatches([x], loss: { ReLU.forward(output: y.pointer, input: x.value.pointer, count: 30); return y.dot(r) }) {
                ReLU.forward(output: y.pointer, input: x.value.pointer, count: 30)
                ReLU.backward(inputGrad: x.gradient.pointer, outputGrad: r.pointer, output: y.pointer, count: 30)
            }
        case .maxPool(let g), .avgPool(let g):
            let isMax: Bool
            if case .maxPool = self { isMax = true } else { isMax = false }
            let x = tensor("input", TestBuffer(distinct: g.inputCount, &random))
            let y = TestBuffer(count: g.outputCount), r = TestBuffer(gaussian: g.outputCount, &random)
            let forward = {
                if isMax { MaxPool.forward(output: y.pointer, input: x.value.pointer, geometry: g) }
                else { AvgPool.forward(output: y.pointer, input: x.value.pointer, geometry: g) }
            }
            return gradientMismatches([x], loss: { forward(); return y.dot(r) }) {
                if isMax { MaxPool.backward(inputGrad: x.gradient.pointer, outputGrad: r.pointer, input: x.value.pointer, geometry: g) }
                else { AvgPool.backward(inputGrad: x.gradient.pointer, outputGrad: r.pointer, geometry: g) }
            }
        case .globalAvgPool:
            let x = tensor("input", TestBuffer(gaussian: 2 * 3 * 5, &random))
            let y = TestBuffer(count: 6), r = TestBuffer(gaussian: 6, &random)
            return gradientMismatches([x], loss: { GlobalAvgPool.forward(output: y.pointer, input: x.value.pointer, planes: 6, spatial: 5); return y.dot(r) }) {
                GlobalAvgPool.backward(inputGrad: x.gradient.pointer, outputGrad: r.pointer, planes: 6, spatial: 5)
            }
        case .linear:
            let g = LinearGeometry(batch: 3, inFeatures: 5, outFeatures: 4)
            let x = tensor("input", TestBuffer(gaussian: 15, &random)), w = tensor("weight", TestBuffer(gaussian: 20, &random))
            let b = tensor("bias", TestBuffer(gaussian: 4, &random))
            let y = TestBuffer(count: 12), r = TestBuffer(gaussian: 12, &random)
            let forward = { Linear.forward(output: y.pointer, input: x.value.pointer, weight: w.value.pointer, bias: b.value.pointer, geometry: g) }
            return gradientMismatches([x, w, b], loss: { forward(); return y.dot(r) }) {
                Linear.backward(inputGrad: x.gradient.pointer, weightGrad: w.gradient.pointer, biasGrad: b.gradient.pointer,
                                outputGrad: r.pointer, input: x.value.pointer, weight: w.value.pointer, geometry: g)
            }
        case .squeezeExcitation:
            let g = SqueezeExcitationGeometry(batch: 2, channels: 6, reduced: 3, spatial: 4)
            let x = tensor("input", TestBuffer(gaussian: g.count, &random, scale: 2))
            let p = tensor("parameters", TestBuffer(gaussian: g.parameterCount, &random, scale: 0.7))
            let saved = TestBuffer(count: g.savedCount)
            let y = TestBuffer(count: g.count), r = TestBuffer(gaussian: g.count, &random)
            let forward = { SqueezeExcitation.forward(output: y.pointer, input: x.value.pointer, parameters: p.value.pointer, saved: saved.pointer, geometry: g) }
            return gradientMismatches([x, p], samples: 40, loss: { forward(); return y.dot(r) }) {
                forward()
                SqueezeExcitation.backward(inputGrad: x.gradient.pointer, parameterGrads: p.gradient.pointer, outputGrad: r.pointer,
                                           input: x.value.pointer, parameters: p.value.pointer, saved: saved.pointer, geometry: g)
            }
        case .residualAdd:
            let a = tensor("a", TestBuffer(gaussian: 10, &random)), b = tensor("b", TestBuffer(gaussian: 10, &random))
            let y = TestBuffer(count: 10), r = TestBuffer(gaussian: 10, &random)
            return gradientMismatches([a, b], loss: { ResidualAdd.forward(output: y.pointer, a: a.value.pointer, b: b.value.pointer, count: 10); return y.dot(r) }) {
                ResidualAdd.backward(aGrad: a.gradient.pointer, bGrad: b.gradient.pointer, outputGrad: r.pointer, count: 10)
            }
        case .dropout:
            let x = tensor("input", TestBuffer(gaussian: 40, &random))
            let y = TestBuffer(count: 40), mask = TestBuffer(count: 40), r = TestBuffer(gaussian: 40, &random)
            let forward = {
                var stream = RandomSource(seed: 9)  // same mask on every evaluation
                Dropout.forwardTraining(output: y.pointer, input: x.value.pointer, mask: mask.pointer, count: 40, probability: 0.3, random: &stream)
            }
            return gradientMismatches([x], loss: { forward(); return y.dot(r) }) {
                forward()
                Dropout.backward(inputGrad: x.gradient.pointer, outputGrad: r.pointer, mask: mask.pointer, count: 40)
            }
        case .softmaxCrossEntropy:
            let logits = tensor("logits", TestBuffer(gaussian: 12, &random, scale: 2))
            let labels: [Int32] = [2, 0, 3]
            let probabilities = TestBuffer(count: 12)
            let loss = { Double(SoftmaxCrossEntropy.forward(logits: logits.value.pointer, labels: labels, probabilities: probabilities.pointer, batch: 3, classes: 4)) }
            return gradientMismatches([logits], loss: loss) {
                _ = loss()
                SoftmaxCrossEntropy.backward(logitsGrad: logits.gradient.pointer, probabilities: probabilities.pointer, labels: labels, batch: 3, classes: 4)
            }
        case .bceWithLogits:
            let logits = tensor("logits", TestBuffer(gaussian: 8, &random, scale: 3))
            let targets = TestBuffer([1, 0, 1, 1, 0, 0, 0.3, 1])
            return gradientMismatches([logits], loss: { Double(BCEWithLogits.forward(logits: logits.value.pointer, targets: targets.pointer, count: 8)) }) {
                BCEWithLogits.backward(logitsGrad: logits.gradient.pointer, logits: logits.value.pointer, targets: targets.pointer, count: 8)
            }
        case .infoNCE(let symmetric):
            let g = InfoNCEGeometry(batch: 4, dimension: 5, temperature: 0.5, symmetric: symmetric)
            let a = tensor("a", TestBuffer(gaussian: 20, &random, scale: 0.5)), b = tensor("b", TestBuffer(gaussian: 20, &random, scale: 0.5))
            let scratch = TestBuffer(count: g.scratchCount)
            let loss = { Double(InfoNCE.forward(a: a.value.pointer, b: b.value.pointer, scratch: scratch.pointer, geometry: g)) }
            return gradientMismatches([a, b], loss: loss) {
                _ = loss()
                InfoNCE.backward(aGrad: a.gradient.pointer, bGrad: b.gradient.pointer, a: a.value.pointer, b: b.value.pointer, scratch: scratch.pointer, geometry: g)
            }
        case .l2Normalize:
            let x = tensor("input", TestBuffer(gaussian: 12, &random))
            let y = TestBuffer(count: 12), norms = TestBuffer(count: 3), r = TestBuffer(gaussian: 12, &random)
            let forward = { L2Normalize.forward(output: y.pointer, input: x.value.pointer, norms: norms.pointer, rows: 3, dimension: 4) }
            return gradientMismatches([x], loss: { forward(); return y.dot(r) }) {
                forward()
                L2Normalize.backward(inputGrad: x.gradient.pointer, outputGrad: r.pointer, output: y.pointer, norms: norms.pointer, rows: 3, dimension: 4)
            }
        }
    }
}

@Test("finite-difference gradient", arguments: LayerGradientCase.all)
func layerGradient(_ layer: LayerGradientCase) {
    let (mismatches, checked) = layer.run()
    #expect(checked > 0)
    #expect(mismatches.isEmpty, "\(mismatches.count) of \(checked) elements disagree: \(mismatches.prefix(5))")
}
