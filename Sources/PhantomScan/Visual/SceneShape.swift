import Glibc

typealias Point2 = SIMD2<Double>

/// Acoustic properties of a tissue: backscatter level and round-trip attenuation.
struct Tissue: Sendable {
    /// Mean backscattered power relative to the speckle texture's unit power, dB.
    var echo: Double
    /// Round-trip attenuation, dB per millimetre travelled.
    var attenuation: Double
    /// Amplitude (dB) of slow echo variation inside the tissue (organs are not uniform).
    var mottle: Double = 0

    static let fluid = Tissue(echo: -56, attenuation: 0.015)
    static let blood = Tissue(echo: -48, attenuation: 0.03)
    static let brain = Tissue(echo: -23, attenuation: 0.08, mottle: 3)
    static let softTissue = Tissue(echo: -11, attenuation: 0.10, mottle: 3.5)
    static let liver = Tissue(echo: -13, attenuation: 0.10, mottle: 3.5)
    static let lung = Tissue(echo: -5, attenuation: 0.11, mottle: 3)
    static let myocardium = Tissue(echo: -16, attenuation: 0.10)
    static let skin = Tissue(echo: -4, attenuation: 0.12)
    static let membrane = Tissue(echo: -3, attenuation: 0.10)
    /// Bone reflects and absorbs nearly everything: an acoustic shadow behind it.
    static let bone = Tissue(echo: 9, attenuation: 3.5)
    static let denseBone = Tissue(echo: 13, attenuation: 5.5)
    /// The fetal skull at 20 weeks is thin and still lets the brain be seen.
    static let skull = Tissue(echo: 9, attenuation: 1.6)
    static let placenta = Tissue(echo: -8, attenuation: 0.10, mottle: 3)
    static let uterus = Tissue(echo: -12, attenuation: 0.11, mottle: 2)
    static let kidneyCortex = Tissue(echo: -19, attenuation: 0.09)
    static let bowel = Tissue(echo: -6, attenuation: 0.11, mottle: 4)
}

/// One primitive of a scene, in millimetres (x lateral, y deeper), optionally named.
struct SceneShape: Sendable {
    enum Geometry: Sendable {
        case ellipse(centre: Point2, radii: Point2, angle: Double)
        /// An elliptical band of `thickness` centred on the ellipse.
        case ring(centre: Point2, radii: Point2, angle: Double, thickness: Double)
        case capsule(from: Point2, to: Point2, radius: Double)
        /// A closed outline (face profiles and other irregular shapes).
        case polygon([Point2])
    }

    var geometry: Geometry
    /// nil for a shape that only labels a region (e.g. the heart's outline).
    var tissue: Tissue?
    var label: String?
    /// Width of the edge blend, mm.
    var softness: Double = 0.9

    /// Approximate signed distance in mm (negative inside). Scalar arithmetic: this runs for
    /// every texel of every scene, also in debug builds.
    func distance(_ p: Point2) -> Double {
        switch geometry {
        case let .ellipse(centre, radii, angle):
            return Self.ellipseDistance(p.x - centre.x, p.y - centre.y, radii.x, radii.y, angle)
        case let .ring(centre, radii, angle, thickness):
            return abs(Self.ellipseDistance(p.x - centre.x, p.y - centre.y, radii.x, radii.y, angle)) - thickness / 2
        case let .capsule(from, to, radius):
            return Self.segmentDistance(p.x, p.y, from.x, from.y, to.x, to.y) - radius
        case let .polygon(points):
            return Self.polygonDistance(p, points)
        }
    }

    /// Bounding box (min, max) including the edge blend.
    var bounds: (Point2, Point2) {
        let margin = softness + 0.5
        switch geometry {
        case let .ellipse(centre, radii, _):
            let r = max(radii.x, radii.y) + margin
            return (centre - r, centre + r)
        case let .ring(centre, radii, _, thickness):
            let r = max(radii.x, radii.y) + thickness / 2 + margin
            return (centre - r, centre + r)
        case let .capsule(from, to, radius):
            let r = radius + margin
            return (Point2(min(from.x, to.x), min(from.y, to.y)) - r, Point2(max(from.x, to.x), max(from.y, to.y)) + r)
        case let .polygon(points):
            let low = points.reduce(Point2(repeating: .infinity)) { pointwiseMin($0, $1) }
            let high = points.reduce(Point2(repeating: -.infinity)) { pointwiseMax($0, $1) }
            return (low - margin, high + margin)
        }
    }

