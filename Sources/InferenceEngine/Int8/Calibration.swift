/// Activation ranges from running the float plan on recorded inputs (post-training quantisation).
///
/// Methods: `minMax` takes each tensor's observed minimum and maximum; `percentile(p)` takes the
/// p-th and (100 - p)-th percentiles of a strided sample of its values (at most 4096 per tensor
/// per input), clipping rare outliers so the common values get a finer grid. The stem's max pool
/// output shares the stem's parameters (max commutes with the quantiser, so it stays exact).
public struct Calibration: Sendable {
    public enum Method: Sendable, Equatable, CustomStringConvertible {
        case minMax
        case percentile(Double)
        /// The range (each end of min/max shrunk by its own factor) that minimises the squared
        /// error of quantising the observed values (rounding inside, clipping outside).
        case meanSquaredError
        public var description: String {
            switch self {
            case .minMax: return "min/max"
            case .percentile(let p): return "percentile \(p)"
            case .meanSquaredError: return "mean squared error"
            }
        }
    }

    /// Per branch (0 video, 1 audio).
    public let methods: [Method]
    private var minimum: [[Float]]  // [branch][slot]
    private var maximum: [[Float]]
    private var samples: [[[Float]]]
    public private(set) var inputs = 0

    /// `methods`: one per branch, or one for all.
    public init(methods: [Method], slotCounts: [Int]) {
        precondition(methods.count == 1 || methods.count == slotCounts.count, "one calibration method, or one per branch")
        self.methods = methods.count == 1 ? Array(repeating: methods[0], count: slotCounts.count) : methods
        minimum = slotCounts.map { [Float](repeating: .infinity, count: $0) }
        maximum = slotCounts.map { [Float](repeating: -.infinity, count: $0) }
        samples = slotCounts.map { [[Float]](repeating: [], count: $0) }
    }

    /// Records one activation (the FloatBranch observer's arguments) of branch `branch`.
    public mutating func observe(branch: Int, slot: Int, values: UnsafePointer<Float>, count: Int) {
        var lo = minimum[branch][slot], hi = maximum[branch][slot]
        for i in 0..<count {
            lo = min(lo, values[i])
            hi = max(hi, values[i])
        }
        minimum[branch][slot] = lo
        maximum[branch][slot] = hi
        if methods[branch] != .minMax {
            let step = max(1, count / 4096)
            var i = 0
            while i < count {
                samples[branch][slot].append(values[i])
                i += step
            }
        }
    }

    public mutating func finishInput() { inputs += 1 }

    /// "min/max", or per branch when they differ ("video mean squared error, audio min/max").
    public var description: String {
        Set(methods.map(\.description)).count == 1 ? methods[0].description
            : zip(["video", "audio"], methods).map { "\($0) \($1)" }.joined(separator: ", ")
    }

    /// The range with the least squared quantisation error (rounding inside, clipping outside)
    /// on `values`: each end is min or max times a factor in 1, 0.98, ..., 0.3, found by
    /// coordinate descent (the top end, then the bottom end, twice) on at most 200 000 of the values.
    static func leastSquaredErrorRange(_ values: [Float], min lo: Float, max hi: Float) -> (Float, Float) {
        let stride = Swift.max(1, values.count / 200_000)
        let used = Swift.stride(from: 0, to: values.count, by: stride).map { values[$0] }
        func error(_ low: Float, _ high: Float) -> Double {
            let q = ActivationQuantization(min: low, max: high)
            var total = 0.0
            for v in used { let e = Double(v - q.dequantize(q.quantize(v))); total += e * e }
            return total
        }
        let factors = (0...35).map { 1 - Float($0) * 0.02 }
        var low = lo, high = hi
        for _ in 0..<2 {
            high = factors.map { (hi * $0, error(low, hi * $0)) }.min { $0.1 < $1.1 }!.0
            low = factors.map { (lo * $0, error(lo * $0, high)) }.min { $0.1 < $1.1 }!.0
        }
        return (low, high)
    }

    /// The parameters of every slot of a branch; `plan` tells which slots are max-pool outputs.
    public func quantization(branch: Int, plan: BranchPlan) -> [ActivationQuantization] {
        var result = [ActivationQuantization]()
        // A max pool passes on the largest values of its input, and its output shares the
        // input's parameters: a clipped range is fitted to the values the pool passes on (its
        // output), not to the bulk of its input, whose fit clips what the pool selects.
        var fittedOn = Array(0..<plan.slots.count)
        for step in plan.steps { if case .maxPool(let input, let output) = step { fittedOn[input] = output } }
        for slot in 0..<plan.slots.count {
            let source = fittedOn[slot], values = samples[branch][source]
            var lo = minimum[branch][slot], hi = maximum[branch][slot]
            if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
            if case .percentile(let p) = methods[branch], !values.isEmpty {
                let sorted = values.sorted()
                func at(_ q: Double) -> Float { sorted[min(sorted.count - 1, max(0, Int((q / 100 * Double(sorted.count - 1)).rounded())))] }
                lo = max(lo, at(100 - p))
                hi = min(hi, at(p))
            }
            if case .meanSquaredError = methods[branch], !values.isEmpty {
                (lo, hi) = Self.leastSquaredErrorRange(values, min: lo, max: hi)
            }
            result.append(ActivationQuantization(min: lo, max: hi))
        }
        for step in plan.steps {
            if case .maxPool(let input, let output) = step { result[output] = result[input] }
        }
        return result
    }
}
