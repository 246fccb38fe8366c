import Platform
import Glibc

/// Where the probe is relative to the standard pose of the scene being imaged.
struct ProbeState: Sendable, Equatable {
    /// Lateral and depth offsets of the anatomy in millimetres.
    var offsetX: Double
    var offsetY: Double
    /// In-plane rotation, radians.
    var angle: Double
    /// Apparent scale (probe pressure, slightly oblique sections).
    var zoom: Double

    static let standard = ProbeState(offsetX: 0, offsetY: 0, angle: 0, zoom: 1)

    /// This motion about a close-up's framing instead of the standard pose.
    func framed(by framing: ProbeState) -> ProbeState {
        ProbeState(offsetX: offsetX + framing.offsetX, offsetY: offsetY + framing.offsetY,
                   angle: angle + framing.angle, zoom: zoom * framing.zoom)
    }
}

/// Probe motion as a pure function of time, so any frame can be rendered on its own:
/// searching drifts widely and slowly, the approach converges onto the plane, holding keeps
/// only hand tremor and the mother's breathing, a freeze repeats one pose exactly.
enum ProbeMotion {
    static func state(_ phase: ScanPhase, seed: UInt64) -> ProbeState {
        let t = phase.poseTime
        var rng = SplitMix64(seed: seed, stream: 2, substream: UInt64(phase.visit))
        let drift = SmoothNoise(&rng, frequencies: 0.08...0.35)
        let tremor = SmoothNoise(&rng, frequencies: 1.5...5.0)
        let breathingPhase = rng.uniform(0, 2 * Double.pi)
        let breathing = sin(2 * Double.pi * 0.25 * t + breathingPhase)
        let held = ProbeState(
            offsetX: 0.25 * tremor.value(t, channel: 0) + 0.6 * breathing,
            offsetY: 0.2 * tremor.value(t, channel: 1) + 0.4 * breathing,
            angle: 0.006 * tremor.value(t, channel: 2),
            zoom: 1 + 0.004 * tremor.value(t, channel: 3))
        switch phase.kind {
        case .holding, .frozen:
            return held
        case .searching:
            return ProbeState(offsetX: 18 * drift.value(t, channel: 0), offsetY: 8 * drift.value(t, channel: 1),
                              angle: 0.25 * drift.value(t, channel: 2), zoom: 1 + 0.05 * drift.value(t, channel: 3))
        case .approaching:
            // Start far from the plane on a random side, converge with an ease-out.
            let u = phase.approachRemaining
            let weight = u * u * (3 - 2 * u)
            let startX = rng.sign() * rng.uniform(8, 20), startY = rng.sign() * rng.uniform(3, 8)
            let startAngle = rng.sign() * rng.uniform(0.1, 0.3), startZoom = rng.uniform(-0.08, 0.08)
            return ProbeState(
                offsetX: held.offsetX + weight * (startX + 4 * drift.value(t, channel: 0)),
                offsetY: held.offsetY + weight * (startY + 2 * drift.value(t, channel: 1)),
                angle: held.angle + weight * (startAngle + 0.05 * drift.value(t, channel: 2)),
                zoom: held.zoom + weight * startZoom)
        }
    }
}

/// Four channels of band-limited noise, each a sum of three sinusoids of random frequency and
/// phase (amplitude about 1); cheap and evaluable at any time.
struct SmoothNoise {
    // Inline storage: evaluated every frame, so no heap allocation.
    private var frequencies = InlineArray<12, Double>(repeating: 0)
    private var phases = InlineArray<12, Double>(repeating: 0)

    init(_ rng: inout SplitMix64, frequencies band: ClosedRange<Double>) {
        for k in 0..<12 {
            frequencies[k] = rng.uniform(band.lowerBound, band.upperBound)
            phases[k] = rng.uniform(0, 2 * Double.pi)
        }
    }

    func value(_ t: Double, channel: Int) -> Double {
        var sum = 0.0
        for k in (channel * 3)..<(channel * 3 + 3) {
            sum += sin(2 * Double.pi * frequencies[k] * t + phases[k])
        }
        return sum / 1.7
    }
}
