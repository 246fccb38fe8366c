import Glibc

/// L_contra. `paper` is eq. (2) as written: one direction (video i against every query j),
/// the positive excluded from the denominator, sim = exp of the pair logit:
///
///   L_i = -log( exp(x_ii / τ) / Σ_{j ≠ i, j negative for i} exp(x_ij / τ) )
///
/// It is not bounded below (the positive is never in the denominator), so the weight decay
/// and the correspondence term keep the scale in check. `infoNCE` is the usual bounded form
/// with the positive in the denominator (a stated option). `symmetric` is the mean of that
/// row-wise infoNCE and the column-wise one (audio j against every video i): the row-wise
/// form cannot see a logit term that depends on the video alone (it is the same for every
/// audio in a row), so the map's audio-independent part is left free; the column-wise form
/// ranks the videos for each audio and constrains it. Columns that are neither the
/// positive nor a valid negative for row i (same scan, closer than the policy's minimum
/// shift) are left out: a near-duplicate of the positive is never pushed away. Rows (and
/// columns) with no negative at all are skipped. L = mean over the rows (columns) used.
public enum ContrastiveForm: String, Sendable, CaseIterable {
    case paper
    case infoNCE = "infonce"
    case symmetric
}

public struct ContrastiveGeometry: Sendable, Equatable {
    public var batch: Int
    public var temperature: Float
    public var form: ContrastiveForm

    public init(batch: Int, temperature: Float = 1, form: ContrastiveForm = .paper) {
        self.batch = batch
        self.temperature = temperature
        self.form = form
    }
}

public enum ContrastiveLoss {
    /// One direction of the loss: line i holds the pairs (i, k) (rows: video i against every
    /// audio) or (k, i) (columns: audio i against every video); its positive is (i, i).
    struct Direction {
        let n: Int
        let byColumn: Bool
        func index(line i: Int, _ k: Int) -> Int { byColumn ? k * n + i : i * n + k }
    }

    static func directions(_ g: ContrastiveGeometry) -> [(Direction, Float)] {
        let rows = Direction(n: g.batch, byColumn: false)
        guard g.form == .symmetric else { return [(rows, Float(1))] }
        return [(rows, Float(0.5)), (Direction(n: g.batch, byColumn: true), Float(0.5))]
    }

    /// logits [N, N]; negative [N, N]: 1 where column j is a valid negative for row i.
    public static func forward(logits: UnsafePointer<Float>, negative: UnsafePointer<Float>, geometry g: ContrastiveGeometry) -> Float {
        var loss: Float = 0
        for (direction, weight) in directions(g) {
            var total = 0.0, lines = 0
            for i in 0..<g.batch {
                guard let lse = denominator(logits, negative, line: i, direction, g) else { continue }
                total += lse - Double(logits[i * g.batch + i] / g.temperature)
                lines += 1
            }
            loss += weight * (lines == 0 ? 0 : Float(total / Double(lines)))
        }
        return loss
    }

    public static func backward(logitsGrad: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, negative: UnsafePointer<Float>,
                                geometry g: ContrastiveGeometry, lossGrad: Float = 1) {
        let n = g.batch
        let withPositive = g.form != .paper
        for (d, weight) in directions(g) {
            let lines = (0..<n).filter { i in (0..<n).contains { $0 != i && negative[d.index(line: i, $0)] != 0 } }.count
            guard lines > 0 else { continue }
            let scale = weight * lossGrad / Float(lines) / g.temperature
            for i in 0..<n {
                guard let lse = denominator(logits, negative, line: i, d, g) else { continue }
                for k in 0..<n where k != i && negative[d.index(line: i, k)] != 0 {
                    logitsGrad[d.index(line: i, k)] += scale * Float(exp(Double(logits[d.index(line: i, k)] / g.temperature) - lse))
                }
                let p = withPositive ? Float(exp(Double(logits[i * n + i] / g.temperature) - lse)) : 0
                logitsGrad[i * n + i] += scale * (p - 1)
            }
        }
    }

    /// log Σ exp(x / τ) over the line's negatives (plus the positive, but for `paper`), or
    /// nil when the line has no negative.
    static func denominator(_ logits: UnsafePointer<Float>, _ negative: UnsafePointer<Float>, line i: Int, _ d: Direction,
                            _ g: ContrastiveGeometry) -> Double? {
        let n = g.batch
        let withPositive = g.form != .paper
        var peak = -Double.infinity, any = false
        for k in 0..<n where k != i && negative[d.index(line: i, k)] != 0 {
            peak = max(peak, Double(logits[d.index(line: i, k)] / g.temperature))
            any = true
        }
        guard any else { return nil }
        if withPositive { peak = max(peak, Double(logits[i * n + i] / g.temperature)) }
        var total = 0.0
        for k in 0..<n where (k != i && negative[d.index(line: i, k)] != 0) || (k == i && withPositive) {
            total += exp(Double(logits[d.index(line: i, k)] / g.temperature) - peak)
        }
        return log(total) + peak
    }

    /// Double reference straight from eq. (2) (and its transpose for `symmetric`).
    public static func reference(logits: [Float], negative: [Float], geometry g: ContrastiveGeometry) -> Double {
        let n = g.batch
        func oneWay(_ x: [Float], _ m: [Float], withPositive: Bool) -> Double {
            var total = 0.0, rows = 0
            for i in 0..<n {
                let positive = exp(Double(x[i * n + i]) / Double(g.temperature))
                var sum = withPositive ? positive : 0
                var any = false
                for j in 0..<n where j != i && m[i * n + j] != 0 {
                    sum += exp(Double(x[i * n + j]) / Double(g.temperature))
                    any = true
                }
                guard any else { continue }
                total += -log(positive / sum)
                rows += 1
            }
            return rows == 0 ? 0 : total / Double(rows)
        }
        guard g.form == .symmetric else { return oneWay(logits, negative, withPositive: g.form == .infoNCE) }
        let transpose = { (a: [Float]) in (0..<(n * n)).map { a[($0 % n) * n + $0 / n] } }
        return 0.5 * oneWay(logits, negative, withPositive: true) + 0.5 * oneWay(transpose(logits), transpose(negative), withPositive: true)
    }
}
