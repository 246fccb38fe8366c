/// Localisation against an anatomy mask, as in the sound-source localisation literature.
/// The mask is the spoken structure's polygon at map resolution (`MaskRaster`): `coverage`
/// holds the fraction of each cell inside the polygon, the binary mask is coverage ≥ 0.5.
/// Checked against `Tests/FixtureScripts/saliency_metrics_reference.py`.
public enum LocalisationMetrics {
    /// Pointing game (Zhang et al., "Top-down neural attention by excitation backprop",
    /// ECCV 2016): a hit when the map's maximum lies on the object. Here: on a cell the
    /// polygon touches (coverage > 0), which at 14×14 is close to their 15-pixel tolerance
    /// at 224×224 (one cell is 16 pixels); `pointingGame(prediction:screenMask:geometry:)`
    /// plays their rule itself. When several cells share the maximum, the score
    /// is the fraction of them that hit (the expected hit under random tie-breaking), so a
    /// constant map scores the mask's share of the map instead of an arbitrary 0 or 1.
    public static func pointingGame(prediction: GridMap, coverage: GridMap) throws(MetricError) -> Double {
        let name = "pointing game"
        try MapChecks.sameSize(name, prediction, coverage)
        try MapChecks.finite(name, prediction, "prediction")
        guard coverage.values.contains(where: { $0 > 0 }) else {
            throw MetricError(name, .emptyGroundTruth, "the mask covers no cell (the structure is outside the crop the model sees)")
        }
        return sharedHit(prediction) { coverage.values[$0] > 0 }
    }

    /// The literature's tolerance: 15 pixels of the image the masks are drawn on (Zhang et al.
    /// 2016; TorchRay's `PointingGame`), here the recorded screen.
    public static let standardTolerance = 15.0

    /// The pointing game as the literature plays it, with no grid: the map's maximum as a point
    /// on the screen (the peak cell's centre, where it looks: `ScreenGeometry`) is a hit when a
    /// pixel of `mask` (screen resolution, row-major, non-zero inside) has its centre strictly
    /// less than `tolerance` screen pixels from it (TorchRay's acceptance disc). A map's stride
    /// then changes only where its peak can be, not how large a hit is; ties share as above.
    public static func pointingGame(prediction: GridMap, screenMask mask: [UInt8], geometry g: ScreenGeometry,
                                    tolerance: Double = standardTolerance) throws(MetricError) -> Double {
        let name = "pointing game within \(tolerance) px"
        let w = g.screenWidth, h = g.screenHeight
        guard prediction.width == g.mapSize, prediction.height == g.mapSize, mask.count == w * h else {
            throw MetricError(name, .sizeMismatch, "map \(prediction.width)x\(prediction.height) and mask of \(mask.count) pixels for a \(g.mapSize)x\(g.mapSize) map on a \(w)x\(h) screen")
        }
        try MapChecks.finite(name, prediction, "prediction")
        guard tolerance > 0, tolerance.isFinite else { throw MetricError(name, .negative, "the tolerance must be a positive number of pixels") }
        guard mask.contains(where: { $0 != 0 }) else { throw MetricError(name, .emptyGroundTruth, "the mask is empty") }
        return sharedHit(prediction) { cell in
            let p = g.screenCentre(column: cell % prediction.width, row: cell / prediction.width)
            // Pixel centres (x + 0.5, y + 0.5) within the disc's bounding box.
            let x0 = max(0, Int((p.x - tolerance - 0.5).rounded(.down))), x1 = min(w - 1, Int((p.x + tolerance - 0.5).rounded(.up)))
            let y0 = max(0, Int((p.y - tolerance - 0.5).rounded(.down))), y1 = min(h - 1, Int((p.y + tolerance - 0.5).rounded(.up)))
            guard x0 <= x1, y0 <= y1 else { return false }
            let limit = tolerance * tolerance
            for y in y0...y1 {
                let dy = Double(y) + 0.5 - p.y
                for x in x0...x1 where mask[y * w + x] != 0 {
                    let dx = Double(x) + 0.5 - p.x
                    if dx * dx + dy * dy < limit { return true }
                }
            }
            return false
        }
    }

