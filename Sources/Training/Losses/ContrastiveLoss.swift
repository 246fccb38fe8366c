import Glibc

/// L_contra. `paper` is eq. (2) as written: one direction (video i against every query j),
/// the positive excluded from the denominator, sim = exp of the pair logit:
///
///   L_i = -log( exp(x_ii / τ) / Σ_{j ≠ i, j negative for i} exp(x_ij / τ) )
///
/// It is not bounded below (the positive is never in the denominator), so the weight decay
/// and the correspondence term keep the scale in check. `infoNCE` is the usual bounded form
/// with the positive in the denominator (a stated option). Columns that are neither the
/// positive nor a valid negative for row i (same scan, closer than the policy's minimum
/// shift) are left out: a near-duplicate of the positive is never pushed away. Rows with no
/// negative at all are skipped. L = mean over the rows used.
public enum ContrastiveForm: String, Sendable, CaseIterable {
    case paper
    case infoNCE = "infonce"
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
    /// logits [N, N]; negative [N, N]: 1 where column j is a valid negative for row i.
    public static func forward(logits: UnsafePointer<Float>, negative: UnsafePointer<Float>, geometry g: ContrastiveGeometry) -> Float {
        let n = g.batch
        var total = 0.0, rows = 0
        for i in 0..<n {
            guard let lse = denominator(logits, negative, row: i, g) else { continue }
            total += lse - Double(logits[i * n + i] / g.temperature)
            rows += 1
        }
        return rows == 0 ? 0 : Float(total / Double(rows))
    }

    public static func backward(logitsGrad: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, negative: UnsafePointer<Float>,
                                geometry g: ContrastiveGeometry, lossGrad: Float = 1) {
        let n = g.batch
        let rows = (0..<n).filter { i in (0..<n).contains { negative[i * n + $0] != 0 && $0 != i } }.count
        guard rows > 0 else { return }
        let scale = lossGrad / Float(rows) / g.temperature
        for i in 0..<n {
            guard let lse = denominator(logits, negative, row: i, g) else { continue }
            for j in 0..<n where j != i && negative[i * n + j] != 0 {
                logitsGrad[i * n + j] += scale * Float(exp(Double(logits[i * n + j] / g.temperature) - lse))
            }
            let p = g.form == .infoNCE ? Float(exp(Double(logits[i * n + i] / g.temperature) - lse)) : 0
            logitsGrad[i * n + i] += scale * (p - 1)
        }
    }

    /// log Σ exp(x_ij / τ) over the row's negatives (plus the positive for infoNCE), or nil
    /// when the row has no negative.
    static func denominator(_ logits: UnsafePointer<Float>, _ negative: UnsafePointer<Float>, row i: Int, _ g: ContrastiveGeometry) -> Double? {
        let n = g.batch
        var peak = -Double.infinity, any = false
        for j in 0..<n where j != i && negative[i * n + j] != 0 {
            peak = max(peak, Double(logits[i * n + j] / g.temperature))
            any = true
        }
        guard any else { return nil }
        if g.form == .infoNCE { peak = max(peak, Double(logits[i * n + i] / g.temperature)) }
        var total = 0.0
        for j in 0..<n where (j != i && negative[i * n + j] != 0) || (j == i && g.form == .infoNCE) {
            total += exp(Double(logits[i * n + j] / g.temperature) - peak)
        }
        return log(total) + peak
    }

    /// Double reference straight from eq. (2).
    public static func reference(logits: [Float], negative: [Float], geometry g: ContrastiveGeometry) -> Double {
        let n = g.batch
        var total = 0.0, rows = 0
        for i in 0..<n {
            let positive = exp(Double(logits[i * n + i]) / Double(g.temperature))
            var sum = g.form == .infoNCE ? positive : 0
            var any = false
            for j in 0..<n where j != i && negative[i * n + j] != 0 {
                sum += exp(Double(logits[i * n + j]) / Double(g.temperature))
                any = true
            }
            guard any else { continue }
            total += -log(positive / sum)
            rows += 1
        }
        return rows == 0 ? 0 : total / Double(rows)
    }
}
