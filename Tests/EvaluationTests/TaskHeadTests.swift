import Foundation
import NeuralCore
import Testing
@testable import Evaluation

/// The saliency head is a new float layer: its analytic gradients (into the encoder's spatial
/// map and into its own weights) are checked against central finite differences of its loss.
@Suite struct SaliencyHeadGradientTests {
    @Test func gradientsMatchFiniteDifferences() {
        let encoder = ResNeXt(.tiny, seed: 3)
        let a = encoder.makeActivations(batch: 2, height: 16, width: 16, training: true)
        var random = RandomSource(seed: 11)
        random.fillGaussian(a.input.data, count: a.input.count, std: 1)
        encoder.forward(a, training: true)
        let shape = a.spatialMap.shape  // [2, 32, 8, 8]
        let channels = shape[1], cells = shape[2] * shape[3]
        // Error measure: |numeric - analytic| / (1e-3 + |numeric|) (float32 loss differences).
        // Two gaze densities (sum 1) with zeros, as real ones have outside the blur.
        let targets: [[Double]] = (0..<2).map { n in
            var t = (0..<cells).map { Double(($0 * 7 + n * 13) % 11) }
            t[5] = 0
            let sum = t.reduce(0, +)
            return t.map { $0 / sum }
        }
        let head = SaliencyHead(channels: channels, cells: cells, batch: 2, targets: targets, seed: 5)
        func loss() -> Double {
            head.store.zeroGradients()
            let g = a.spatialMapGrad.data
            g.update(repeating: 0, count: a.spatialMap.count)
            return Double(head.trainStep(a, samples: [0, 1]))
        }
        _ = loss()
        let inputGrad = Array(UnsafeBufferPointer(start: a.spatialMapGrad.data, count: a.spatialMap.count))
        let weightGrad = Array(UnsafeBufferPointer(start: head.store.gradients, count: channels))
        let h: Float = 1e-2
        var worst = 0.0
        for i in stride(from: 0, to: a.spatialMap.count, by: 97) {
            let x = a.spatialMap.data
            let saved = x[i]
            x[i] = saved + h; let up = loss()
            x[i] = saved - h; let down = loss()
            x[i] = saved
            let numeric = (up - down) / Double(2 * h)
            worst = max(worst, abs(numeric - Double(inputGrad[i])) / (1e-3 + abs(numeric)))
        }
        for c in stride(from: 0, to: channels, by: 3) {
            let w = head.store.parameters
            let saved = w[c]
            w[c] = saved + h; let up = loss()
            w[c] = saved - h; let down = loss()
            w[c] = saved
            let numeric = (up - down) / Double(2 * h)
            worst = max(worst, abs(numeric - Double(weightGrad[c])) / (1e-3 + abs(numeric)))
        }
        #expect(worst < 2e-2, "worst relative gradient error \(worst)")
    }

    @Test func predictionIsADistribution() {
        let encoder = ResNeXt(.tiny, seed: 1)
        let a = encoder.makeActivations(batch: 1, height: 16, width: 16, training: false)
        var random = RandomSource(seed: 2)
        random.fillGaussian(a.input.data, count: a.input.count, std: 1)
        encoder.forward(a, training: false)
        let cells = a.spatialMap.shape[2] * a.spatialMap.shape[3]
        let head = SaliencyHead(channels: a.spatialMap.shape[1], cells: cells, batch: 1, targets: [], seed: 0)
        let p = head.predictMap(a, slot: 0)
        #expect(p.count == cells && p.allSatisfy { $0 > 0 } && abs(p.reduce(0, +) - 1) < 1e-5)
    }
}
