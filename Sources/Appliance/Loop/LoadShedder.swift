/// When the loop should skip a frame's video pass: never queue, but shed only when needed.
///
/// A frame's video pass is skipped when the frame is already so late that a full iteration
/// would run into the next frame's time. One long iteration (an audio hop and a video pass in
/// one period, a scheduling hiccup) leaves the next frame a little late, and a normal
/// iteration catches up; skipping after every overrun, as the loop once did, cost 2 video
/// passes in 17 700 frames of heavy speech. Under sustained overload (a branch longer than
/// the period) about every other pass is shed instead of letting the grabber drop frames.
/// Lateness is counted above the source's own delay (a grabber's timestamp precedes its
/// dequeue): the floor follows a lateness that drops at once and one that rises slowly.
struct LoadShedder {
    private var floor: Int64?
    private var consecutive = 0

    /// A new device has its own delay.
    mutating func reset() {
        floor = nil
        consecutive = 0
    }

    /// lateness: now minus the frame's capture time; period: since the previous frame's
    /// capture (0 for the first); cost: what a full iteration is expected to take (ns).
    mutating func shouldShed(lateness: Int64, period: Int64, cost: Float) -> Bool {
        let current = min(lateness, floor.map { $0 + max(period, 0) / 32 } ?? lateness)
        floor = current
        guard period > 0 else { return false }
        let slack = max(period - Int64(cost), period / 4)
        guard lateness - current > slack else {
            consecutive = 0
            return false
        }
        // A skipped iteration is short, so the loop catches up within a frame or two. Still
        // behind after 8: the source's delay itself grew (a clock step, a slower path in the
        // driver); the present lateness becomes the floor.
        consecutive += 1
        if consecutive > 8 {
            floor = lateness
            consecutive = 0
        }
        return true
    }
}
