import Glibc

/// Clips label outlines to the imaged fan. The fan is a rectangle in polar coordinates, so
/// outlines are densified, clipped there, and mapped back; arcs stay arcs.
enum SectorClipping {
    /// The part of `polygon` (screen pixels) inside the fan as [[x, y]], or nil if nothing
    /// of it (less than a few pixels) is visible.
    static func clip(_ polygon: [Point2], layout: ScreenLayout) -> [[Double]]? {
        guard polygon.count >= 3 else { return nil }
        var polar = densified(polygon, maxStep: 5).map { p -> Point2 in
            let (r, a) = layout.polar(x: p.x, y: p.y)
            return Point2(r, a)
        }
        polar = clipHalfPlane(polar, axis: 0, limit: layout.innerRadius, keepAbove: true)
        polar = clipHalfPlane(polar, axis: 0, limit: layout.outerRadius, keepAbove: false)
        polar = clipHalfPlane(polar, axis: 1, limit: -layout.halfAngle, keepAbove: true)
        polar = clipHalfPlane(polar, axis: 1, limit: layout.halfAngle, keepAbove: false)
        guard polar.count >= 3 else { return nil }
        // Edges along the clipped arcs may be long in angle: refine them before mapping back.
        var screen: [Point2] = []
        for k in polar.indices {
            let a = polar[k], b = polar[(k + 1) % polar.count]
            let steps = max(1, Int(max(abs(b.y - a.y) / 0.02, abs(b.x - a.x) / 5).rounded(.up)))
            for j in 0..<steps {
                let p = a + (b - a) * (Double(j) / Double(steps))
                let (x, y) = layout.screenPoint(radius: p.x, angle: p.y)
                screen.append(Point2(x, y))
            }
        }
        guard abs(area(screen)) >= 4 else { return nil }
        return simplified(screen, tolerance: 0.4).map { [($0.x * 10).rounded() / 10, ($0.y * 10).rounded() / 10] }
    }

    private static func densified(_ polygon: [Point2], maxStep: Double) -> [Point2] {
        var out: [Point2] = []
        for k in polygon.indices {
            let a = polygon[k], b = polygon[(k + 1) % polygon.count]
            let d = b - a
            let steps = max(1, Int(((d * d).sum().squareRoot() / maxStep).rounded(.up)))
            for j in 0..<steps { out.append(a + d * (Double(j) / Double(steps))) }
        }
        return out
    }

    /// Sutherland-Hodgman against one axis-aligned half plane.
    private static func clipHalfPlane(_ polygon: [Point2], axis: Int, limit: Double, keepAbove: Bool) -> [Point2] {
        guard !polygon.isEmpty else { return [] }
        func inside(_ p: Point2) -> Bool { keepAbove ? p[axis] >= limit : p[axis] <= limit }
        var out: [Point2] = []
        for k in polygon.indices {
            let current = polygon[k], previous = polygon[(k + polygon.count - 1) % polygon.count]
            if inside(current) != inside(previous) {
                let t = (limit - previous[axis]) / (current[axis] - previous[axis])
                var crossing = previous + (current - previous) * t
                crossing[axis] = limit
                out.append(crossing)
            }
            if inside(current) { out.append(current) }
        }
        return out
    }

    /// Signed area (shoelace), px² for screen outlines, mm² for tissue ones.
    static func area(_ polygon: [Point2]) -> Double {
        var sum = 0.0
        for k in polygon.indices {
            let a = polygon[k], b = polygon[(k + 1) % polygon.count]
            sum += a.x * b.y - b.x * a.y
        }
        return sum / 2
    }

    /// Douglas-Peucker on the closed outline: keeps the vertices needed to stay within
    /// `tolerance` pixels of it.
    private static func simplified(_ polygon: [Point2], tolerance: Double) -> [Point2] {
        let n = polygon.count
        guard n > 4 else { return polygon }
        // Split the closed outline at vertex 0 and the vertex farthest from it.
        var far = 0, farDistance = 0.0
        for k in 1..<n {
            let d = polygon[k] - polygon[0]
            if (d * d).sum() > farDistance { farDistance = (d * d).sum(); far = k }
        }
        var keep = [Bool](repeating: false, count: n + 1)
        keep[0] = true; keep[far] = true; keep[n] = true
        var stack = [(0, far), (far, n)]
        while let (first, last) = stack.popLast() {
            guard last - first > 1 else { continue }
            let a = polygon[first], b = polygon[last % n]
            let e = b - a
            let length = max((e * e).sum().squareRoot(), 1e-9)
            var worst = first, worstDistance = -1.0
            for k in (first + 1)..<last {
                let d = polygon[k] - a
                let distance = length > 1e-6 ? abs(d.x * e.y - d.y * e.x) / length : (d * d).sum().squareRoot()
                if distance > worstDistance { worstDistance = distance; worst = k }
            }
            if worstDistance > tolerance {
                keep[worst] = true
                stack.append((first, worst))
                stack.append((worst, last))
            }
        }
        return (0..<n).filter { keep[$0] }.map { polygon[$0] }
    }
}
