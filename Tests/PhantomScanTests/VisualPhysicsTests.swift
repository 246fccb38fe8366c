import Platform
import Glibc
import MediaFormats
import Testing
@testable import PhantomScan

/// Realism claims checked on controlled phantoms: fully developed speckle and shadowing.
@Suite struct VisualPhysicsTests {
    private static func meanOverStd(_ values: [Double]) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return mean / variance.squareRoot()
    }

    @Test func speckleTextureEnvelopeIsRayleigh() {
        let texture = SpeckleTexture(seed: 3, size: 256, texelMillimetres: 0.2, axialSigma: 1.5, lateralSigma: 4)
        var values: [Double] = []
        for y in 0..<256 { for x in 0..<256 { values.append(texture.envelope(x: x, y: y)) } }
        #expect(abs(Self.meanOverStd(values) - 1.913) < 0.06)
    }

    /// In a homogeneous tissue region the rendered envelope, before log compression and after
    /// dividing out the depth-dependent gain (mean per depth), has Rayleigh statistics.
    @Test func renderedEnvelopeInHomogeneousTissueIsRayleigh() {
        let layout = ScreenLayout(width: 320, height: 240)
        let timeline = ScanTimeline(duration: 2, visits: [])
        var renderer = BModeRenderer(timeline: timeline, seed: 9, layout: layout)
        var rng = SplitMix64(seed: 9)
        renderer.useScene(SceneInstance(key: Int.min, plane: .background, shapes: [], fill: .softTissue,
                                        layout: layout, speckleSize: 512, &rng))
        let envelope = renderer.envelope(frame: 10)
        var normalised: [Double] = []
        let beams = (envelope.beams / 5)..<(4 * envelope.beams / 5)
        for sample in (envelope.samples * 2 / 5)..<(envelope.samples * 9 / 10) {
            let row = beams.map { Double(envelope.values[sample * envelope.beams + $0]) }
            let mean = row.reduce(0, +) / Double(row.count)
            normalised += row.map { $0 / mean }
        }
        let ratio = Self.meanOverStd(normalised)
        #expect(abs(ratio - 1.91) < 0.15, "mean/std = \(ratio)")
    }

    /// Behind a bone in otherwise homogeneous tissue, the picture is darker than beside it.
    @Test func boneCastsAnAcousticShadow() {
        let layout = ScreenLayout(width: 320, height: 240)
        var renderer = BModeRenderer(timeline: ScanTimeline(duration: 2, visits: []), seed: 4, layout: layout)
        var rng = SplitMix64(seed: 4)
        let bone = SceneShape(geometry: .capsule(from: Point2(-8, 0), to: Point2(8, 0), radius: 1.6),
                              tissue: .denseBone, label: "femur")
        let scene = SceneInstance(key: Int.min, plane: .femur, shapes: [bone], fill: .softTissue,
                                  layout: layout, speckleSize: 512, &rng)
        renderer.useScene(scene)
        var image = renderer.makeImage()
        let label = renderer.render(frame: 0, into: &image)
        let femur = label.anatomy.first { $0.name == "femur" }!
        let xs = femur.polygon.map { $0[0] }, ys = femur.polygon.map { $0[1] }
        let left = xs.min()!, right = xs.max()!, bottom = ys.max()!
        let width = right - left
        func mean(_ x0: Double, _ x1: Double) -> Double {
            var sum = 0.0, count = 0
            for y in Int(bottom + 6)..<Int(bottom + 30) {
                for x in Int(x0)..<Int(x1) { sum += Double(image.pixels[y * layout.width + x]); count += 1 }
            }
            return sum / Double(count)
        }
        let below = mean(left + 0.3 * width, right - 0.3 * width)
        let beside = (mean(left - 0.45 * width, left - 0.1 * width) + mean(right + 0.1 * width, right + 0.45 * width)) / 2
        #expect(below + 30 < beside, "below \(below), beside \(beside)")
    }
}