    /// The share of the map's tied maxima for which `hit(cell)` holds.
    private static func sharedHit(_ prediction: GridMap, _ hit: (Int) -> Bool) -> Double {
        let peak = prediction.values.max()!
        let tied = (0..<prediction.count).filter { prediction.values[$0] == peak }
        return Double(tied.filter(hit).count) / Double(tied.count)
    }

    /// The pointing game judged on a coarser `grid` x `grid` grid whose cells are blocks of the
    /// map's cells: a hit when the block holding a peak cell touches the mask (some cell of it
    /// has coverage > 0, the mask a map of `grid` cells would be scored on). Maps of different
    /// output strides (14x14, 28x28) are compared by one rule this way; ties share as above.
    public static func pointingGame(prediction: GridMap, coverage: GridMap, grid: Int) throws(MetricError) -> Double {
        let name = "pointing game on a \(grid)x\(grid) grid"
        try MapChecks.sameSize(name, prediction, coverage)
        guard grid > 0, prediction.width % grid == 0, prediction.height % grid == 0 else {
            throw MetricError(name, .sizeMismatch, "the grid must divide the \(prediction.width)x\(prediction.height) map")
        }
        let bw = prediction.width / grid, bh = prediction.height / grid
        func block(_ cell: Int) -> Int { (cell / prediction.width / bh) * grid + (cell % prediction.width) / bw }
        var touched = [Bool](repeating: false, count: grid * grid)
        for cell in 0..<coverage.count where coverage.values[cell] > 0 { touched[block(cell)] = true }
        try MapChecks.finite(name, prediction, "prediction")
        guard touched.contains(true) else {
            throw MetricError(name, .emptyGroundTruth, "the mask covers no cell (the structure is outside the crop the model sees)")
        }
        return sharedHit(prediction) { touched[block($0)] }
    }

    /// Per-sample cIoU (Senocak et al., "Learning to localize sound source in visual
    /// scenes", CVPR 2018), binarised as the LVS/EZ-VSL evaluation code does: the map is
    /// min-max normalised, its threshold is the value at index ⌊N/2⌋ of the ascending sort
    /// (the median), P = {cells > threshold}; with a binary ground truth G,
    /// cIoU = |P ∩ G| / (|G| + |P \ G|) (the consensus weights are 1 inside G). A constant
    /// map gives P = ∅ and cIoU = 0. Note that P covers about half of the map, so a
    /// structure smaller than half of it cannot reach cIoU 0.5.
    public static func ciou(prediction: GridMap, mask: GridMap) throws(MetricError) -> Double {
        let name = "cIoU"
        try MapChecks.sameSize(name, prediction, mask)
        try MapChecks.finite(name, prediction, "prediction")
        let inside = mask.values.filter { $0 > 0 }.count
        guard inside > 0 else { throw MetricError(name, .emptyGroundTruth, "the mask is empty at map resolution") }
        let s = prediction.minMaxNormalised().values
        let threshold = s.sorted()[s.count / 2]
        var hit = 0, outside = 0
        for i in 0..<s.count where s[i] > threshold {
            if mask.values[i] > 0 { hit += 1 } else { outside += 1 }
        }
        return Double(hit) / Double(inside + outside)
    }

    /// Over a test set: cIoU@0.5 = share of samples with cIoU ≥ 0.5, and AUC = area under
    /// the success rate (share with cIoU ≥ t) for t = 0, 0.05, ..., 1, by the trapezoid rule
    /// (sklearn.metrics.auc over those 21 points, as the LVS code does); mean = mean cIoU.
    public struct Summary: Sendable, Equatable, Codable {
        public var ciouAt05: Double
        public var auc: Double
        public var meanCIoU: Double
        public var samples: Int
    }

    public static func summarise(_ values: [Double]) throws(MetricError) -> Summary {
        guard !values.isEmpty else { throw MetricError("cIoU AUC", .noSamples, "no localisation samples to summarise") }
        let n = Double(values.count)
        func success(_ t: Double) -> Double { Double(values.filter { $0 >= t }.count) / n }
        let thresholds = (0...20).map { Double($0) * 0.05 }
        var auc = 0.0
        for k in 1..<thresholds.count {
            auc += (thresholds[k] - thresholds[k - 1]) * (success(thresholds[k]) + success(thresholds[k - 1])) / 2
        }
        return Summary(ciouAt05: success(0.5), auc: auc, meanCIoU: values.reduce(0, +) / n, samples: values.count)
    }
}
