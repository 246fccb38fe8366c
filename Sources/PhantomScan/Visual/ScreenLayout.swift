import Glibc

/// Geometry of the simulated B-mode monitor: the screen size and the fan of a curvilinear
/// (convex) obstetric probe, whose virtual apex sits just above the screen. The standard
/// layout is 640x480 (VGA, what frame grabbers deliver from an ultrasound machine's video
/// out); other sizes scale everything proportionally.
public struct ScreenLayout: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Virtual apex of the fan, in pixels (above the top edge).
    public let apexX: Double
    public let apexY: Double
    /// Radii of the first and last image sample, in pixels from the apex.
    public let innerRadius: Double
    public let outerRadius: Double
    /// Half the opening angle of the fan, radians.
    public let halfAngle: Double
    /// Beams and depth samples of the polar image before scan conversion.
    let beamCount: Int
    let sampleCount: Int

    public static let standard = ScreenLayout(width: 640, height: 480)

    public init(width: Int, height: Int) {
        precondition(width >= 64 && height >= 48, "screen too small for a B-mode layout")
        self.width = width
        self.height = height
        let scale = Double(height) / 480
        apexX = Double(width) / 2
        apexY = -20 * scale
        innerRadius = 60 * scale
        outerRadius = 470 * scale
        halfAngle = 0.6
        beamCount = max(32, Int(320 * scale))
        sampleCount = Int(outerRadius - innerRadius)
    }

    /// Pixels per unit of the 640x480 design, for sizes of UI elements.
    var scale: Double { Double(height) / 480 }

    func beamAngle(_ beam: Double) -> Double {
        -halfAngle + 2 * halfAngle * beam / Double(beamCount - 1)
    }

    func sampleRadius(_ sample: Double) -> Double {
        innerRadius + (outerRadius - innerRadius) * sample / Double(sampleCount - 1)
    }

    func screenPoint(radius: Double, angle: Double) -> (x: Double, y: Double) {
        (apexX + radius * sin(angle), apexY + radius * cos(angle))
    }

    func polar(x: Double, y: Double) -> (radius: Double, angle: Double) {
        let dx = x - apexX, dy = y - apexY
        return ((dx * dx + dy * dy).squareRoot(), atan2(dx, dy))
    }

    /// True inside the imaged fan (between the two arcs and the two edge beams).
    public func sectorContains(x: Double, y: Double, tolerance: Double = 0) -> Bool {
        let (r, a) = polar(x: x, y: y)
        let angleTolerance = tolerance / max(r, 1)
        return r >= innerRadius - tolerance && r <= outerRadius + tolerance
            && abs(a) <= halfAngle + angleTolerance && y > apexY
    }
}
