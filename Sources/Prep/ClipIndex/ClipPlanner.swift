/// Where clips go: a centre every `hop` seconds where the kept speaker's speech covers at
/// least `minimumCoverage` of the window (centred on t: [t - 0.3, t + 0.3], as the paper
/// trains). Frame indices are those at t + each offset (nearest frame, clamped).
public struct ClipPlanner: Sendable, Equatable, Codable {
    public var hop = 0.2
    public var windowSeconds = 0.6
    public var minimumCoverage = 0.5
    public var frameOffsets = [-0.1, 0.1]
    public init() {}

    public struct Planned: Sendable, Equatable {
        public var t: Double
        public var frames: [Int]
        public var vad: Double
    }

    public func plan(kept: [SpeakerSegment], speech: [Bool], duration: Double, fps: Double, frameCount: Int) -> [Planned] {
        let half = windowSeconds / 2
        var result: [Planned] = []
        var k = 0
        var first = 0
        while true {
            let t = half + Double(k) * hop
            k += 1
            guard t + half <= duration + 1e-9 else { break }
            let (a, b) = (t - half, t + half)
            while first < kept.count, kept[first].end <= a { first += 1 }
            var covered = 0.0
            var i = first
            while i < kept.count, kept[i].start < b {
                covered += max(0, min(b, kept[i].end) - max(a, kept[i].start))
                i += 1
            }
            guard covered >= minimumCoverage * windowSeconds - 1e-9 else { continue }
            let f0 = Int((a * 100).rounded()), f1 = min(speech.count, Int((b * 100).rounded()))
            let vad = f1 > f0 ? Double(speech[f0..<f1].filter { $0 }.count) / Double(f1 - f0) : 0
            let frames = frameOffsets.map { min(max(Int(((t + $0) * fps).rounded()), 0), frameCount - 1) }
            result.append(Planned(t: (t * 1000).rounded() / 1000, frames: frames, vad: (vad * 1000).rounded() / 1000))
        }
        return result
    }
}
