import Glibc

/// Logistic function, written so neither branch overflows.
@inline(__always) func sigmoid(_ x: Float) -> Float {
    x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x))
}

/// Sum of a buffer accumulated in Double (BN statistics, losses, norms).
@inline(__always) func sumDouble(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
    var total = 0.0
    for i in 0..<count { total += Double(x[i]) }
    return total
}
