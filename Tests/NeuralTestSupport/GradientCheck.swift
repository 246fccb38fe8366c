import NeuralCore

/// One input or parameter of a gradient check: its values and the analytic gradient the
/// layer's backward accumulated into.
public struct Differentiable {
    public let name: String
    public let value: TestBuffer
    public let gradient: TestBuffer

    public init(name: String, value: TestBuffer, gradient: TestBuffer) {
        self.name = name
        self.value = value
        self.gradient = gradient
    }
}

public struct GradientMismatch: CustomStringConvertible {
    public let name: String
    public let index: Int
    public let numeric: Double
    public let analytic: Double
    public var description: String { "\(name)[\(index)]: numeric \(numeric) vs analytic \(analytic)" }
}

/// Central finite differences of a scalar loss (computed in Double over float32 layers)
/// against the analytic gradients. `backward` must zero nothing: the checker zeroes the
/// gradient buffers, then calls it once. At most `samples` elements per tensor are checked.
/// An element passes if |numeric - analytic| <= atol + rtol * max(|numeric|, |analytic|).
public func gradientMismatches(
    _ tensors: [Differentiable], epsilon: Float = 1e-2, samples: Int = 24,
    atol: Double = 2e-3, rtol: Double = 2e-2, seed: UInt64 = 7,
    loss: () -> Double, backward: () -> Void
) -> (mismatches: [GradientMismatch], checked: Int) {
    for tensor in tensors { tensor.gradient.zero() }
    backward()
    var random = RandomSource(seed: seed)
    var mismatches = [GradientMismatch]()
    var checked = 0
    for tensor in tensors {
        let indices = tensor.value.count <= samples
            ? Array(0..<tensor.value.count)
            : (0..<samples).map { _ in Int(random.next() % UInt64(tensor.value.count)) }
        for index in indices {
            let saved = tensor.value.pointer[index]
            tensor.value.pointer[index] = saved + epsilon
            let plus = loss()
            tensor.value.pointer[index] = saved - epsilon
            let minus = loss()
            tensor.value.pointer[index] = saved
            let numeric = (plus - minus) / (2 * Double(epsilon))
            let analytic = Double(tensor.gradient.pointer[index])
            checked += 1
            if abs(numeric - analytic) > atol + rtol * max(abs(numeric), abs(analytic)) {
                mismatches.append(GradientMismatch(name: tensor.name, index: index, numeric: numeric, analytic: analytic))
            }
        }
    }
    return (mismatches, checked)
}
