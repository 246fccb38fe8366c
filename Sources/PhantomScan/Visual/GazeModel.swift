import Platform
import MediaFormats

/// Which anatomy the sonographer attends to over an interval (usually what is being said).
public struct AttentionSpan: Sendable, Equatable {
    public var start: Double
    public var end: Double
    /// An AnatomyName.
    public var anatomy: String

    public init(start: Double, end: Double, anatomy: String) {
        self.start = start
        self.end = end
        self.anatomy = anatomy
    }
}

/// Where the sonographer looks: fixations of 200-600 ms joined by saccades of 30-70 ms.
/// While a plane is held, fixations land mostly on the attended anatomy, sometimes on other
/// visible structures; while searching they wander around the middle of the fan. The
/// fixation plan is fixed at init from the seed; positions follow the structures as they
/// move, so pass each frame's regions.
public struct GazeModel: Sendable {
    private enum Target: Sendable {
        /// A structure by name; `pick` chooses among same-named regions, (u, v) is the spot
        /// inside its bounding box in [-1, 1].
        case anatomy(name: String, pick: Int, u: Double, v: Double)
        /// A screen point as a fraction of width and height.
        case screen(x: Double, y: Double)
    }

    private struct Fixation: Sendable {
        var start: Double
        var end: Double
        var target: Target
    }

    public let layout: ScreenLayout
    private let fixations: [Fixation]

    /// `attention`: nil uses `defaultAttention(timeline)`.
    public init(seed: UInt64, timeline: ScanTimeline, attention: [AttentionSpan]? = nil,
                layout: ScreenLayout = .standard) {
        self.layout = layout
        let spans = attention ?? Self.defaultAttention(timeline, seed: seed)
        var rng = SplitMix64(seed: seed, stream: 6)
        var plan: [Fixation] = []
        var t = 0.0
        while t < timeline.duration {
            let phase = ScanPhase(timeline: timeline, time: t)
            let engaged = phase.kind == .holding || phase.kind == .frozen
            let length = engaged ? rng.uniform(0.25, 0.6) : rng.uniform(0.2, 0.4)
            let target: Target
            let visible = phase.kind != .searching && phase.visit < timeline.visits.count
                ? timeline.visits[phase.visit].anatomy : []
            let attended = spans.first { $0.start <= t && t < $0.end }?.anatomy
            let u = rng.uniform(-0.5, 0.5), v = rng.uniform(-0.5, 0.5), pick = rng.index(4)
            let roll = rng.unit()
            if let attended, engaged, roll < 0.75 {
                target = .anatomy(name: attended, pick: pick, u: u, v: v)
            } else if !visible.isEmpty, roll < (engaged ? 0.95 : 0.5) {
                target = .anatomy(name: visible[rng.index(visible.count)], pick: pick, u: u, v: v)
            } else {
                target = .screen(x: 0.5 + 0.12 * rng.normal(), y: 0.55 + 0.1 * rng.normal())
            }
            plan.append(Fixation(start: t, end: t + length, target: target))
            t += length + rng.uniform(0.03, 0.07)
        }
        fixations = plan
    }

    /// During each hold, the visit's anatomy in turn, 1.5-3 s each.
    public static func defaultAttention(_ timeline: ScanTimeline, seed: UInt64 = 0) -> [AttentionSpan] {
        var rng = SplitMix64(seed: seed, stream: 7)
        var spans: [AttentionSpan] = []
        for visit in timeline.visits where !visit.anatomy.isEmpty {
            var t = visit.holdStart, k = 0
            while t < visit.holdEnd {
                let end = min(visit.holdEnd, t + rng.uniform(1.5, 3))
                spans.append(AttentionSpan(start: t, end: end, anatomy: visit.anatomy[k % visit.anatomy.count]))
                t = end
                k += 1
            }
        }
        return spans
    }

    /// The gaze at `frame` given the anatomy visible in it.
    public func gaze(frame: Int, regions: [AnatomyRegion]) -> GazePoint {
        let t = Double(frame) / BModeRenderer.framesPerSecond
        guard !fixations.isEmpty else { return GazePoint(x: layout.apexX, y: Double(layout.height) / 2, fixation: false) }
        // Last fixation starting at or before t.
        var low = 0, high = fixations.count
        while low < high {
            let mid = (low + high) / 2
            if fixations[mid].start <= t { low = mid + 1 } else { high = mid }
        }
        let current = fixations[max(0, low - 1)]
        let here = position(current.target, regions)
        if t < current.end || low >= fixations.count {
            return GazePoint(x: here.x, y: here.y, fixation: true)
        }
        // Saccade: a fast straight move to the next fixation.
        let next = fixations[low]
        let there = position(next.target, regions)
        let fraction = (t - current.end) / max(next.start - current.end, 1e-6)
        let p = here + (there - here) * min(1, max(0, fraction))
        return GazePoint(x: p.x, y: p.y, fixation: false)
    }

    private func position(_ target: Target, _ regions: [AnatomyRegion]) -> Point2 {
        switch target {
        case let .screen(x, y):
            return Point2(x * Double(layout.width), y * Double(layout.height))
        case let .anatomy(name, pick, u, v):
            let named = regions.filter { $0.name == name }
            let candidates = named.isEmpty ? regions : named
            guard !candidates.isEmpty else {
                return Point2(layout.apexX, layout.apexY + (layout.innerRadius + layout.outerRadius) / 2)
            }
            let polygon = candidates[pick % candidates.count].polygon
            var low = Point2(repeating: .infinity), high = Point2(repeating: -.infinity)
            for vertex in polygon where vertex.count >= 2 {
                low = pointwiseMin(low, Point2(vertex[0], vertex[1]))
                high = pointwiseMax(high, Point2(vertex[0], vertex[1]))
            }
            return (low + high) / 2 + (high - low) / 2 * Point2(u, v)
        }
    }
}
