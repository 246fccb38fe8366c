import Foundation
import NeuralCore

/// Gaze saliency head: a 1×1 convolution of the encoder's spatial map [N, C, h, w] to one
/// logit per cell, softmax over the cells -> predicted fixation distribution p; loss
/// KL(g ‖ p) = Σ g·ln(g/p) against the gaze density g (sum 1), whose gradient with respect
/// to the logits is p - g (per image; the batch mean divides by N).
public final class SaliencyHead: TaskHead {
    public let store: ParameterStore
    public let channels: Int
    public let cells: Int
    let targets: [[Double]]
    let probabilities: UnsafeMutablePointer<Float>  // [N][cells]

    public init(channels: Int, cells: Int, batch: Int, targets: [[Double]], seed: UInt64) {
        var layout = ParameterLayout()
        _ = layout.parameter("saliency.weight", [channels])
        store = ParameterStore(layout)
        self.channels = channels
        self.cells = cells
        self.targets = targets
        var random = RandomSource(seed: seed ^ 0x5A11_E9C7)
        let bound = 1 / Float(channels).squareRoot()
        random.fillUniform(store.parameters, count: channels, low: -bound, high: bound)
        probabilities = .allocate(capacity: batch * cells)
    }

    deinit { probabilities.deallocate() }

    /// p for image `slot` of the batch, into `out` [cells].
    func predict(_ spatial: UnsafePointer<Float>, slot: Int, into out: UnsafeMutablePointer<Float>) {
        let w = store.parameters, x = spatial + slot * channels * cells
        for cell in 0..<cells { out[cell] = 0 }
        for c in 0..<channels {
            let wc = w[c], plane = x + c * cells
            for cell in 0..<cells { out[cell] += wc * plane[cell] }
        }
        var peak = -Float.infinity
        for cell in 0..<cells { peak = max(peak, out[cell]) }
        var sum: Float = 0
        for cell in 0..<cells { out[cell] = expf(out[cell] - peak); sum += out[cell] }
        for cell in 0..<cells { out[cell] /= sum }
    }

    public func trainStep(_ a: ResNeXtActivations, samples: [Int]) -> Float {
        let n = samples.count
        let spatial = a.spatialMap.data, spatialGrad = a.spatialMapGrad.data
        let w = store.parameters, dw = store.gradients
        var loss = 0.0
        for (slot, sample) in samples.enumerated() {
            let p = probabilities + slot * cells, g = targets[sample]
            predict(spatial, slot: slot, into: p)
            for cell in 0..<cells where g[cell] > 0 { loss += g[cell] * log(g[cell] / max(Double(p[cell]), 1e-30)) }
            let x = spatial + slot * channels * cells, dx = spatialGrad + slot * channels * cells
            for cell in 0..<cells { p[cell] = (p[cell] - Float(g[cell])) / Float(n) }  // now dL/dlogit
            for c in 0..<channels {
                let plane = x + c * cells, gradPlane = dx + c * cells
                var sum: Float = 0
                for cell in 0..<cells {
                    sum += p[cell] * plane[cell]
                    gradPlane[cell] += w[c] * p[cell]
                }
                dw[c] += sum
            }
        }
        return Float(loss / Double(n))
    }

    public func predictMap(_ a: ResNeXtActivations, slot: Int) -> [Double] {
        let out = UnsafeMutablePointer<Float>.allocate(capacity: cells)
        defer { out.deallocate() }
        predict(a.spatialMap.data, slot: slot, into: out)
        return (0..<cells).map { Double(out[$0]) }
    }
}
