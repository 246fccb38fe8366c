/// Clipping by global L2 norm over all gradients (torch.nn.utils.clip_grad_norm_).
public enum GradientClipping {
    public static func globalNorm(_ gradients: UnsafePointer<Float>, count: Int) -> Float {
        var squares = 0.0
        for i in 0..<count { squares += Double(gradients[i]) * Double(gradients[i]) }
        return Float(squares.squareRoot())
    }

    /// Scales gradients so their global norm is at most maxNorm; returns the norm before
    /// clipping (worth logging: spikes show instability).
    @discardableResult
    public static func clip(_ gradients: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float) -> Float {
        let norm = globalNorm(gradients, count: count)
        if norm > maxNorm {
            let scale = maxNorm / (norm + 1e-6)
            for i in 0..<count { gradients[i] *= scale }
        }
        return norm
    }

    @discardableResult
    public static func clip(_ store: ParameterStore, maxNorm: Float) -> Float {
        clip(store.gradients, count: store.parameterCount, maxNorm: maxNorm)
    }
}
