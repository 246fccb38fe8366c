import AudioFrontEnd
import Foundation
import MediaFormats
import NeuralCore
import Platform

/// What preparing one session found: everything the report and a rerun need, stored as
/// sessions/NAME.json next to the tensors.
public struct SessionSummary: Sendable, Codable, Equatable {
    public var name: String
    public var source: String
    public var settingsSHA256: String
    public var duration: Double
    public var speechSeconds: Double
    public var segments: [SpeakerSegment]
    public var speakers: [String: Double]
    public var kept: String?
    /// Every recognised word of the kept speaker, with keyword matches.
    public var words: [TaggedWord]
    public var clips: Int
    public var backgroundFrames: Int
    public var notes: [String]
    /// Wall time per stage, seconds.
    public var seconds: [String: Double]
    /// CPU time per stage (this thread: the pipeline runs on one core), seconds.
    public var cpuSeconds: [String: Double]
    public var tensorsFile: String
    public var tensorsSHA256: String
}

/// Prepares one recording: analysis -> diarization -> recognition of the kept speaker ->
/// keyword matching -> clips -> tensors. Reads only a `Recording` (video.avi, audio.wav).
public final class SessionPreparer {
    public let settings: PrepSettings
    private let recognizer: SpeechRecognizer
    private let spotter: KeywordSpotter?
    private let matcher: KeywordMatcher

    /// - Parameter spotter: the keyword-spotting pass (nil: the LM pass alone).
    public init(settings: PrepSettings, recognizer: SpeechRecognizer, spotter: KeywordSpotter? = nil, keywords: KeywordDictionary) {
        self.settings = settings
        self.recognizer = recognizer
        self.spotter = spotter
        matcher = KeywordMatcher(keywords)
    }

    public struct Output {
        public var summary: SessionSummary
        public var clips: [ClipRecord]
        public var tensors: SafeTensorsWriter
    }

