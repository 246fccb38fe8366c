import Foundation

/// The saliency metrics of the MIT saliency benchmark (Bylinskii, Judd, Oliva, Torralba,
/// Durand, "What do different evaluation metrics tell us about saliency models?", TPAMI 2019,
/// reference [6] of the paper; code github.com/cvzoya/saliency, `code_forMetrics/*.m`),
/// in double precision, over maps of equal size. `prediction` is the model's map,
/// `density` the blurred fixation map (`GazeSaliency.density`), `fixations` the binary
/// fixation map (cells with at least one fixation > 0). Checked against
/// `Tests/FixtureScripts/saliency_metrics_reference.py` (numpy/scipy).
///
/// Degenerate inputs, where the MATLAB code returns NaN, get defined values here (each is
/// tested): a constant prediction carries no ranking, so CC = 0, NSS = 0, AUC-Judd = 0.5,
/// and a prediction summing to 0 is a uniform distribution for KL and SIM. An empty ground
/// truth (no fixations) is an error, as are NaN/infinity anywhere and negative values where
/// a map is read as a distribution (KL, SIM).
public enum SaliencyMetrics {
    /// MATLAB's `eps` (2^-52), which the benchmark's KLdiv.m adds.
    public static let epsilon = 2.2204e-16

    /// KL(gt ‖ pred) = Σ_i g_i · ln(ε + g_i / (p_i + ε)), with g = density / Σ density and
    /// p = prediction / Σ prediction (natural log; KLdiv.m). Lower is better; 0 for identical maps.
    public static func kl(prediction: GridMap, density: GridMap) throws(MetricError) -> Double {
        let name = "KL"
        try checkDistributions(name, prediction, density)
        let p = distribution(prediction), g = distribution(density)
        var total = 0.0
        for i in 0..<g.count { total += g[i] * log(epsilon + g[i] / (p[i] + epsilon)) }
        return total
    }

    /// Pearson's linear correlation of the two maps (CC.m: both z-scored, then corr2; the
    /// std convention cancels). In [-1, 1], higher is better.
    public static func cc(prediction: GridMap, density: GridMap) throws(MetricError) -> Double {
        let name = "CC"
        try MapChecks.sameSize(name, prediction, density)
        try MapChecks.finite(name, prediction, "prediction")
        try MapChecks.finite(name, density, "ground truth")
        try requireFixations(name, density)
        // Constant maps are tested exactly (their float mean may differ from the value by an ulp).
        guard prediction.values.min()! < prediction.values.max()!, density.values.min()! < density.values.max()! else { return 0 }
        let n = Double(prediction.count)
        let mp = prediction.values.reduce(0, +) / n, mg = density.values.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<prediction.count {
            let a = prediction.values[i] - mp, b = density.values[i] - mg
            sxy += a * b; sxx += a * a; syy += b * b
        }
        guard sxx > 0, syy > 0 else { return 0 }
        return sxy / (sxx * syy).squareRoot()
    }

    /// SIM = Σ_i min(p_i, g_i), each map first min-max normalised to [0, 1], then divided by
    /// its sum (similarity.m with toPlot = 0). In [0, 1], higher is better. A constant map
    /// (all zero after min-max) counts as uniform.
    public static func sim(prediction: GridMap, density: GridMap) throws(MetricError) -> Double {
        let name = "SIM"
        try checkDistributions(name, prediction, density)
        let p = distribution(prediction.minMaxNormalised()), g = distribution(density.minMaxNormalised())
        var total = 0.0
        for i in 0..<p.count { total += min(p[i], g[i]) }
        return total
    }

