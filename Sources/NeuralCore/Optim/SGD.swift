/// Stochastic gradient descent with momentum and L2 weight decay, PyTorch semantics:
/// g = grad + wd * w;  v = momentum * v + g;  w -= lr * v.
public final class SGD: Optimizer, @unchecked Sendable {
    public static let kind = "sgd"
    public let store: ParameterStore
    public var momentum: Float
    public var weightDecay: Float
    /// Optimiser state, [parameterCount] (one allocation).
    public let velocity: UnsafeMutablePointer<Float>
    public var steps = 0
    /// Threads for the update loop (it is memory-bound; 1-2 is plenty).
    public var threads = 1
    private let arena: Arena

    public init(store: ParameterStore, momentum: Float = 0.9, weightDecay: Float = 1e-4) {
        self.store = store
        self.momentum = momentum
        self.weightDecay = weightDecay
        arena = Arena(count: store.parameterCount)
        velocity = arena.base
    }

    public func step(learningRate: Float) {
        let w = store.parameters, dw = store.gradients, v = velocity
        let momentum = momentum, weightDecay = weightDecay
        Parallel.forChunks(store.parameterCount, threads: threads) { range in
            for i in range {
                let g = dw[i] + weightDecay * w[i]
                v[i] = momentum * v[i] + g
                w[i] -= learningRate * v[i]
            }
        }
        steps += 1
    }

    public var stateVectors: [(name: String, values: UnsafeMutablePointer<Float>)] { [("velocity", velocity)] }
    public var settings: [String: String] { ["momentum": "\(momentum)", "weight_decay": "\(weightDecay)"] }
}
