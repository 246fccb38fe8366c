/// What the probe is doing at one moment of a timeline.
struct ScanPhase: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// Moving over non-standard anatomy (background scene).
        case searching
        /// The target plane is in the beam but not yet aligned: it converges to the standard pose.
        case approaching
        case holding
        case frozen
    }

    var kind: Kind
    /// The visit whose search or hold this is; `visits.count` after the last visit.
    var visit: Int
    /// Time that drives the probe pose: the freeze start while frozen, else the time itself.
    var poseTime: Double
    /// For `.approaching`: 1 at the start of the approach, 0 when the plane is found.
    var approachRemaining: Double

    /// The last part of each search shows the target plane converging; at most this long.
    static let maxApproachSeconds = 1.5

    init(kind: Kind, visit: Int, poseTime: Double, approachRemaining: Double = 0) {
        self.kind = kind
        self.visit = visit
        self.poseTime = poseTime
        self.approachRemaining = approachRemaining
    }

    init(timeline: ScanTimeline, time: Double) {
        let visits = timeline.visits
        // First visit whose hold has not ended (visits are ordered and contiguous).
        var low = 0, high = visits.count
        while low < high {
            let mid = (low + high) / 2
            if visits[mid].holdEnd <= time { low = mid + 1 } else { high = mid }
        }
        guard low < visits.count else {
            self.init(kind: .searching, visit: visits.count, poseTime: time)
            return
        }
        let visit = visits[low]
        if time >= visit.holdStart {
            if let freeze = visit.freezes.first(where: { $0.contains(time) }) {
                self.init(kind: .frozen, visit: low, poseTime: freeze.lowerBound)
            } else {
                self.init(kind: .holding, visit: low, poseTime: time)
            }
            return
        }
        let approach = Self.approachSeconds(visit)
        if time >= visit.holdStart - approach {
            self.init(kind: .approaching, visit: low, poseTime: time,
                      approachRemaining: (visit.holdStart - time) / approach)
        } else {
            self.init(kind: .searching, visit: low, poseTime: time)
        }
    }

    static func approachSeconds(_ visit: PlaneVisit) -> Double {
        min(maxApproachSeconds, 0.45 * (visit.holdStart - visit.searchStart))
    }
}
