/// Reductions with explicit SIMD accumulators: a plain `total += x[i]` loop cannot be
/// vectorised because it fixes the order of float additions. Sixteen partial sums are also
/// more accurate than one running sum (pairwise-like error growth).
enum VectorMath {
    typealias Lanes = SIMD16<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }

    /// sum(x)
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = Lanes(), i = 0
        while i + 16 <= count {
            acc += load(x + i)
            i += 16
        }
        var total = acc.sum()
        while i < count {
            total += x[i]
            i += 1
        }
        return total
    }

    /// sum((x - center)^2)
    @inline(__always)
    static func sumSquaredDeviation(_ x: UnsafePointer<Float>, _ count: Int, center: Float) -> Float {
        var acc = Lanes(), i = 0
        let c = Lanes(repeating: center)
        while i + 16 <= count {
            let d = load(x + i) - c
            acc += d * d  // not addProduct: without FMA in the target it calls fmaf per lane
            i += 16
        }
        var total = acc.sum()
        while i < count {
            total += (x[i] - center) * (x[i] - center)
            i += 1
        }
        return total
    }

    /// sum(x * y)
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = Lanes(), i = 0
        while i + 16 <= count {
            acc += load(x + i) * load(y + i)
            i += 16
        }
        var total = acc.sum()
        while i < count {
            total += x[i] * y[i]
            i += 1
        }
        return total
    }
}
