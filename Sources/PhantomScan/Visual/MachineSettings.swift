import Platform
import Glibc
import MediaFormats

/// What the sonographer set on the machine for one visit: depth, gain, dynamic range, focus
/// and the TGC sliders, plus the maternal abdominal wall under the probe (it moves with the
/// probe, not with the fetus). Fixed for a visit's search and hold.
struct MachineSettings: Sendable {
    var depthMillimetres: Double
    var gainDecibels: Double
    var dynamicRangeDecibels: Double
    var focusMillimetres: Double
    /// Per depth sample: time-gain compensation plus focal gain, dB.
    var depthGain: [Float]
    /// Per beam: the fan's edge beams are weaker, dB.
    var beamGain: [Float]
    /// Maternal wall per depth sample: echo dB and attenuation dB/mm.
    var wallEcho: [Float]
    var wallAttenuation: [Float]
    /// Per beam: first sample below the maternal wall.
    var wallEnd: [Int]

    /// Soft tissue attenuation that the machine's default TGC assumes, dB per mm.
    static let assumedAttenuation = 0.07

    init(layout: ScreenLayout, seed: UInt64, visit: Int, plane: PlaneClass) {
        var rng = SplitMix64(seed: seed, stream: 4, substream: UInt64(visit))
        let depthMillimetres = (rng.uniform(Self.depthRange(plane)) / 5).rounded() * 5
        self.depthMillimetres = depthMillimetres
        gainDecibels = rng.uniform(-4, 4)
        dynamicRangeDecibels = [50, 55, 60, 65][rng.index(4)]
        focusMillimetres = depthMillimetres * rng.uniform(0.45, 0.65)
        let samples = layout.sampleCount
        let millimetresPerSample = depthMillimetres / Double(samples - 1)
        let tgcError = rng.uniform(-0.15, 0.1)
        // Five TGC slider positions, interpolated over depth.
        let sliders = (0..<5).map { _ in rng.uniform(-2.5, 2.5) }
        depthGain = (0..<samples).map { s in
            let depth = Double(s) * millimetresPerSample
            let fraction = Double(s) / Double(samples - 1) * 4
            let k = min(3, Int(fraction))
            let slider = sliders[k] + (sliders[k + 1] - sliders[k]) * (fraction - Double(k))
            let focus = 3 * exp(-pow((depth - depthMillimetres * 0.55) / (0.25 * depthMillimetres), 2))
            let nearField = -4 * exp(-depth / 6)
            return Float(Self.assumedAttenuation * (1 + tgcError) * depth + slider + focus + nearField)
        }
        beamGain = (0..<layout.beamCount).map { b in
            let edge = abs(Double(b) / Double(layout.beamCount - 1) * 2 - 1)
            return Float(-3 * pow(edge, 6))
        }
        // Skin, fat, rectus muscle with fascia, then the uterine wall.
        let skin = rng.uniform(1.2, 2), fat = rng.uniform(2, 7), muscle = rng.uniform(3, 6), uterus = rng.uniform(3, 5)
        let layers: [(end: Double, echo: Double, attenuation: Double)] = [
            (skin, -8, 0.15), (skin + fat, -24, 0.08), (skin + fat + 0.7, -9, 0.12),
            (skin + fat + muscle, -17, 0.12), (skin + fat + muscle + 0.7, -9, 0.12),
            (skin + fat + muscle + uterus, -19, 0.11),
        ]
        let wallMillimetres = layers.last!.end
        wallEcho = (0..<samples).map { s in
            let depth = Double(s) * millimetresPerSample
            return Float(layers.first(where: { depth < $0.end })?.echo ?? -56)
        }
        wallAttenuation = (0..<samples).map { s in
            let depth = Double(s) * millimetresPerSample
            return Float(layers.first(where: { depth < $0.end })?.attenuation ?? 0.02)
        }
        let undulation = rng.uniform(0, 2 * Double.pi), amplitude = rng.uniform(0.5, 2.0)
        wallEnd = (0..<layout.beamCount).map { b in
            let x = Double(b) / Double(layout.beamCount)
            let end = wallMillimetres + amplitude * sin(2 * Double.pi * 1.3 * x + undulation)
            return min(samples, Int(end / millimetresPerSample))
        }
    }

    /// Sonographers set a shallower depth (zoom) for small structures.
    private static func depthRange(_ plane: PlaneClass) -> ClosedRange<Double> {
        switch plane {
        case .fourChamber, .lvot, .rvot, .threeVesselTrachea, .lips, .profile: return 60...85
        case .abdomen, .kidneys, .femur: return 80...115
        case .brainTransventricular, .brainTranscerebellar, .spineSagittal, .spineCoronal: return 95...135
        case .background: return 90...140
        }
    }

    /// Screen pixels per millimetre of depth.
    func pixelsPerMillimetre(_ layout: ScreenLayout) -> Double {
        (layout.outerRadius - layout.innerRadius) / depthMillimetres
    }
}
