import Platform
import MediaFormats

/// The fetal head: transventricular and transcerebellar sections (frontal towards +x), the
/// coronal view of nose and lips and the mid-sagittal profile (face towards the probe).
enum HeadScenes {
    private static let choroidPlexus = Tissue(echo: -3, attenuation: 0.10)
    private static let thalamus = Tissue(echo: -31, attenuation: 0.08)
    private static let cerebellum = Tissue(echo: -32, attenuation: 0.08)
    private static let vermis = Tissue(echo: -5, attenuation: 0.09)
    private static let faint = Tissue(echo: -13, attenuation: 0.09)
    private static let lip = Tissue(echo: -4, attenuation: 0.10)
    private static let subcutis = Tissue(echo: -19, attenuation: 0.09, mottle: 2)

    static func add(_ plane: PlaneClass, to s: inout SceneSketch, _ rng: inout SplitMix64) {
        switch plane {
        case .brainTransventricular:
            addSkull(to: &s)
            s.capsule(-27, 0, -4, 0, radius: 0.45, .membrane)
            s.capsule(16, 0, 27, 0, radius: 0.45, .membrane)
            addCavumSeptiPellucidi(x: 10, to: &s)
            // Lateral ventricle of the far hemisphere: anterior horn and atrium with the
            // bright choroid plexus (the near one is lost in reverberation).
            s.capsule(4, 3.6, 12, 6.2, radius: 1.4, .fluid, label: "ventricles_brain")
            s.capsule(-20, 10.5, 12, 8.2, radius: 0.35, faint)
            s.ellipse(-13, 7.5, 6.6, 3.3, degrees: -15, .fluid, label: "ventricles_brain")
            s.ellipse(-12.2, 7.3, 4.6, 2.2, degrees: -15, choroidPlexus)
            s.capsule(-3, 15, 7, 13.5, radius: 0.6, faint)
        case .brainTranscerebellar:
            addSkull(to: &s)
            s.capsule(17, 0, 27, 0, radius: 0.45, .membrane)
            addCavumSeptiPellucidi(x: 10.5, to: &s)
            s.ellipse(1.5, -3.9, 5.2, 3.2, thalamus)
            s.ellipse(1.5, 3.9, 5.2, 3.2, thalamus)
            s.capsule(-2, 0, 5, 0, radius: 0.3, .membrane)
            // Cerebellum: two round hemispheres joined by the bright vermis, the cisterna
            // magna (fluid) behind it.
            s.ellipse(-22.5, 0, 3.6, 6.8, .fluid)
            for side in [-1.0, 1.0] {
                s.ellipse(-15.5, 5.0 * side, 4.8, 4.6, cerebellum)
                s.ring(-15.5, 5.0 * side, 4.8, 4.6, thickness: 1.0, faint)
            }
            s.ellipse(-15, 0, 3.2, 2.6, vermis)
            s.ellipse(-15.5, 0, 5.6, 10.4, nil, label: "cerebellum")
        case .lips:
            // Coronal, tangent to the face: nose with nostrils, upper lip, mouth, lower lip, chin.
            s.ellipse(0, 4, 18, 13, subcutis)
            s.ellipse(-12, -2, 7, 9, subcutis)
            s.ellipse(12, -2, 7, 9, subcutis)
            s.ring(0, 4, 18, 13, thickness: 0.6, .skin)
            s.ellipse(0, -14, 6.5, 5, .softTissue, label: "nose")
            s.ring(0, -14, 6.5, 5, thickness: 0.6, .skin)
            s.ellipse(-2.1, -14, 1.3, 1.5, .fluid)
            s.ellipse(2.1, -14, 1.3, 1.5, .fluid)
            s.ellipse(0, -5.6, 10.5, 3.4, lip)
            s.ellipse(0, 1.6, 8.8, 3.0, lip)
            s.capsule(-8, -1.9, 8, -1.9, radius: 0.7, .fluid)
            s.capsule(-6, 12, 6, 12, radius: 0.7, .bone)
            s.ellipse(0, -2, 11, 7, nil, label: "lips")
        case .profile:
            // Mid-sagittal, fetus supine: the cranium's long axis runs away from the probe,
            // the face profile (forehead, nose, lips, chin) faces up towards +x and -y.
            // Face points are drawn 45% larger than listed about the nasion: a 20-week face
            // is large relative to the skull.
            let surface: [(Double, Double)] = [
                (-16, -17), (-7, -15), (-1, -12.4), (2, -10.4), (5, -12.8), (7.6, -15.3), (8.9, -15.6),
                (9.9, -13.6), (10.3, -10.9), (11.6, -11.8), (13, -12.0), (14.2, -10.2), (15.2, -11.4),
                (16.5, -11.3), (17.6, -9.3), (19.5, -9.8), (21.5, -9.8), (23, -7.6), (23.5, -4.6),
                (26, -0.5), (31, 3), (36, 10), (34, 26), (10, 34), (-14, 26),
            ].map(enlarged)
            let profileLine = Self.smoothed(Array(surface[0..<20]))
            s.polygon(profileLine + surface[20...], subcutis, softness: 0.8)
            // The skin against the amniotic fluid draws the profile line.
            for k in 1..<profileLine.count {
                let a = profileLine[k - 1], b = profileLine[k]
                s.capsule(a.0, a.1, b.0, b.1, radius: 0.5, .skin)
            }
            s.ellipse(-14, 11, 18, 26, .brain)
            s.ring(-14, 11, 18, 26, thickness: 2.0, .skull)
            func bone(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ radius: Double) {
                let a = enlarged((x0, y0)), b = enlarged((x1, y1))
                s.capsule(a.0, a.1, b.0, b.1, radius: radius, .bone)
            }
            bone(2.4, -10.9, 5.8, -13.0, 0.55)  // nasal bone
            bone(4, -6.5, 12, -7.2, 0.6)        // maxilla
            bone(15, -6.6, 21, -7.6, 0.8)       // mandible
            s.polygon([(2, -10.4), (5, -12.8), (7.6, -15.3), (8.9, -15.6), (9.9, -13.6), (10.3, -10.9), (6, -9.6)]
                        .map(enlarged), nil, label: "nose")
            s.polygon([(10.3, -10.9), (11.6, -11.8), (13, -12.0), (14.2, -10.2), (15.2, -11.4), (16.5, -11.3),
                       (17.6, -9.3), (16, -7.6), (11, -7.8)].map(enlarged), nil, label: "lips")
            s.polygon([(-7, -15), (-1, -12.4), (2, -10.4), (7.6, -15.3), (8.9, -15.6), (10.3, -10.9), (13, -12.0),
                       (16.5, -11.3), (21.5, -9.8), (23.5, -4.6), (14, -3), (0, -4), (-8, -8)].map(enlarged),
                      nil, label: "face")
        default:
            break
        }
    }

