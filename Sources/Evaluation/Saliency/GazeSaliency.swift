import Foundation
import MediaFormats

/// Eye-gaze saliency ground truth at the model's map resolution, made as the MIT saliency
/// benchmark makes its fixation density maps: fixation impulses blurred with an isotropic
/// Gaussian of σ = 1 degree of visual angle.
///
/// - Fixations of a frame: every gaze sample flagged `fixation` (saccade samples dropped)
///   of the frames within ±`window` seconds (0.3 s: the same 0.6 s the audio window spans),
///   one impulse per video-rate sample, so longer fixations weigh more.
/// - σ = `sigmaPixels` = 20 SCREEN pixels of the 640×480 recording: 1° at 65 cm viewing
///   distance is 1.13 cm, on a monitor showing 640 pixels over about 36 cm (17.8 px/cm).
/// - Density: each impulse's Gaussian integrated over each cell's screen rectangle
///   (Φ differences in x and y), summed, normalised to sum 1: the same as blurring at
///   screen resolution and area-downsampling to the map, with no truncation at the edges.
///   Mass falling outside the crop the model sees is dropped before normalising.
/// - Fixation map (NSS, AUC-Judd): the number of impulses in each cell; impulses outside
///   the crop are dropped.
/// Checked against `Tests/FixtureScripts/saliency_metrics_reference.py` (scipy).
public enum GazeSaliency {
    public static let sigmaPixels = 20.0
    public static let window = 0.3

    public struct Fixation: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(x: Double, y: Double) { self.x = x; self.y = y }
    }

    /// Fixation samples within ±`window` s of `time`, from one label per frame in order.
    public static func fixations(_ labels: [FrameLabel], around time: Double, window: Double = window) -> [Fixation] {
        guard !labels.isEmpty else { return [] }
        // Labels are one per frame at a constant rate: find the range by time, not by scanning.
        let rate = labels.count > 1 ? Double(labels.count - 1) / max(labels.last!.time - labels[0].time, 1e-9) : 1
        let first = max(0, Int(((time - window - labels[0].time) * rate).rounded(.down)) - 1)
        let last = min(labels.count - 1, Int(((time + window - labels[0].time) * rate).rounded(.up)) + 1)
        guard first <= last else { return [] }
        var out: [Fixation] = []
        for label in labels[first...last] where abs(label.time - time) <= window + 1e-9 {
            if let gaze = label.gaze, gaze.fixation, gaze.x.isFinite, gaze.y.isFinite { out.append(Fixation(x: gaze.x, y: gaze.y)) }
        }
        return out
    }

    /// Blurred density at map resolution, sum 1; all zero when there is no fixation.
    public static func density(_ fixations: [Fixation], geometry g: ScreenGeometry, sigma: Double = sigmaPixels) -> GridMap {
        let n = g.mapSize
        var map = GridMap(width: n, height: n)
        guard !fixations.isEmpty else { return map }
        let edgesX = (0...n).map { g.screenPoint(cropX: g.cellOrigin + Double($0) * g.cellSize, cropY: 0).x }
        let edgesY = (0...n).map { g.screenPoint(cropX: 0, cropY: g.cellOrigin + Double($0) * g.cellSize).y }
        let scale = 1 / (sigma * 2.0.squareRoot())
        for f in fixations {
            let cx = edgesX.map { 0.5 * erfc(-($0 - f.x) * scale) }  // Φ((edge - x) / σ)
            let cy = edgesY.map { 0.5 * erfc(-($0 - f.y) * scale) }
            for row in 0..<n {
                let my = cy[row + 1] - cy[row]
                if my == 0 { continue }
                for column in 0..<n { map[column, row] += my * (cx[column + 1] - cx[column]) }
            }
        }
        let sum = map.values.reduce(0, +)
        if sum > 0 { map.values = map.values.map { $0 / sum } }
        return map
    }

    /// Impulses per cell (fixations inside the crop only).
    public static func fixationMap(_ fixations: [Fixation], geometry g: ScreenGeometry) -> GridMap {
        var map = GridMap(width: g.mapSize, height: g.mapSize)
        for f in fixations {
            if let cell = g.cell(x: f.x, y: f.y) { map[cell.column, cell.row] += 1 }
        }
        return map
    }
}
