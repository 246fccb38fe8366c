import Glibc

/// The similarity transform between screen pixels and scene millimetres for one frame:
/// tissue = origin + mmPerPixel * R(angle) * (screen - apex).
struct ViewTransform: Sendable {
    let origin: Point2
    let millimetresPerPixel: Double
    let cosine: Double
    let sine: Double
    let apex: Point2

    init(layout: ScreenLayout, scene: SceneInstance, settings: MachineSettings, probe: ProbeState) {
        let apex = Point2(layout.apexX, layout.apexY)
        let scale = 1 / (settings.pixelsPerMillimetre(layout) * probe.zoom)
        let angle = scene.angle + probe.angle
        let c = cos(angle), s = sin(angle)
        let v = scene.screenCentre - apex
        // The structure's centre (scene origin) shifted by the probe offset appears at the
        // scene's standard screen position.
        self.apex = apex
        millimetresPerPixel = scale
        cosine = c
        sine = s
        origin = Point2(-probe.offsetX, -probe.offsetY) - Point2(c * v.x - s * v.y, s * v.x + c * v.y) * scale
    }

    /// Millimetres travelled per pixel along a screen direction.
    func rotatedScaled(_ v: Point2) -> Point2 {
        Point2(cosine * v.x - sine * v.y, sine * v.x + cosine * v.y) * millimetresPerPixel
    }

    func tissue(screen: Point2) -> Point2 { origin + rotatedScaled(screen - apex) }

    func screen(tissue p: Point2) -> Point2 {
        let d = (p - origin) / millimetresPerPixel
        return apex + Point2(cosine * d.x + sine * d.y, -sine * d.x + cosine * d.y)
    }
}
