/// One training clip (DESIGN.md §3, the paper's "Data"): a time t in a scan, the video frames
/// sampled around it, the 0.6 s of speech centred on it and the words heard in that window.
/// Nothing here is a label: `session` and `time` only decide which pairs may be negatives.
public struct ClipRecord: Sendable, Equatable {
    /// Index of the scan the clip comes from (0..<sessionCount).
    public var session: Int
    /// Centre time in seconds within its scan.
    public var time: Double
    /// Words of the window, lower-case, as the prep helper's ASR wrote them.
    public var words: [String]
    /// Per word, the share of its duration inside the clip's audio window (the ASR's word
    /// times; 1 where they are not known): a window may hold only a word's first or last syllable.
    public var inside: [Double]

    public init(session: Int, time: Double, words: [String], inside: [Double]? = nil) {
        precondition(inside.map { $0.count == words.count } ?? true, "one share per word")
        self.session = session
        self.time = time
        self.words = words
        self.inside = inside ?? words.map { _ in 1 }
    }

    /// Share (0...1) of a word's duration inside a window; a word of no duration counts as inside.
    static func share(of word: ClosedRange<Double>, inside window: ClosedRange<Double>) -> Double {
        let overlap = max(0, min(word.upperBound, window.upperBound) - max(word.lowerBound, window.lowerBound))
        let length = word.upperBound - word.lowerBound
        return length > 0 ? overlap / length : (window.contains(word.lowerBound) ? 1 : 0)
    }

    /// Per clip, the clips of its scan whose words name anatomy (`anatomies` non-empty) centred
    /// at most `window` seconds from it, itself included when it names any: the stretch that
    /// keyword contexts, separation partners and near negatives are all drawn from.
    static func namingNeighbours(of clips: [ClipRecord], anatomies: [Set<String>], within window: Double) -> [[Int]] {
        precondition(clips.count == anatomies.count, "one anatomy set per clip")
        var namingByScan = [Int: [Int]]()
        for (index, clip) in clips.enumerated() where !anatomies[index].isEmpty { namingByScan[clip.session, default: []].append(index) }
        return clips.map { clip in (namingByScan[clip.session] ?? []).filter { abs(clips[$0].time - clip.time) <= window } }
    }
}

/// What the trainer reads: clip metadata and the two network inputs per clip. A prepared
/// dataset folder (`PreparedDataset`) and in-memory synthetic clips (`SyntheticClips`) both
/// serve it, so the loop is developed and tested without the prep helper's files.
public protocol ClipSource: Sendable {
    var clips: [ClipRecord] { get }
    var sessionNames: [String] { get }
    /// Side of the square frame the video branch sees (224 for the deployed contract).
    var frameSize: Int { get }
    /// Side of the square spectrogram the audio branch sees (256).
    var spectrogramSize: Int { get }
    /// Frames per clip stored (the paper samples 2).
    var framesPerClip: Int { get }
    /// Writes frame `frame` of clip `index`, normalised, into [frameSize][frameSize].
    func loadFrame(clip index: Int, frame: Int, into output: UnsafeMutablePointer<Float>)
    /// Writes the standardised spectrogram of clip `index` into [size][size].
    func loadSpectrogram(clip index: Int, into output: UnsafeMutablePointer<Float>)
}

/// When two clips may form a negative pair (the paper: "shifted video-audio data pairs or
/// pairs from different scans are considered to be non-corresponding"): different scans, or
/// the same scan at least `minimumShift` seconds apart. Closer pairs of the same scan are
/// neither positive nor negative and are left out of every loss.
///
/// `keywordAware`: two clips whose recognised words name a common anatomy are not negatives
/// either: both frames may show it, so calling them non-corresponding teaches the model to
/// tell scans apart rather than anatomy. The keywords come from the prep's ASR of the room
/// audio (self-supervised input), not from any label.
///
/// `keywordContext` (seconds, keyword-aware only): what a frame may show is every anatomy
/// the sonographer names within this many seconds of it in the same scan (a plane is held
/// 2.5-8 s and several of its structures are named in turn), so a clip naming any of those is
/// not a negative for it. Without it, the spine named 3 s after the heart on the same
/// four-chamber view is a negative for the heart's frame: frames that look the same would
/// have to be told apart by what is said about them.
public struct NegativePolicy: Sendable, Equatable {
    public var minimumShift: Double
    public var keywordAware: Bool
    public var keywordContext: Double

    public init(minimumShift: Double = 2.0, keywordAware: Bool = false, keywordContext: Double = 0) {
        self.minimumShift = minimumShift
        self.keywordAware = keywordAware
        self.keywordContext = keywordContext
    }

    /// Per clip, the anatomies named by the clips of its scan within `keywordContext`
    /// seconds (its own included); with 0, its own.
    public func contexts(_ clips: [ClipRecord], anatomies: [Set<String>]) -> [Set<String>] {
        guard keywordContext > 0 else { return anatomies }
        let neighbours = ClipRecord.namingNeighbours(of: clips, anatomies: anatomies, within: keywordContext)
        return clips.indices.map { index in
            neighbours[index].reduce(into: anatomies[index]) { context, other in context.formUnion(anatomies[other]) }
        }
    }

    /// `sharedKeyword`: the two clips' ASR words name a common anatomy.
    public func isNegative(_ a: ClipRecord, _ b: ClipRecord, sharedKeyword: Bool = false) -> Bool {
        if keywordAware && sharedKeyword { return false }
        return a.session != b.session || abs(a.time - b.time) >= minimumShift
    }
}

/// A subset of another source's clips (e.g. every k-th clip of a dataset whose 0.2 s hop makes
/// neighbours near-duplicates, plus every clip whose words name a keyword).
public struct SubsetSource: ClipSource, @unchecked Sendable {
    public let base: any ClipSource
    public let indices: [Int]
    public let clips: [ClipRecord]

    public init(_ base: any ClipSource, indices: [Int]) {
        self.base = base
        self.indices = indices
        clips = indices.map { base.clips[$0] }
    }

    public var sessionNames: [String] { base.sessionNames }
    public var frameSize: Int { base.frameSize }
    public var spectrogramSize: Int { base.spectrogramSize }
    public var framesPerClip: Int { base.framesPerClip }
    public func loadFrame(clip index: Int, frame: Int, into output: UnsafeMutablePointer<Float>) {
        base.loadFrame(clip: indices[index], frame: frame, into: output)
    }
    public func loadSpectrogram(clip index: Int, into output: UnsafeMutablePointer<Float>) {
        base.loadSpectrogram(clip: indices[index], into: output)
    }
}
