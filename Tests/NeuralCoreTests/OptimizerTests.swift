import Foundation
import NeuralTestSupport
import Testing
@testable import NeuralCore

struct OptimizerTests {
    private func store(_ values: [Float], gradients: [Float]) -> ParameterStore {
        var layout = ParameterLayout()
        _ = layout.parameter("w", [values.count])
        let store = ParameterStore(layout)
        for i in 0..<values.count {
            store.parameters[i] = values[i]
            store.gradients[i] = gradients[i]
        }
        return store
    }

    /// Two steps of torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01) worked by hand.
    @Test func sgdMatchesPyTorchSemantics() {
        let s = store([1, -2], gradients: [0.5, 0.25])
        let sgd = SGD(store: s, momentum: 0.9, weightDecay: 0.01)
        sgd.step(learningRate: 0.1)
        // g = grad + 0.01 w = [0.51, 0.23]; v = g; w -= 0.1 v
        #expect(abs(s.parameters[0] - 0.949) < 1e-6 && abs(s.parameters[1] - -2.023) < 1e-6)
        sgd.step(learningRate: 0.1)
        // g = [0.5 + 0.00949, 0.25 - 0.02023]; v = 0.9 v + g
        let v0: Float = 0.9 * 0.51 + 0.50949, v1: Float = 0.9 * 0.23 + 0.22977
        #expect(abs(s.parameters[0] - (0.949 - 0.1 * v0)) < 1e-6)
        #expect(abs(s.parameters[1] - (-2.023 - 0.1 * v1)) < 1e-6)
        #expect(sgd.steps == 2)
    }

    /// Three steps of torch.optim.AdamW(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    /// against the formula evaluated naively in Double, with a gradient that changes sign.
    @Test func adamwMatchesPyTorchSemantics() {
        let gradients: [[Float]] = [[0.5, -0.25, 0], [-0.3, 0.1, 2], [0.2, 0.2, -1e-3]]
        let s = store([1, -2, 0.5], gradients: gradients[0])
        let adam = AdamW(store: s, weightDecay: 0.01)
        var w: [Double] = [1, -2, 0.5], m = [Double](repeating: 0, count: 3), v = m
        for (t, g) in gradients.enumerated() {
            for i in 0..<3 { s.gradients[i] = g[i] }
            adam.step(learningRate: 0.1)
            for i in 0..<3 {
                w[i] *= 1 - 0.1 * 0.01
                m[i] = 0.9 * m[i] + 0.1 * Double(g[i])
                v[i] = 0.999 * v[i] + 0.001 * Double(g[i]) * Double(g[i])
                let mHat = m[i] / (1 - pow(0.9, Double(t + 1))), vHat = v[i] / (1 - pow(0.999, Double(t + 1)))
                w[i] -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
                #expect(abs(Double(s.parameters[i]) - w[i]) < 1e-5, "step \(t + 1) element \(i): \(s.parameters[i]) vs \(w[i])")
            }
        }
        #expect(adam.steps == 3)
    }

    @Test("step schedule: 1e-3, x0.1 every 20 epochs", arguments: [(0, 1e-3), (19, 1e-3), (20, 1e-4), (39, 1e-4), (40, 1e-5), (65, 1e-6)])
    func schedule(_ point: (epoch: Int, rate: Double)) {
        let rate = StepLearningRate().rate(epoch: point.epoch)
        #expect(abs(Double(rate) - point.rate) <= point.rate * 1e-5)
    }

    @Test func clippingByGlobalNorm() {
        let s = store([0, 0], gradients: [3, 4])
        #expect(GradientClipping.clip(s, maxNorm: 10) == 5)
        #expect(s.gradients[0] == 3)  // under the limit: untouched
        #expect(GradientClipping.clip(s, maxNorm: 1) == 5)
        #expect(abs(GradientClipping.globalNorm(s.gradients, count: 2) - 1) < 1e-5)
        #expect(abs(s.gradients[0] / s.gradients[1] - 0.75) < 1e-6)
    }

    @Test func tensorViewsAndArenaLayout() {
        var layout = ArenaLayout()
        let a = layout.reserve(5), b = layout.reserve(17)
        #expect(a == 0 && b == 16 && layout.count == 48)
        let arena = Arena(count: layout.count)
        #expect(Int(bitPattern: arena.base) % 64 == 0)
        let view = TensorView(arena[b], shape: [2, 3, 2])
        #expect(view.strides == [6, 2, 1] && view.count == 12)
        for i in 0..<12 { arena[b][i] = Float(i) }
        #expect(view[1, 2, 1] == 11)
        let transposed = view.permuted([2, 0, 1])
        #expect(transposed.shape == [2, 2, 3] && transposed[1, 0, 2] == 5 && !transposed.isContiguous)
        #expect(view.slice(1..<2).toArray() == [6, 7, 8, 9, 10, 11])
        #expect(view.reshaped([4, 3])[3, 0] == 9)
        transposed[0, 1, 0] = -1
        #expect(view[1, 0, 0] == -1)
    }
}
