import Platform
import Glibc
import MediaFormats

/// Trunk and limbs: abdominal circumference plane, kidneys, femur, spine in two planes, and
/// the non-standard views seen while searching.
enum BodyScenes {
    private static let abdominalMuscle = Tissue(echo: -17, attenuation: 0.09)
    private static let renalCapsule = Tissue(echo: -5, attenuation: 0.10)
    private static let cartilage = Tissue(echo: -24, attenuation: 0.08)
    private static let spinalCanal = Tissue(echo: -22, attenuation: 0.08)
    private static let stomachWall = Tissue(echo: -12, attenuation: 0.10)

    static func add(_ plane: PlaneClass, to s: inout SceneSketch, _ rng: inout SplitMix64) {
        switch plane {
        case .abdomen:
            let r = 22.0
            s.ellipse(0, 0, r, r * 0.94, .liver, label: "abdomen")
            s.ring(0, 0, r - 1.6, r * 0.94 - 1.6, thickness: 1.4, abdominalMuscle)
            s.ring(0, 0, r, r * 0.94, thickness: 1.0, .skin)
            s.transverseVertebra(0, r * 0.94 - 7.5)
            s.ellipse(-2.6, r * 0.94 - 11.5, 1.3, 1.3, .blood)
            s.ellipse(3.0, r * 0.94 - 12, 1.4, 1.5, .blood)
            s.ring(-8.5, -1, 6.5, 4.2, degrees: 25, thickness: 0.6, stomachWall)
            s.ellipse(-8.5, -1, 6.3, 4.0, degrees: 25, .fluid, label: "stomach")
            // Umbilical vein: in at the anterior wall, curving to the portal sinus (a "J").
            s.capsule(0.5, -r * 0.94 + 1, 2, -11, radius: 1.3, .blood, label: "umbilical_vein")
            s.capsule(2, -11, 5, -5, radius: 1.3, .blood, label: "umbilical_vein")
            s.capsule(5, -5, 8.5, -3, radius: 1.2, .blood, label: "umbilical_vein")
            for side in [-1.0, 1.0] {
                s.capsule(side * (r - 2), 2, side * (r - 3.6), 9, radius: 0.9, .bone, label: "ribs")
                s.capsule(side * (r - 2.4), -8, side * (r - 1.6), -2.5, radius: 0.8, .bone, label: "ribs")
            }
        case .kidneys:
            let r = 21.0
            s.ellipse(0, 0, r, r * 0.9, .softTissue, label: "abdomen")
            s.ring(0, 0, r, r * 0.9, thickness: 1.0, .skin)
            s.ellipse(0, -7, 12, 7, .bowel)
            s.transverseVertebra(0, r * 0.9 - 7.5)
            s.ellipse(0, r * 0.9 - 11.5, 1.2, 1.2, .blood)
            for side in [-1.0, 1.0] {
                let x = side * 8.6, y = r * 0.9 - 9.5, tilt = side * 25
                s.ellipse(x, y, 4.6, 6.3, degrees: tilt, .kidneyCortex, label: "kidneys")
                s.ring(x, y, 4.6, 6.3, degrees: tilt, thickness: 0.8, renalCapsule)
                s.ellipse(x - side * 1.7, y - 0.3, 1.1, 2.3, degrees: tilt, .fluid)
            }
        case .femur:
            let bend = rng.uniform(-0.5, 0.5)
            // The other thigh lies behind, so the shadow shows as a dark band through tissue.
            s.ellipse(rng.uniform(-6, 6), 17, 26, 7, degrees: rng.uniform(-8, 8), .softTissue)
            s.ellipse(-30, 5, 11, 10, .softTissue)
            s.ellipse(0, 0.5, 23, 8.5, .softTissue)
            s.ellipse(31, 5, 10, 6.5, degrees: 20, .softTissue)
            s.ellipse(31, 5, 1.4, 1.3, .bone)
            s.ellipse(-18.3, 0.2, 2.7, 2.4, cartilage)
            s.ellipse(18.3, 0.3, 2.6, 2.4, cartilage)
            s.capsule(-16, 0.2, 0, bend, radius: 1.6, .denseBone, label: "femur")
            s.capsule(0, bend, 16, 0.3, radius: 1.6, .denseBone, label: "femur")
        case .spineSagittal:
            s.ellipse(0, 16, 52, 24, .softTissue)
            s.ring(0, 16, 52, 24, thickness: 0.9, .skin)
            s.ellipse(-10, 17, 26, 9, .liver)
            s.capsule(-42, -0.5, 31, 0.5, radius: 2.0, spinalCanal)
            var x = -42.0
            while x <= 33 {
                let taper = max(0, (x - 16) / 16) * 2.6
                let curve = 0.0018 * x * x
                s.ellipse(x, -3.6 + taper + curve, 1.5, 1.0, .denseBone)
                s.ellipse(x + 1.2, 2.6 - taper + curve, 1.7, 1.3, .denseBone)
                x += 3.4
            }
            s.capsule(-43, 0, 34, 0, radius: 5.2, nil, label: "spine")
        case .spineCoronal:
            s.ellipse(0, 0, 52, 21, .softTissue)
            var x = -42.0
            while x <= 34 {
                let spread = x < 20 ? 4.6 + (x > 0 ? 0.9 : 0) : 4.6 - min(2.4, (x - 20) / 6)
                s.ellipse(x, 0, 1.5, 1.4, .bone)
                s.ellipse(x, -spread, 1.3, 1.1, .denseBone)
                s.ellipse(x, spread, 1.3, 1.1, .denseBone)
                if x < -12 {
                    s.capsule(x, -spread - 1, x - 4, -spread - 10, radius: 0.7, .bone)
                    s.capsule(x, spread + 1, x - 4, spread + 10, radius: 0.7, .bone)
                }
                x += 3.4
            }
            s.capsule(22, -7, 33, -13, radius: 1.0, .bone)
            s.capsule(22, 7, 33, 13, radius: 1.0, .bone)
            s.capsule(-43, 0, 35, 0, radius: 7.5, nil, label: "spine")
        default:
            break
        }
    }

