/// What the training loop and its checkpoints need from an optimiser: one step over a
/// parameter store, and the per-parameter state vectors (each [parameterCount]) that a
/// checkpoint must carry for a resumed run to compute what the uninterrupted run would have.
public protocol Optimizer: AnyObject {
    /// The name in checkpoints and `--optimizer` ("sgd", "adamw").
    static var kind: String { get }
    var store: ParameterStore { get }
    var steps: Int { get set }
    func step(learningRate: Float)
    /// Named state vectors, each [parameterCount], laid out like the store's parameters.
    var stateVectors: [(name: String, values: UnsafeMutablePointer<Float>)] { get }
    /// Hyper-parameters, recorded in checkpoints for a person to read.
    var settings: [String: String] { get }
}
