import Platform
import MediaFormats

/// Plans a phantom scan: the order in which a sonographer visits the standard planes of a
/// 20-week anomaly scan, how long each search and hold lasts, and when the image is frozen.
public struct ScanScriptGenerator: Sendable {
    /// Seconds spent searching before a plane is found (background on screen).
    public static let searchSeconds: ClosedRange<Double> = 1.2...5.0
    /// Seconds a found plane is held. The last hold may be cut by the end of the session,
    /// but never below the lower bound.
    public static let holdSeconds: ClosedRange<Double> = 2.5...8.0
    /// Seconds of one freeze.
    public static let freezeSeconds: ClosedRange<Double> = 1.0...3.0

    public let seed: UInt64
    /// Share of the visits to a plane with close-up targets that zoom onto one of them
    /// (`PlaneAnatomy.closeUpTargets`); drawn from a stream of their own, so 0 gives the
    /// timeline of the generator without close-ups.
    public let closeUpShare: Double

    public init(seed: UInt64, closeUpShare: Double = 0) {
        precondition((0...1).contains(closeUpShare), "close-up share must be within 0...1")
        self.seed = seed
        self.closeUpShare = closeUpShare
    }

    public func timeline(duration: Double) -> ScanTimeline {
        var rng = SplitMix64(seed: seed, stream: 1)
        let order = planeOrder(&rng)
        var visits: [PlaneVisit] = []
        var clock = 0.0
        var next = rng.index(order.count)  // a session is a stretch of a longer scan
        var visited: [PlaneClass] = []
        while true {
            var plane = order[next % order.count]
            // Now and then the sonographer goes back to an earlier plane (not the one just left).
            let earlier = visited.dropLast()
            if !earlier.isEmpty && rng.chance(0.12) {
                plane = earlier[earlier.startIndex + rng.index(earlier.count)]
            } else {
                next += 1
            }
            // Searches are mostly short with a long tail: the square skews towards the bottom.
            let u = rng.unit()
            let search = Self.searchSeconds.lowerBound + (Self.searchSeconds.upperBound - Self.searchSeconds.lowerBound) * u * u
            let holdStart = clock + search
            var holdEnd = holdStart + rng.uniform(Self.holdSeconds.lowerBound, Self.holdSeconds.upperBound)
            if holdEnd > duration {
                guard duration - holdStart >= Self.holdSeconds.lowerBound else { break }
                holdEnd = duration
            }
            let freezes = plannedFreezes(holdStart: holdStart, holdEnd: holdEnd, &rng)
            visits.append(PlaneVisit(plane: plane, searchStart: clock, holdStart: holdStart, holdEnd: holdEnd,
                                     freezes: freezes, anatomy: PlaneAnatomy.names(for: plane)))
            visited.append(plane)
            clock = holdEnd
        }
        if closeUpShare > 0 { frameCloseUps(&visits) }
        return ScanTimeline(duration: duration, visits: visits)
    }

    /// Turns a share of the visits into close-ups of one structure, which is then the only
    /// one the sonographer names.
    private func frameCloseUps(_ visits: inout [PlaneVisit]) {
        var rng = SplitMix64(seed: seed, stream: 8)
        for k in visits.indices {
            let targets = PlaneAnatomy.closeUpTargets(for: visits[k].plane)
            guard !targets.isEmpty else { continue }
            let zoomed = rng.chance(closeUpShare)
            let target = targets[rng.index(targets.count)]
            if zoomed {
                visits[k].closeUp = target
                visits[k].anatomy = [target]
            }
        }
    }

    /// Head, face, spine, abdomen, limbs, heart (a common anomaly-scan order), with the
    /// variations sonographers make: the heart earlier, neighbouring planes swapped.
    private func planeOrder(_ rng: inout SplitMix64) -> [PlaneClass] {
        var head: [PlaneClass] = [.brainTransventricular, .brainTranscerebellar]
        var face: [PlaneClass] = [.lips, .profile]
        var spine: [PlaneClass] = [.spineSagittal, .spineCoronal]
        var abdomen: [PlaneClass] = [.abdomen, .kidneys]
        let heart: [PlaneClass] = rng.chance(0.3)
            ? [.fourChamber, .lvot, .threeVesselTrachea, .rvot]
            : [.fourChamber, .lvot, .rvot, .threeVesselTrachea]
        if rng.chance(0.25) { head.swapAt(0, 1) }
        if rng.chance(0.4) { face.swapAt(0, 1) }
        if rng.chance(0.3) { spine.swapAt(0, 1) }
        if rng.chance(0.2) { abdomen.swapAt(0, 1) }
        var groups = [head, face, spine, abdomen, [.femur], heart]
        if rng.chance(0.3) { groups.insert(groups.removeLast(), at: 1) }
        if rng.chance(0.25) { groups.swapAt(1, 2) }
        return groups.flatMap { $0 }
    }

    /// About a third of holds contain a freeze (the sonographer stops to measure or talk);
    /// freezes keep half a second clear of the hold's edges.
    private func plannedFreezes(holdStart: Double, holdEnd: Double, _ rng: inout SplitMix64) -> [ClosedRange<Double>] {
        guard rng.chance(0.35) else { return [] }
        let length = rng.uniform(Self.freezeSeconds.lowerBound, Self.freezeSeconds.upperBound)
        let earliest = holdStart + 0.5
        let latest = holdEnd - 0.5 - length
        guard latest > earliest else { return [] }
        let start = rng.uniform(earliest, latest)
        return [start...(start + length)]
    }
}