    /// Outline for the labels, mm.
    var outline: [Point2] {
        switch geometry {
        case let .ellipse(centre, radii, angle):
            return Self.ellipseOutline(centre, radii, angle)
        case let .ring(centre, radii, angle, thickness):
            return Self.ellipseOutline(centre, radii + thickness / 2, angle)
        case let .capsule(from, to, radius):
            let axis = to - from
            let heading = atan2(axis.y, axis.x)
            var points: [Point2] = []
            for k in 0...8 {
                let a = heading - Double.pi / 2 + Double.pi * Double(k) / 8
                points.append(to + radius * Point2(cos(a), sin(a)))
            }
            for k in 0...8 {
                let a = heading + Double.pi / 2 + Double.pi * Double(k) / 8
                points.append(from + radius * Point2(cos(a), sin(a)))
            }
            return points
        case let .polygon(points):
            return points
        }
    }

    /// The same shape rotated by `angle` about the origin after an optional mirror in x.
    func transformed(angle: Double, mirrored: Bool) -> SceneShape {
        func map(_ p: Point2) -> Point2 { Self.transform(p, angle: angle, mirrored: mirrored) }
        func mapAngle(_ a: Double) -> Double { (mirrored ? -a : a) + angle }
        var copy = self
        switch geometry {
        case let .ellipse(centre, radii, a):
            copy.geometry = .ellipse(centre: map(centre), radii: radii, angle: mapAngle(a))
        case let .ring(centre, radii, a, thickness):
            copy.geometry = .ring(centre: map(centre), radii: radii, angle: mapAngle(a), thickness: thickness)
        case let .capsule(from, to, radius):
            copy.geometry = .capsule(from: map(from), to: map(to), radius: radius)
        case let .polygon(points):
            copy.geometry = .polygon(points.map(map))
        }
        return copy
    }

    private static func ellipseDistance(_ dx: Double, _ dy: Double, _ rx: Double, _ ry: Double, _ angle: Double) -> Double {
        let c = cos(angle), s = sin(angle)
        let x = c * dx + s * dy, y = -s * dx + c * dy
        let u = x / rx, v = y / ry
        let q = (u * u + v * v).squareRoot()
        // First-order distance: (q - 1) / |grad q|, exact on the boundary, good enough near it.
        let gx = u / rx, gy = v / ry
        let gradient = (gx * gx + gy * gy).squareRoot() / max(q, 1e-9)
        return q < 1e-9 ? -min(rx, ry) : (q - 1) / max(gradient, 1e-9)
    }

    private static func segmentDistance(_ px: Double, _ py: Double, _ ax: Double, _ ay: Double,
                                        _ bx: Double, _ by: Double) -> Double {
        let ex = bx - ax, ey = by - ay, fx = px - ax, fy = py - ay
        let t = max(0, min(1, (fx * ex + fy * ey) / max(ex * ex + ey * ey, 1e-12)))
        let dx = fx - t * ex, dy = fy - t * ey
        return (dx * dx + dy * dy).squareRoot()
    }

    /// A point rotated by `angle` about the origin after an optional mirror in x.
    static func transform(_ p: Point2, angle: Double, mirrored: Bool) -> Point2 {
        let c = cos(angle), s = sin(angle)
        let q = mirrored ? Point2(-p.x, p.y) : p
        return Point2(c * q.x - s * q.y, s * q.x + c * q.y)
    }

    /// Distance to the nearest edge, negative inside (even-odd rule).
    private static func polygonDistance(_ p: Point2, _ points: [Point2]) -> Double {
        var nearest = Double.infinity
        var inside = false
        var previous = points[points.count - 1]
        for current in points {
            nearest = min(nearest, segmentDistance(p.x, p.y, previous.x, previous.y, current.x, current.y))
            if (current.y > p.y) != (previous.y > p.y),
               p.x < previous.x + (p.y - previous.y) * (current.x - previous.x) / (current.y - previous.y) {
                inside.toggle()
            }
            previous = current
        }
        return inside ? -nearest : nearest
    }

    private static func ellipseOutline(_ centre: Point2, _ radii: Point2, _ angle: Double) -> [Point2] {
        let c = cos(angle), s = sin(angle)
        return (0..<36).map { k in
            let t = 2 * Double.pi * Double(k) / 36
            let x = radii.x * cos(t), y = radii.y * sin(t)
            return centre + Point2(c * x - s * y, s * x + c * y)
        }
    }
}
