import Platform
import MediaFormats

/// Transverse sections of the fetal chest: four-chamber view, outflow tracts, three vessels
/// and trachea. Anterior is -y (towards the probe), the spine posterior at +y.
enum HeartScenes {
    private static let septum = Tissue(echo: -3, attenuation: 0.10)

    static func add(_ plane: PlaneClass, to s: inout SceneSketch, _ rng: inout SplitMix64) {
        let radius = 17.0
        addChest(radius: radius, to: &s)
        // Heart axis: apex towards anterior-left, about 45 degrees off the midline.
        let axis = -135 + rng.uniform(-12, 12)
        let at = s.local(Point2(-2, -3.5), degrees: axis)
        func ellipse(_ u: Double, _ v: Double, _ ru: Double, _ rv: Double, _ tissue: Tissue?, label: String? = nil) {
            let (x, y) = at(u, v)
            s.ellipse(x, y, ru, rv, degrees: axis, tissue, label: label)
        }
        func capsule(_ u0: Double, _ v0: Double, _ u1: Double, _ v1: Double, _ radius: Double, _ tissue: Tissue?,
                     label: String? = nil) {
            let (x0, y0) = at(u0, v0), (x1, y1) = at(u1, v1)
            s.capsule(x0, y0, x1, y1, radius: radius, tissue, label: label)
        }
        if plane != .threeVesselTrachea { s.heart = (Point2(-2, -3.5) * s.size, 12 * s.size) }
        switch plane {
        case .fourChamber:
            ellipse(0, 0, 11, 8.5, .myocardium, label: "heart")
            ellipse(3.2, -3.4, 5.2, 2.7, .blood, label: "ventricle")  // left ventricle, posterior
            ellipse(3.0, 3.4, 4.6, 2.9, .blood, label: "ventricle")   // right ventricle, anterior
            ellipse(-5.0, -3.3, 3.0, 2.8, .blood, label: "atrium")
            ellipse(-5.0, 3.4, 3.1, 3.0, .blood, label: "atrium")
            // The crux: interventricular septum, AV valve plane and atrial septum with the
            // foramen ovale gap.
            capsule(-0.5, 0, 8.5, 0, 0.9, septum)
            capsule(-0.9, -6.2, -0.9, 6.2, 0.55, septum)
            capsule(-8.0, 0, -5.6, 0, 0.5, septum)
            capsule(-3.6, 0, -1.0, 0, 0.5, septum)
        case .lvot:
            ellipse(0, 0, 11, 8.5, .myocardium, label: "heart")
            ellipse(3.0, -2.8, 6.0, 2.8, .blood, label: "ventricle")
            ellipse(3.4, 3.8, 4.0, 2.2, .blood)
            ellipse(-6.0, -4.2, 2.8, 2.3, .blood)
            capsule(-1.0, -1.2, -10.5, 5.0, 2.6, .membrane)
            capsule(-1.0, -1.2, -10.5, 5.0, 1.9, .blood, label: "aorta")
            capsule(-0.6, 0.6, 8.5, 0.6, 0.8, septum)
        case .rvot:
            ellipse(0, 0, 11, 8.5, .myocardium, label: "heart")
            ellipse(2.6, 2.8, 5.0, 3.0, .blood, label: "ventricle")
            ellipse(3.2, -3.6, 4.6, 2.3, .blood)
            ellipse(-4.0, -0.8, 2.6, 2.6, .membrane)
            ellipse(-4.0, -0.8, 2.0, 2.0, .blood, label: "aorta")
            capsule(0.5, 5.0, -6.0, 4.6, 2.6, .membrane)
            capsule(-6.0, 4.6, -11.5, 0.5, 2.5, .membrane)
            capsule(0.5, 5.0, -6.0, 4.6, 2.0, .blood, label: "pulmonary_artery")
            capsule(-6.0, 4.6, -11.5, 0.5, 1.9, .blood, label: "pulmonary_artery")
            capsule(-11.5, 0.5, -13.5, -3.5, 1.2, .blood, label: "pulmonary_artery")
            capsule(-11.5, 0.5, -14.5, 3.5, 1.2, .blood, label: "pulmonary_artery")
        case .threeVesselTrachea:
            // Upper mediastinum: no chambers; the ductal and aortic arches converge in a V
            // on the descending aorta, the SVC and the trachea to the right.
            s.ellipse(0, -9, 6.5, 4, .thymusTissue)
            s.capsule(-6.8, -5.5, -3.6, radius - 8.3, radius: 2.9, .membrane)
            s.capsule(-6.8, -5.5, -3.6, radius - 8.3, radius: 2.3, .blood, label: "pulmonary_artery")
            s.capsule(-1.2, -3.5, -3.2, radius - 9.2, radius: 2.3, .membrane)
            s.capsule(-1.2, -3.5, -3.2, radius - 9.2, radius: 1.8, .blood, label: "aorta")
            s.ellipse(3.8, -1.6, 1.9, 1.9, .membrane)
            s.ellipse(3.8, -1.6, 1.4, 1.4, .blood)
            s.ring(2.3, 3.4, 1.6, 1.6, thickness: 0.8, .membrane)
            s.ellipse(2.3, 3.4, 1.25, 1.25, .fluid, label: "trachea")
        default:
            break
        }
    }

    /// Chest wall, lungs, ribs, spine and descending aorta, shared by the cardiac planes.
    private static func addChest(radius r: Double, to s: inout SceneSketch) {
        s.ellipse(0, 0, r, r * 0.95, .softTissue)
        s.ring(0, 0, r, r * 0.95, thickness: 0.8, .skin)
        s.ellipse(0, 0, r - 2.2, r * 0.95 - 2.2, .lung)
        s.capsule(-r + 1.6, 2, -r + 3.2, 9, radius: 0.8, .bone)
        s.capsule(r - 1.6, 2, r - 3.2, 9, radius: 0.8, .bone)
        s.capsule(-r + 2.5, -7, -r + 1.4, -2, radius: 0.7, .bone)
        s.capsule(r - 2.5, -7, r - 1.4, -2, radius: 0.7, .bone)
        s.transverseVertebra(0, r - 6.8)
        s.ellipse(-3.6, r - 9.0, 1.8, 1.8, .blood)
    }
}

private extension Tissue {
    static let thymusTissue = Tissue(echo: -16, attenuation: 0.09)
}