    /// Catmull-Rom through the points (4 segments between neighbours): a smooth outline.
    private static func smoothed(_ points: [(Double, Double)]) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        for k in 0..<(points.count - 1) {
            let p0 = points[max(k - 1, 0)], p1 = points[k], p2 = points[k + 1], p3 = points[min(k + 2, points.count - 1)]
            for step in 0..<4 {
                let t = Double(step) / 4, t2 = t * t, t3 = t2 * t
                func blend(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> Double {
                    0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t2 + (3 * b - a - 3 * c + d) * t3)
                }
                out.append((blend(p0.0, p1.0, p2.0, p3.0), blend(p0.1, p1.1, p2.1, p3.1)))
            }
        }
        out.append(points[points.count - 1])
        return out
    }

    /// Profile features 45% larger about the nasion.
    private static func enlarged(_ p: (Double, Double)) -> (Double, Double) {
        (2 + 1.45 * (p.0 - 2), -10.4 + 1.45 * (p.1 + 10.4))
    }

    private static func addSkull(to s: inout SceneSketch) {
        s.ellipse(0, 0, 30, 24, .brain)
        s.ring(0, 0, 32.2, 26.2, thickness: 1.6, .softTissue)
        s.ring(0, 0, 30, 24, thickness: 2.4, .skull, label: "skull")
    }

    private static func addCavumSeptiPellucidi(x: Double, to s: inout SceneSketch) {
        s.ellipse(x, 0, 4.2, 2.0, .fluid)
        s.ring(x, 0, 4.2, 2.0, thickness: 0.5, .membrane)
    }
}