    /// `progress` receives the fraction of this session done (0...1).
    public func prepare(_ recording: Recording, progress: (Double) -> Void = { _ in }) throws -> Output {
        var seconds: [String: Double] = [:]
        var cpuSeconds: [String: Double] = [:]
        var clock = MonotonicClock.seconds()
        var cpu = MonotonicClock.threadCPUNanoseconds()
        func lap(_ stage: String) {
            let now = MonotonicClock.seconds(), nowCPU = MonotonicClock.threadCPUNanoseconds()
            seconds[stage] = round3(now - clock)
            cpuSeconds[stage] = round3(Double(nowCPU - cpu) * 1e-9)
            clock = now
            cpu = nowCPU
        }
        let analysis = try AudioAnalysis.run(recording.audio, vad: VoiceActivityDetector.Settings())
        lap("analysis")
        progress(0.1)
        let diarization = Diarizer(settings: settings.diarization).run(speech: analysis.speech, samples16k: analysis.samples16k)
        lap("diarization")
        progress(0.2)
        let kept = diarization.segments.filter { $0.speaker != nil && $0.speaker == diarization.kept }

        // Recognition of the kept speaker, utterance by utterance.
        var utterances: [(Double, Double)] = []
        for segment in kept {
            if let last = utterances.last, segment.start - last.1 < settings.utteranceJoinSeconds {
                utterances[utterances.count - 1].1 = segment.end
            } else {
                utterances.append((segment.start, segment.end))
            }
        }
        var words: [TaggedWord] = []
        var spotted = 0
        var spottingCPU: Int64 = 0
        var spottingWall = 0.0
        let samples = analysis.samples16k
        let rate = Double(SpeechRecognizer.sampleRate)
        var pcm = [Int16]()
        for (number, utterance) in utterances.enumerated() {
            let a = max(0, Int(((utterance.0 - settings.utterancePaddingSeconds) * rate).rounded()))
            let b = min(samples.count, Int(((utterance.1 + settings.utterancePaddingSeconds) * rate).rounded()))
            guard b > a else { continue }
            pcm.removeAll(keepingCapacity: true)
            for i in a..<b { pcm.append(Int16(max(-32768, min(32767, (samples[i] * 32768).rounded())))) }
            var recognised = try pcm.withUnsafeBufferPointer { try recognizer.recognize($0, startTime: Double(a) / rate) }
            if let spotter {
                let before = MonotonicClock.threadCPUNanoseconds(), beforeWall = MonotonicClock.seconds()
                let hits = try pcm.withUnsafeBufferPointer { try spotter.spot($0, startTime: Double(a) / rate) }
                recognised = KeywordMerge.merge(words: recognised, hits: hits, matcher: matcher)
                spotted += hits.count
                spottingCPU += MonotonicClock.threadCPUNanoseconds() - before
                spottingWall += MonotonicClock.seconds() - beforeWall
            }
            let matches = matcher.matches(recognised.map(\.word))
            var anatomy = [String?](repeating: nil, count: recognised.count)
            for match in matches { for i in match.range { anatomy[i] = match.anatomy } }
            for (i, word) in recognised.enumerated() {
                words.append(TaggedWord(word: word.word, start: round3(word.start), end: round3(word.end),
                                        confidence: round3(word.confidence), anatomy: anatomy[i]))
            }
            progress(0.2 + 0.6 * Double(number + 1) / Double(max(utterances.count, 1)))
        }
        lap("recognition")
        // The spotting pass ran inside the recognition loop: report it as its own stage.
        if spotter != nil {
            let spottingSeconds = round3(Double(spottingCPU) * 1e-9)
            cpuSeconds["keyword spotting"] = spottingSeconds
            cpuSeconds["recognition"] = round3((cpuSeconds["recognition"] ?? 0) - spottingSeconds)
            seconds["keyword spotting"] = round3(spottingWall)
            seconds["recognition"] = round3((seconds["recognition"] ?? 0) - spottingWall)
        }

        // Clips and their tensors.
        let video = recording.video
        let fps = video.info.frameRate.framesPerSecond
        let planned = settings.clips.plan(kept: kept, speech: analysis.speech, duration: recording.duration,
                                          fps: fps, frameCount: video.frameCount)
        let half = settings.clips.windowSeconds / 2
        var clips: [ClipRecord] = []
        var wordIndex = 0
        for (index, clip) in planned.enumerated() {
            let (a, b) = (clip.t - half, clip.t + half)
            while wordIndex < words.count, words[wordIndex].end <= a { wordIndex += 1 }
            var inside: [TaggedWord] = []
            var i = wordIndex
            while i < words.count, words[i].start < b { if words[i].end > a { inside.append(words[i]) }; i += 1 }
            clips.append(ClipRecord(session: recording.name, index: index, t: clip.t, frames: clip.frames,
                                    audio: [round3(a), round3(b)], speaker: diarization.kept ?? "S0", vad: clip.vad, words: inside))
        }
        let spectrograms = try ClipFeatures.spectrograms(recording.audio, centres: planned.map(\.t), windowSeconds: settings.clips.windowSeconds)
        lap("spectrograms")
        progress(0.9)
        let reader = ClipFeatures.FrameReader(video: video)
        let size = ClipFeatures.frameSize * ClipFeatures.frameSize
        var framePixels = [UInt8]()
        framePixels.reserveCapacity(planned.count * 2 * size)
        for clip in planned { for frame in clip.frames { framePixels += try reader.pixels(frame) } }
        var backgroundTimes: [Float] = []
        var backgroundPixels = [UInt8]()
        var time = 0.0
        while time < recording.duration {
            let frame = min(video.frameCount - 1, Int((time * fps).rounded()))
            backgroundPixels += try reader.pixels(frame)
            backgroundTimes.append(Float(Double(frame) / fps))
            time += settings.backgroundFrameSeconds
        }
        lap("frames")
        progress(1)

        var tensors = SafeTensorsWriter()
        let n = ClipFeatures.frameSize
        tensors.add("spectrograms", shape: [planned.count, n, n], halves: spectrograms)
        tensors.add("frames", shape: [planned.count, settings.clips.frameOffsets.count, n, n], bytes: framePixels)
        tensors.add("background_frames", shape: [backgroundTimes.count, n, n], bytes: backgroundPixels)
        tensors.add("background_times", shape: [backgroundTimes.count], floats: backgroundTimes)
        tensors.metadata = ["session": recording.name, "format": "showtell-prep", "settings_sha256": settings.sha256]

        var notes = recording.notes
        if !reader.unreadable.isEmpty { notes.append("\(reader.unreadable.count) video frames unreadable (stored black)") }
        var speakers: [String: Double] = [:]
        for speaker in diarization.speakers { speakers[speaker.name] = round3(speaker.seconds) }
        let summary = SessionSummary(
            name: recording.name, source: recording.directory, settingsSHA256: settings.sha256,
            duration: round3(recording.duration),
            speechSeconds: round3(Double(analysis.speech.filter { $0 }.count) * AudioAnalysis.frameSeconds),
            segments: diarization.segments.map { SpeakerSegment(start: round3($0.start), end: round3($0.end), speaker: $0.speaker) },
            speakers: speakers, kept: diarization.kept, words: words, clips: planned.count,
            backgroundFrames: backgroundTimes.count, notes: notes, seconds: seconds, cpuSeconds: cpuSeconds,
            tensorsFile: "sessions/\(recording.name).safetensors", tensorsSHA256: "")
        return Output(summary: summary, clips: clips, tensors: tensors)
    }
}

func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
