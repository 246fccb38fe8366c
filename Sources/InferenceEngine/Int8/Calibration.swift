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
        public var description: String {
            switch self {
            case .minMax: return "min/max"
            case .percentile(let p): return "percentile \(p)"
            }
        }
    }

    public let method: Method
    private var minimum: [[Float]]  // [branch][slot]
    private var maximum: [[Float]]
    private var samples: [[[Float]]]
    public private(set) var inputs = 0

    public init(method: Method, slotCounts: [Int]) {
        self.method = method
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
        if case .percentile = method {
            let step = max(1, count / 4096)
            var i = 0
            while i < count {
                samples[branch][slot].append(values[i])
                i += step
            }
        }
    }

    public mutating func finishInput() { inputs += 1 }

    /// The parameters of every slot of a branch; `plan` tells which slots are max-pool outputs.
    public func quantization(branch: Int, plan: BranchPlan) -> [ActivationQuantization] {
        var result = [ActivationQuantization]()
        for slot in 0..<plan.slots.count {
            var lo = minimum[branch][slot], hi = maximum[branch][slot]
            if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
            if case .percentile(let p) = method, !samples[branch][slot].isEmpty {
                let sorted = samples[branch][slot].sorted()
                func at(_ q: Double) -> Float { sorted[min(sorted.count - 1, max(0, Int((q / 100 * Double(sorted.count - 1)).rounded())))] }
                lo = max(lo, at(100 - p))
                hi = min(hi, at(p))
            }
            result.append(ActivationQuantization(min: lo, max: hi))
        }
        for step in plan.steps {
            if case .maxPool(let input, let output) = step { result[output] = result[input] }
        }
        return result
    }
}
