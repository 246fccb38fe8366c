import Glibc

/// Adam with decoupled weight decay, PyTorch's torch.optim.AdamW semantics:
/// w -= lr * wd * w;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
/// w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
/// Offered beside SGD because the small edge model sits on the contrastive loss's chance
/// plateau for most of an SGD run (README: Training); per-parameter step sizes leave it sooner.
public final class AdamW: Optimizer, @unchecked Sendable {
    public static let kind = "adamw"
    public let store: ParameterStore
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// First and second moment estimates, [parameterCount] each (one arena).
    public let firstMoment: UnsafeMutablePointer<Float>
    public let secondMoment: UnsafeMutablePointer<Float>
    public var steps = 0
    /// Threads for the update loop (memory-bound; 1-2 is plenty).
    public var threads = 1
    private let arena: Arena

    public init(store: ParameterStore, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 1e-2) {
        self.store = store
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        var layout = ArenaLayout()
        let m = layout.reserve(store.parameterCount), v = layout.reserve(store.parameterCount)
        arena = Arena(count: layout.count)
        firstMoment = arena[m]
        secondMoment = arena[v]
    }

    public func step(learningRate: Float) {
        steps += 1
        let w = store.parameters, dw = store.gradients, m = firstMoment, v = secondMoment
        let b1 = beta1, b2 = beta2, eps = epsilon, decay = 1 - learningRate * weightDecay
        // Bias corrections in Double: b2^t underflows nothing but loses digits in Float.
        let c1 = Float(1 - pow(Double(b1), Double(steps))), c2 = Float(1 - pow(Double(b2), Double(steps)))
        let stepSize = learningRate / c1, root2 = c2.squareRoot()
        Parallel.forChunks(store.parameterCount, threads: threads) { range in
            for i in range {
                let g = dw[i]
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                w[i] = w[i] * decay - stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
            }
        }
    }

    public var stateVectors: [(name: String, values: UnsafeMutablePointer<Float>)] { [("adam_m", firstMoment), ("adam_v", secondMoment)] }
    public var settings: [String: String] {
        ["beta1": "\(beta1)", "beta2": "\(beta2)", "epsilon": "\(epsilon)", "weight_decay": "\(weightDecay)"]
    }
}