    /// NSS = mean over fixated cells of (s - mean(s)) / std(s), with the SAMPLE standard
    /// deviation (N - 1 in the denominator, MATLAB's std as NSS.m calls it). A cell counts
    /// once however many fixations it holds (NSS.m: logical(fixationMap)). Higher is better.
    public static func nss(prediction: GridMap, fixations: GridMap) throws(MetricError) -> Double {
        let name = "NSS"
        try MapChecks.sameSize(name, prediction, fixations)
        try MapChecks.finite(name, prediction, "prediction")
        try MapChecks.finite(name, fixations, "fixation map")
        let fixated = (0..<fixations.count).filter { fixations.values[$0] > 0 }
        guard !fixated.isEmpty else { throw MetricError(name, .emptyGroundTruth, "the fixation map has no fixation; leave this frame out") }
        guard prediction.values.min()! < prediction.values.max()! else { return 0 }
        let n = Double(prediction.count)
        let mean = prediction.values.reduce(0, +) / n
        let variance = prediction.values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(n - 1, 1)
        guard variance > 0 else { return 0 }
        let std = variance.squareRoot()
        return fixated.reduce(0) { $0 + (prediction.values[$1] - mean) / std } / Double(fixated.count)
    }

    /// AUC-Judd (AUC_Judd.m with jitter = 0): the prediction is min-max normalised; for each
    /// fixated cell's value θ_k, sorted descending (k = 1...F), the true positive rate is
    /// k / F and the false positive rate (#{s ≥ θ_k} - k) / (N - F); the ROC curve runs
    /// from (0, 0) through these points to (1, 1) and its area is taken by the trapezoid
    /// rule. The benchmark's jitter (random 1e-7 noise to break ties) is left out so the
    /// result is deterministic; maps without ties give the same value. 0.5 is chance.
    public static func aucJudd(prediction: GridMap, fixations: GridMap) throws(MetricError) -> Double {
        let name = "AUC-Judd"
        try MapChecks.sameSize(name, prediction, fixations)
        try MapChecks.finite(name, prediction, "prediction")
        try MapChecks.finite(name, fixations, "fixation map")
        let s = prediction.minMaxNormalised().values
        var thresholds = (0..<s.count).filter { fixations.values[$0] > 0 }.map { s[$0] }
        let f = thresholds.count, n = s.count
        guard f > 0 else { throw MetricError(name, .emptyGroundTruth, "the fixation map has no fixation; leave this frame out") }
        guard f < n else { throw MetricError(name, .noSamples, "every cell is fixated, so no false positive rate exists") }
        guard prediction.values.min()! < prediction.values.max()! else { return 0.5 }
        thresholds.sort(by: >)
        let sorted = s.sorted(by: >)
        var tp = [0.0], fp = [0.0]
        var above = 0
        for (k, theta) in thresholds.enumerated() {
            while above < n && sorted[above] >= theta { above += 1 }
            tp.append(Double(k + 1) / Double(f))
            fp.append(Double(above - (k + 1)) / Double(n - f))
        }
        tp.append(1); fp.append(1)
        var area = 0.0
        for i in 1..<tp.count { area += (fp[i] - fp[i - 1]) * (tp[i] + tp[i - 1]) / 2 }
        return area
    }

    // MARK: Shared checks

    static func checkDistributions(_ name: String, _ prediction: GridMap, _ density: GridMap) throws(MetricError) {
        try MapChecks.sameSize(name, prediction, density)
        try MapChecks.finite(name, prediction, "prediction")
        try MapChecks.finite(name, density, "ground truth")
        try MapChecks.nonNegative(name, prediction, "prediction")
        try MapChecks.nonNegative(name, density, "ground truth")
        try requireFixations(name, density)
    }

    static func requireFixations(_ name: String, _ density: GridMap) throws(MetricError) {
        guard density.values.contains(where: { $0 != 0 }) else {
            throw MetricError(name, .emptyGroundTruth, "the ground-truth map is all zero (no fixations); leave this frame out")
        }
    }

    /// map / Σ map; a map summing to 0 is uniform.
    static func distribution(_ map: GridMap) -> [Double] {
        let sum = map.values.reduce(0, +)
        guard sum > 0 else { return [Double](repeating: 1 / Double(map.count), count: map.count) }
        return map.values.map { $0 / sum }
    }
}
