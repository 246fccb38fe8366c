import Platform
import Glibc
import MediaFormats

/// Collects the primitives of one anatomy drawing. Coordinates are millimetres of a 20-week
/// fetus, multiplied by `size` (natural variation between fetuses).
struct SceneSketch {
    private(set) var shapes: [SceneShape] = []
    let size: Double
    /// The beating heart, if drawn: centre and radius in mm.
    var heart: (centre: Point2, radius: Double)?

    init(size: Double) { self.size = size }

    private func point(_ x: Double, _ y: Double) -> Point2 { Point2(x, y) * size }

    mutating func ellipse(_ x: Double, _ y: Double, _ rx: Double, _ ry: Double, degrees: Double = 0,
                          _ tissue: Tissue?, label: String? = nil, softness: Double = 0.9) {
        shapes.append(SceneShape(geometry: .ellipse(centre: point(x, y), radii: Point2(rx, ry) * size,
                                                    angle: degrees * Double.pi / 180),
                                 tissue: tissue, label: label, softness: softness))
    }

    mutating func ring(_ x: Double, _ y: Double, _ rx: Double, _ ry: Double, degrees: Double = 0, thickness: Double,
                       _ tissue: Tissue, label: String? = nil, softness: Double = 0.5) {
        shapes.append(SceneShape(geometry: .ring(centre: point(x, y), radii: Point2(rx, ry) * size,
                                                 angle: degrees * Double.pi / 180, thickness: thickness * size),
                                 tissue: tissue, label: label, softness: softness))
    }

    mutating func capsule(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, radius: Double,
                          _ tissue: Tissue?, label: String? = nil, softness: Double = 0.5) {
        shapes.append(SceneShape(geometry: .capsule(from: point(x0, y0), to: point(x1, y1), radius: radius * size),
                                 tissue: tissue, label: label, softness: softness))
    }

    mutating func polygon(_ points: [(Double, Double)], _ tissue: Tissue?, label: String? = nil, softness: Double = 0.6) {
        shapes.append(SceneShape(geometry: .polygon(points.map { point($0.0, $0.1) }), tissue: tissue, label: label,
                                 softness: softness))
    }

    /// A vertebra in transverse section (body and two laminae), posterior towards +y, with
    /// its label; the dense bone casts the shadow sonographers expect behind the spine.
    mutating func transverseVertebra(_ x: Double, _ y: Double) {
        ellipse(x, y, 2.7, 2.4, .denseBone)
        capsule(x - 1.3, y + 2.6, x - 3.0, y + 5.0, radius: 0.9, .denseBone)
        capsule(x + 1.3, y + 2.6, x + 3.0, y + 5.0, radius: 0.9, .denseBone)
        ellipse(x, y + 3.4, 1.1, 1.0, .brain)
        ellipse(x, y + 2.0, 4.6, 4.4, nil, label: "spine")
    }

    /// Shapes of a local frame (heart axes...) placed at `origin`, rotated by `degrees`.
    func local(_ origin: Point2, degrees: Double) -> (Double, Double) -> (Double, Double) {
        let a = degrees * Double.pi / 180, c = cos(a), s = sin(a)
        return { u, v in (origin.x + c * u - s * v, origin.y + s * u + c * v) }
    }
}

/// The surroundings of every scene: amniotic fluid (the fill), the posterior uterine wall,
/// the placenta anterior or posterior, loops of umbilical cord.
enum SceneSurroundings {
    static func add(to sketch: inout SceneSketch, _ rng: inout SplitMix64) {
        let wallDepth = rng.uniform(58, 75)
        sketch.ellipse(rng.uniform(-20, 20), wallDepth + 60, 230, 60, degrees: rng.uniform(-6, 6), .uterus, softness: 3)
        if rng.chance(0.5) {
            sketch.ellipse(rng.uniform(-50, 50), wallDepth - 6, rng.uniform(45, 70), rng.uniform(10, 15),
                           degrees: rng.uniform(-10, 10), .placenta, softness: 2)
        } else {
            sketch.ellipse(rng.uniform(-50, 50), -rng.uniform(42, 52), rng.uniform(45, 70), rng.uniform(9, 13),
                           degrees: rng.uniform(-10, 10), .placenta, softness: 2)
        }
        for _ in 0..<rng.index(3) { addCord(to: &sketch, &rng, awayFrom: 32) }
    }

    /// A loop of cord cut across: a chain of small vessels with bright walls.
    static func addCord(to sketch: inout SceneSketch, _ rng: inout SplitMix64, awayFrom clearance: Double) {
        let heading = rng.uniform(0, 2 * Double.pi)
        let distance = rng.uniform(clearance, clearance + 20)
        var x = distance * cos(heading), y = distance * sin(heading) * 0.8
        var direction = rng.uniform(0, 2 * Double.pi)
        for _ in 0..<(3 + rng.index(4)) {
            sketch.ellipse(x, y, 2.6, 2.2, degrees: direction * 57, .membrane)
            sketch.ellipse(x, y, 1.6, 1.3, degrees: direction * 57, .blood)
            direction += rng.uniform(-0.6, 0.6)
            x += 4.5 * cos(direction)
            y += 4.5 * sin(direction)
        }
    }
}

/// The anatomy drawing of each plane class, before placement on screen.
enum AnatomyScenes {
    /// Shapes in millimetres around the structure's centre, already varied in size,
    /// orientation and handedness.
    static func drawing(for plane: PlaneClass, _ rng: inout SplitMix64) -> AnatomyDrawing {
        var surroundings = SceneSketch(size: 1)
        SceneSurroundings.add(to: &surroundings, &rng)
        var sketch = SceneSketch(size: rng.uniform(0.88, 1.12))
        let tilt: Double
        switch plane {
        case .fourChamber, .lvot, .rvot, .threeVesselTrachea:
            HeartScenes.add(plane, to: &sketch, &rng); tilt = 55
        case .brainTransventricular, .brainTranscerebellar:
            HeadScenes.add(plane, to: &sketch, &rng); tilt = 20
        case .lips, .profile:
            HeadScenes.add(plane, to: &sketch, &rng); tilt = 15
        case .abdomen, .kidneys:
            BodyScenes.add(plane, to: &sketch, &rng); tilt = 40
        case .femur, .spineSagittal, .spineCoronal:
            BodyScenes.add(plane, to: &sketch, &rng); tilt = 10
        case .background:
            BodyScenes.addBackground(to: &sketch, &rng); tilt = 180
        }
        // The fetus turns and lies either way round; the uterus around it stays put.
        let angle = rng.uniform(-tilt, tilt) * Double.pi / 180
        let mirrored = rng.chance(0.5)
        let shapes = surroundings.shapes + sketch.shapes.map { $0.transformed(angle: angle, mirrored: mirrored) }
        let heart = sketch.heart.map { (SceneShape.transform($0.centre, angle: angle, mirrored: mirrored), $0.radius) }
        return AnatomyDrawing(shapes: shapes, heart: heart)
    }
}

/// A plane's primitives, plus the region that beats (cardiac planes).
struct AnatomyDrawing: Sendable {
    var shapes: [SceneShape]
    var heart: (centre: Point2, radius: Double)?
}
