/// The paper's compactness metric Comp (eq. 5, section "Assessment and Evaluation Criteria"):
///
///     Comp = IoU · η_H / α_S,   η_H = α_H / α_S
///
/// read literally, with the choices the paper leaves open stated here:
/// - I_S is the prediction min-max normalised to [0, 1]; Î_S the ground-truth density,
///   min-max normalised the same way.
/// - α_S = ‖I_S‖_0, the saliency region's area: the cells where I_S > 0, as a FRACTION of
///   the map's cells (so Comp does not depend on the map resolution).
/// - I_HS = I_S > τ with τ = `threshold` = 0.5; α_H = ‖I_HS‖_0, also as a fraction.
/// - IoU = |{I_S > τ} ∩ {Î_S > τ}| / |{I_S > τ} ∪ {Î_S > τ}|, the same τ for both maps
///   (binarising at > 0 would make the IoU of two dense maps always 1).
///
/// Higher is better. For a dense map (every cell above its minimum) α_S ≈ 1 and Comp ≈
/// IoU · α_H; a sparse map (most cells exactly at its minimum) is rewarded by 1/α_S², which is
/// what "compactness" means in the paper. Range [0, N²] for N cells; 0 for a constant
/// prediction (no saliency region) or when nothing is above τ in either map.
/// An all-zero ground truth is an error (no fixations). Checked against
/// `Tests/FixtureScripts/saliency_metrics_reference.py`.
public enum Compactness {
    public static let threshold = 0.5

    public struct Parts: Sendable, Equatable {
        public var comp: Double
        public var iou: Double
        /// α_S, α_H as fractions of the map; η_H = α_H / α_S.
        public var saliencyArea: Double
        public var highArea: Double
        public var highRatio: Double
    }

    public static func comp(prediction: GridMap, density: GridMap, threshold: Double = threshold) throws(MetricError) -> Double {
        try parts(prediction: prediction, density: density, threshold: threshold).comp
    }

    public static func parts(prediction: GridMap, density: GridMap, threshold: Double = threshold) throws(MetricError) -> Parts {
        let name = "Comp"
        try MapChecks.sameSize(name, prediction, density)
        try MapChecks.finite(name, prediction, "prediction")
        try MapChecks.finite(name, density, "ground truth")
        try SaliencyMetrics.requireFixations(name, density)
        let s = prediction.minMaxNormalised().values, g = density.minMaxNormalised().values
        let n = Double(s.count)
        var support = 0, high = 0, intersection = 0, union = 0
        for i in 0..<s.count {
            if s[i] > 0 { support += 1 }
            let a = s[i] > threshold, b = g[i] > threshold
            if a { high += 1 }
            if a && b { intersection += 1 }
            if a || b { union += 1 }
        }
        let iou = union > 0 ? Double(intersection) / Double(union) : 0
        guard support > 0 else { return Parts(comp: 0, iou: iou, saliencyArea: 0, highArea: 0, highRatio: 0) }
        let areaS = Double(support) / n, areaH = Double(high) / n
        let eta = areaH / areaS
        return Parts(comp: iou * eta / areaS, iou: iou, saliencyArea: areaS, highArea: areaH, highRatio: eta)
    }
}
