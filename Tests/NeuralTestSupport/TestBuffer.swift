import Foundation
import NeuralCore

/// A heap float buffer for tests (the library itself only uses arenas).
public final class TestBuffer {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int, value: Float = 0) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        for i in 0..<values.count { pointer[i] = values[i] }
    }

    /// Normal values scaled by `scale`; with `awayFromZero`, magnitudes below it are pushed
    /// out so a finite difference never straddles a ReLU kink.
    public convenience init(gaussian count: Int, _ random: inout RandomSource, scale: Float = 1, awayFromZero: Float = 0) {
        self.init(count: count)
        for i in 0..<count {
            var x = random.gaussian() * scale
            if abs(x) < awayFromZero { x = x < 0 ? x - awayFromZero : x + awayFromZero }
            pointer[i] = x
        }
    }

    /// Distinct values spaced `spacing` apart in random order (no ties for max pooling).
    public convenience init(distinct count: Int, _ random: inout RandomSource, spacing: Float = 0.05) {
        var values = (0..<count).map { Float($0) * spacing - Float(count) * spacing / 2 }
        values.shuffle(using: &random)
        self.init(values)
    }

    deinit { pointer.deallocate() }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// sum(self * weights) in Double: the scalar loss a gradient check differentiates.
    public func dot(_ weights: TestBuffer) -> Double {
        precondition(count == weights.count)
        var total = 0.0
        for i in 0..<count { total += Double(pointer[i]) * Double(weights.pointer[i]) }
        return total
    }
}

/// Largest |a - b| / (atol + rtol * |b|) over two arrays: <= 1 means they agree.
public func agreement(_ a: [Float], _ b: [Float], atol: Float = 1e-5, rtol: Float = 1e-4) -> Float {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i]) / (atol + rtol * abs(b[i]))) }
    return worst
}
