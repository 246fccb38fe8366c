import Foundation
import MediaFormats
import Platform

/// Makes one phantom session folder (DESIGN.md §7): the scan script decides what is on screen
/// when, the narration says it, the gaze follows what is said, and every frame is rendered,
/// JPEG-encoded into video.avi and labelled. The folder appears complete or not at all: it is
/// written under a temporary name and renamed at the end.
public struct SessionGenerator: Sendable {
    public static let generatorName = "showtell synth 1"

    /// The generator as the session manifest records it: scans with close-ups say their share
    /// (and their zooms when not the standard ones), so a resumed dataset is not silently mixed.
    public static func generatorName(closeUpShare: Double, closeUpZooms: CloseUpZooms = .standard) -> String {
        guard closeUpShare > 0 else { return generatorName }
        let zooms = closeUpZooms == .standard ? "" : " at zooms \(closeUpZooms)"
        return generatorName + String(format: ", close-ups %.2f", closeUpShare) + zooms
    }

    public var duration: Double
    public var seed: UInt64
    public var mix: NarrationMix
    /// JPEG quality of the video frames (libjpeg scale 1...100).
    public var jpegQuality: Int
    public var layout: ScreenLayout
    /// Share of face and abdomen visits that zoom onto one structure (`ScanScriptGenerator`).
    public var closeUpShare: Double
    public var closeUpZooms: CloseUpZooms

    public init(duration: Double, seed: UInt64, mix: NarrationMix = NarrationMix(), jpegQuality: Int = 85,
                layout: ScreenLayout = .standard, closeUpShare: Double = 0, closeUpZooms: CloseUpZooms = .standard) {
        self.closeUpShare = closeUpShare
        self.closeUpZooms = closeUpZooms
        self.duration = duration
        self.seed = seed
        self.mix = mix
        self.jpegQuality = jpegQuality
        self.layout = layout
    }

    /// What was made and how long each part took (wall seconds).
    public struct Report: Sendable {
        public var frames: Int
        public var duration: Double
        public var words: Int
        public var anatomyRemarks: Int
        public var speechFraction: Double
        public var videoBytes: Int
        public var secondsNarration: Double
        public var secondsVideo: Double
        public var secondsTotal: Double
    }

    /// Writes the session to `path`, which must not exist yet (nothing recorded is overwritten).
    @discardableResult
    public func generate(to path: String) throws -> Report {
        guard duration >= 1, duration <= 4 * 3600 else {
            throw SessionError(path: path, problem: "session length \(duration) s is outside 1 s ... 4 h")
        }
        guard (1...100).contains(jpegQuality) else {
            throw SessionError(path: path, problem: "JPEG quality \(jpegQuality) is outside 1...100")
        }
        guard !FileIO.exists(path) else {
            throw SessionError(path: path, problem: "already exists; choose a new folder or remove it first")
        }
        let started = MonotonicClock.seconds()
        guard (0...1).contains(closeUpShare) else {
            throw SessionError(path: path, problem: "close-up share \(closeUpShare) is outside 0...1")
        }
        let timeline = ScanScriptGenerator(seed: seed, closeUpShare: closeUpShare).timeline(duration: duration)

        // Narration first: espeak-ng runs in forked children, cheapest before the big buffers exist.
        guard NarrationGenerator.isAvailable else {
            throw NarrationError(message: "espeak-ng is not installed (apt install espeak-ng libespeak-ng1); "
                                 + "it is needed to synthesise the narration")
        }
        let narration = try NarrationGenerator(mix: mix).generate(timeline: timeline, seed: seed)
        let narrated = MonotonicClock.seconds()

        let attention = Self.attention(from: narration.phrases, timeline: timeline)
        let gaze = GazeModel(seed: seed, timeline: timeline, attention: attention, layout: layout)

        let partial = path + ".partial-\(getpid())"
        let folder = SessionFolder(path: partial)
        try? FileManager.default.removeItem(atPath: partial)
        try folder.create()
        do {
            try WAVFile.write(narration.clip, to: folder.audioPath, format: .int16)
            var renderer = BModeRenderer(timeline: timeline, seed: seed, layout: layout, closeUpZooms: closeUpZooms)
            let frames = renderer.frameCount
            let writer = try AVIWriter(path: folder.videoPath, width: layout.width, height: layout.height,
                                       frameRate: FrameRate(Int(BModeRenderer.framesPerSecond)), expectedFrameCount: frames)
            var image = renderer.makeImage()
            var labels: [FrameLabel] = []
            labels.reserveCapacity(frames)
            for frame in 0..<frames {
                var label = renderer.render(frame: frame, into: &image)
                label.gaze = gaze.gaze(frame: frame, regions: label.anatomy)
                labels.append(label)
                try writer.append(image, quality: jpegQuality)
            }
            try writer.finish()
            let rendered = MonotonicClock.seconds()

            try folder.writeTranscript(narration.words.map {
                TranscriptCue(start: $0.start, end: $0.end, speaker: $0.speaker, text: $0.text)
            })
            try folder.writeLabels(labels)
            try folder.writeManifest(SessionManifest(
                fps: BModeRenderer.framesPerSecond, frameWidth: layout.width, frameHeight: layout.height,
                frameCount: frames, audioSampleRate: narration.sampleRate, audioChannels: 1,
                generator: Self.generatorName(closeUpShare: closeUpShare, closeUpZooms: closeUpZooms), seed: seed, hasTranscript: true, hasLabels: true))
            try FileManager.default.moveItem(atPath: partial, toPath: path)
            return Report(frames: frames, duration: Double(frames) / BModeRenderer.framesPerSecond,
                          words: narration.words.count, anatomyRemarks: attention.count,
                          speechFraction: narration.speechFraction, videoBytes: writer.fileSize,
                          secondsNarration: narrated - started, secondsVideo: rendered - narrated,
                          secondsTotal: MonotonicClock.seconds() - started)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// The sonographer looks at what they name: from just before the remark to a moment after
    /// it, as long as the plane stays held (the eye leads the voice; DESIGN.md §7).
    static func attention(from phrases: [SpokenWord], timeline: ScanTimeline) -> [AttentionSpan] {
        var spans: [AttentionSpan] = []
        for phrase in phrases where phrase.speaker == NarrationSpeaker.sonographer.rawValue {
            guard let anatomy = phrase.anatomy,
                  let visit = timeline.visits.first(where: { $0.holdStart <= phrase.start && phrase.start < $0.holdEnd })
            else { continue }
            let start = max(visit.holdStart, phrase.start - 0.6)
            let end = min(visit.holdEnd, phrase.end + 0.8)
            if end > start { spans.append(AttentionSpan(start: start, end: end, anatomy: anatomy)) }
        }
        return spans
    }
}
