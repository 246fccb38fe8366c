import Glibc

/// Where the probe sits for a close-up of one structure: the zoom and offset that keep the
/// structure whole inside the fan and push its neighbours (the plane's other close-up
/// targets) out of it, as a sonographer zooms onto the lips or the stomach bubble. Searched
/// once per visit over zooms and on-screen positions of the structure; deterministic.
enum CloseUpFraming {
    /// Least share of the structure's outline that must stay inside the fan.
    static let minimumFocusShare = 0.95

    /// The framing as a probe pose relative to the standard view (add the hand's motion to it
    /// with `ProbeState.framed(by:)`); the standard pose when the scene does not draw `focus`.
    static func probe(focus: String, partners: [String], scene: SceneInstance, layout: ScreenLayout,
                      settings: MachineSettings, zooms: CloseUpZooms = .standard) -> ProbeState {
        // The structure's largest piece (one rib of the four, one lip outline of its pieces).
        let pieces = scene.labelled.filter { $0.name == focus }.map(\.outline)
        guard let target = pieces.max(by: { abs(area($0)) < abs(area($1)) }) else { return .standard }
        let centre = target.reduce(Point2(0, 0), +) / Double(target.count)
        let others = scene.labelled.filter { partners.contains($0.name) }.map(\.outline)
        var best: (score: Double, tieBreak: Double, probe: ProbeState) = (.infinity, .infinity, .standard)
        let depthSpan = layout.outerRadius - layout.innerRadius
        for zoom in zooms.candidates.sorted() {
            for radiusStep in 0...14 {
                let radius = layout.innerRadius + depthSpan * (0.12 + 0.055 * Double(radiusStep))
                for angleStep in -3...3 {
                    let angle = layout.halfAngle * 0.25 * Double(angleStep)
                    let (x, y) = layout.screenPoint(radius: radius, angle: angle)
                    let probe = placing(centre, atScreen: Point2(x, y), zoom: zoom, scene: scene, layout: layout,
                                        settings: settings)
                    let view = ViewTransform(layout: layout, scene: scene, settings: settings, probe: probe)
                    guard visibleShare(target, view, layout) >= minimumFocusShare else { continue }
                    let partnerArea = others.reduce(0.0) { $0 + visibleArea($1, view, layout) }
                    let partnerTotal = others.reduce(0.0) { $0 + abs(area($1.map { view.screen(tissue: $0) })) }
                    let score = partnerTotal > 0 ? partnerArea / partnerTotal : 0
                    // Among equally clean framings: the closest zoom to the preferred one, then the fan's middle.
                    let tieBreak = abs(zoom - zooms.preferred) + 0.01 * (abs(Double(angleStep)) + abs(Double(radiusStep) - 7) / 2)
                    if score < best.score - 0.01 || (abs(score - best.score) <= 0.01 && tieBreak < best.tieBreak) {
                        best = (score, tieBreak, probe)
                    }
                }
            }
        }
        return best.probe
    }

    /// The probe offset (mm) and zoom that show tissue point `centre` at screen point `point`:
    /// `ViewTransform` maps screen p to -offset + s R (p - screenCentre).
    static func placing(_ centre: Point2, atScreen point: Point2, zoom: Double, scene: SceneInstance,
                        layout: ScreenLayout, settings: MachineSettings) -> ProbeState {
        let scale = 1 / (settings.pixelsPerMillimetre(layout) * zoom)
        let c = cos(scene.angle), s = sin(scene.angle)
        let v = point - scene.screenCentre
        let rotated = Point2(c * v.x - s * v.y, s * v.x + c * v.y) * scale
        return ProbeState(offsetX: rotated.x - centre.x, offsetY: rotated.y - centre.y, angle: 0, zoom: zoom)
    }

    private static func visibleArea(_ outline: [Point2], _ view: ViewTransform, _ layout: ScreenLayout) -> Double {
        guard let clipped = SectorClipping.clip(outline.map { view.screen(tissue: $0) }, layout: layout) else { return 0 }
        return abs(area(clipped.map { Point2($0[0], $0[1]) }))
    }

    private static func visibleShare(_ outline: [Point2], _ view: ViewTransform, _ layout: ScreenLayout) -> Double {
        let whole = abs(area(outline.map { view.screen(tissue: $0) }))
        return whole > 0 ? visibleArea(outline, view, layout) / whole : 0
    }

    private static func area(_ polygon: [Point2]) -> Double { SectorClipping.area(polygon) }
}

/// The zooms a close-up may use. The standard ones (1.8-3.5) push the partners out of the fan
/// but show the structure larger than any standard view does, so its cells are not the standard
/// view's; zooms near 1 pan onto the structure at the standard view's scale and leave more of
/// the partners in.
public struct CloseUpZooms: Sendable, Equatable, CustomStringConvertible {
    /// Tried in increasing order.
    public let candidates: [Double]
    /// Chosen among framings that hide the partners equally well.
    public let preferred: Double

    public static let standard = CloseUpZooms(validated: [2.2, 1.8, 2.6, 3.0, 3.5])

    /// "1.2,1.4,1.6": the zooms to try, the first preferred; each in 1...4.
    public init(parsing text: String) throws(CloseUpZoomsError) {
        let values = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.count <= 8, values.allSatisfy({ $0.map { (1...4).contains($0) } ?? false }) else {
            throw CloseUpZoomsError(text: text)
        }
        self.init(validated: values.map { $0! })
    }

    private init(validated values: [Double]) {
        candidates = values
        preferred = values[0]
    }

    /// As given to `--close-up-zooms` (the first preferred).
    public var description: String { candidates.map { String(format: "%g", $0) }.joined(separator: ",") }
}

public struct CloseUpZoomsError: Error, CustomStringConvertible {
    public let text: String
    public var description: String {
        "close-up zooms must be 1 to 8 comma-separated values between 1 and 4, the preferred first (for example 1.2,1.4), not '\(text)'"
    }
}