    /// Non-standard views: oblique cuts through trunk and limbs, cord loops, no plane a
    /// sonographer would stop on. Nothing is labelled.
    static func addBackground(to s: inout SceneSketch, _ rng: inout SplitMix64) {
        if rng.chance(0.7) {
            let rx = rng.uniform(22, 45), ry = rng.uniform(12, 20), angle = rng.uniform(-90, 90)
            let cx = rng.uniform(-15, 15), cy = rng.uniform(-8, 8)
            s.ellipse(cx, cy, rx, ry, degrees: angle, rng.chance(0.5) ? .softTissue : .liver)
            s.ring(cx, cy, rx, ry, degrees: angle, thickness: 0.8, .skin)
            for _ in 0..<rng.index(4) {
                let x = cx + rng.uniform(-0.5, 0.5) * rx, y = cy + rng.uniform(-0.5, 0.5) * ry
                let tissue: Tissue = [.fluid, .bowel, .blood, .lung][rng.index(4)]
                s.ellipse(x, y, rng.uniform(2, 7), rng.uniform(2, 5), degrees: rng.uniform(0, 180), tissue)
            }
            if rng.chance(0.5) {
                // Ribs cut obliquely: short bright arcs with shadows.
                let heading = rng.uniform(0, Double.pi)
                for k in 0..<(2 + rng.index(3)) {
                    let offset = Double(k) * 4.5 - 6
                    let x = cx + offset * cos(heading), y = cy - ry * 0.6 + offset * sin(heading)
                    s.capsule(x - 3, y, x + 3, y + 1, radius: 0.7, .bone)
                }
            }
        }
        for _ in 0..<rng.index(3) {
            let x = rng.uniform(-40, 40), y = rng.uniform(-25, 30)
            let r = rng.uniform(5, 9)
            s.ellipse(x, y, r, r * rng.uniform(0.7, 1.0), degrees: rng.uniform(0, 180), .softTissue)
            s.ellipse(x + rng.uniform(-1, 1), y, 1.3, 1.2, .bone)
        }
        for _ in 0..<(1 + rng.index(2)) { SceneSurroundings.addCord(to: &s, &rng, awayFrom: 5) }
    }
}
