import Glibc

/// Offline speaker diarization of one recording (the paper keeps only the sonographer):
/// VAD segments (`SpeechSegmenter`) -> one embedding per segment -> agglomerative clustering
/// -> two passes of nearest-centroid reassignment -> speakers named by speech time, "S0"
/// having the most (kept as the sonographer).
///
/// Embedding (27 values): mean and standard deviation of MFCC c1...c12, mean c0 (level), and
/// the median log-F0 and voiced share of the segment (`SpeakerFeatures`). Each dimension is
/// z-scored over the recording's segments, then weighted (`Settings.weights`), so the
/// threshold means the same in every recording.
public struct Diarizer: Sendable {
    public struct Settings: Sendable, Equatable, Codable {
        public var segmenter = SpeechSegmenter()
        /// Average-linkage stopping distance in the weighted z-scored space.
        public var threshold: Float = 6.0
        /// Weights of the groups: MFCC means, MFCC stds, level, log-F0, voiced share.
        public var mfccMeanWeight: Float = 1
        public var mfccStdWeight: Float = 0.5
        public var levelWeight: Float = 2
        public var pitchWeight: Float = 3
        public var voicingWeight: Float = 0.5
        public var refinePasses = 2
        public init() {}
    }

    public struct Result: Sendable {
        /// Segments in time order, each with its speaker.
        public var segments: [SpeakerSegment]
        /// Speakers by speech time, most first, with their seconds of speech.
        public var speakers: [(name: String, seconds: Double)]
        public var kept: String? { speakers.first?.name }
    }

    public let settings: Settings
    public init(settings: Settings = Settings()) { self.settings = settings }

    public func run(speech: [Bool], samples16k: [Float]) -> Result {
        let segments = settings.segmenter.segments(speech)
        guard !segments.isEmpty else { return Result(segments: [], speakers: []) }
        let features = SpeakerFeatures()
        var embeddings: [[Float]] = []
        for segment in segments {
            let first = Int(segment.start * 100), last = max(first + 1, Int(segment.end * 100))
            embeddings.append(Self.embedding(features.compute(samples16k, frames: first..<last)))
        }
        let points = weighted(standardised(embeddings))
        var labels = AgglomerativeClustering.cluster(points, weights: segments.map(\.duration), threshold: settings.threshold)
        for _ in 0..<settings.refinePasses { labels = reassign(points, labels, weights: segments.map(\.duration)) }

        var seconds: [Int: Double] = [:]
        for (segment, label) in zip(segments, labels) { seconds[label, default: 0] += segment.duration }
        let order = seconds.sorted { ($0.value, -$0.key) > ($1.value, -$1.key) }.map(\.key)
        var names: [Int: String] = [:]
        for (rank, label) in order.enumerated() { names[label] = "S\(rank)" }
        let named = zip(segments, labels).map { SpeakerSegment(start: $0.start, end: $0.end, speaker: names[$1]) }
        return Result(segments: named, speakers: order.map { (names[$0]!, seconds[$0]!) })
    }

    static func embedding(_ frames: SpeakerFeatures.Frames) -> [Float] {
        let c = SpeakerFeatures.cepstra
        let n = max(frames.count, 1)
        var mean = [Float](repeating: 0, count: c), square = [Float](repeating: 0, count: c)
        for f in 0..<frames.count {
            for i in 0..<c { let v = frames.mfcc[f * c + i]; mean[i] += v; square[i] += v * v }
        }
        for i in 0..<c { mean[i] /= Float(n); square[i] = sqrtf(max(square[i] / Float(n) - mean[i] * mean[i], 0)) }
        let voiced = frames.pitch.filter { $0 > 0 }.map { log2f($0) }.sorted()
        let pitch = voiced.isEmpty ? 0 : voiced[voiced.count / 2]
        let share = Float(voiced.count) / Float(n)
        return Array(mean[1...]) + Array(square[1...]) + [mean[0], pitch, share]
    }

    private func standardised(_ points: [[Float]]) -> [[Float]] {
        guard let dimensions = points.first?.count else { return points }
        var result = points
        for d in 0..<dimensions {
            var values = points.map { $0[d] }
            if d == 24 + 1 {  // log-F0: segments without voicing take the mean of the voiced ones
                let voiced = values.filter { $0 > 0 }
                let fill = voiced.isEmpty ? 0 : voiced.reduce(0, +) / Float(voiced.count)
                values = values.map { $0 > 0 ? $0 : fill }
            }
            let mean = values.reduce(0, +) / Float(values.count)
            let std = sqrtf(values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)) + 1e-6
            for i in 0..<points.count { result[i][d] = (values[i] - mean) / std }
        }
        return result
    }

    private func weighted(_ points: [[Float]]) -> [[Float]] {
        // Group weights are spread over the group's dimensions, so a 12-value group does not
        // outweigh the single pitch value by its size alone.
        let w12 = settings.mfccMeanWeight / sqrtf(12), s12 = settings.mfccStdWeight / sqrtf(12)
        let weights = Array(repeating: w12, count: 12) + Array(repeating: s12, count: 12)
            + [settings.levelWeight, settings.pitchWeight, settings.voicingWeight]
        return points.map { zip($0, weights).map { $0 * $1 } }
    }

    /// Moves each segment to its nearest cluster centroid (clusters keep their numbers).
    private func reassign(_ points: [[Float]], _ labels: [Int], weights: [Double]) -> [Int] {
        let k = (labels.max() ?? 0) + 1
        let dimensions = points[0].count
        var centroids = [[Float]](repeating: [Float](repeating: 0, count: dimensions), count: k)
        var totals = [Float](repeating: 0, count: k)
        for (i, label) in labels.enumerated() {
            let w = Float(weights[i])
            for d in 0..<dimensions { centroids[label][d] += w * points[i][d] }
            totals[label] += w
        }
        for c in 0..<k where totals[c] > 0 { centroids[c] = centroids[c].map { $0 / totals[c] } }
        return points.enumerated().map { i, point in
            var best = labels[i], bestDistance = Float.infinity
            for c in 0..<k where totals[c] > 0 {
                var sum: Float = 0
                for d in 0..<dimensions { sum += (point[d] - centroids[c][d]) * (point[d] - centroids[c][d]) }
                if sum < bestDistance { bestDistance = sum; best = c }
            }
            return best
        }
    }
}
