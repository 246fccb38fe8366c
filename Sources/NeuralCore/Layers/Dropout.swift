/// Inverted dropout: in training, each element is kept with probability 1 - p and scaled by
/// 1 / (1 - p), so inference is the identity.
public enum Dropout {
    /// output, input, mask: [count]. The mask (0 or 1/(1-p)) is kept for backward.
    public static func forwardTraining(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, mask: UnsafeMutablePointer<Float>,
        count: Int, probability p: Float, random: inout RandomSource
    ) {
        precondition(p >= 0 && p < 1, "dropout probability must be in [0, 1)")
        let keep = 1 / (1 - p)
        for i in 0..<count {
            mask[i] = random.uniform() >= p ? keep : 0
            output[i] = input[i] * mask[i]
        }
    }

    /// inputGrad += outputGrad * mask
    public static func backward(inputGrad: UnsafeMutablePointer<Float>, outputGrad: UnsafePointer<Float>, mask: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { inputGrad[i] += outputGrad[i] * mask[i] }
    }

    /// Reference: the same mask applied elementwise.
    public static func reference(_ x: Float, mask: Float) -> Float { x * mask }
}
