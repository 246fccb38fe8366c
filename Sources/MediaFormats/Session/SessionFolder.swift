import Foundation
import Platform

/// Why a session folder could not be read or written; names the file and the problem.
public struct SessionError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    /// Wraps another format's error without repeating the path its description starts with.
    init(path: String, wrapping error: any Error) {
        switch error {
        case let labels as LabelsFileError where labels.line > 0: self.init(path: path, problem: "line \(labels.line): \(labels.problem)")
        case let vtt as WebVTTError where vtt.line > 0: self.init(path: path, problem: "line \(vtt.line): \(vtt.problem)")
        default:
            let text = "\(error)"
            self.init(path: path, problem: text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text)
        }
    }

    public var description: String { "\(path): \(problem)" }
}

/// A recorded session folder (DESIGN.md section 5): `video.avi` (MJPEG), `audio.wav`,
/// `transcript.vtt`, `labels.jsonl` and `session.json`. Video and audio are streamed by the
/// caller to `videoPath`/`audioPath` (AVIWriter, WAVStreamWriter or WAVFile); the small
/// files are written here. `open()` reads everything back and checks that it agrees.
public struct SessionFolder: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var videoPath: String { path + "/video.avi" }
    public var audioPath: String { path + "/audio.wav" }
    public var transcriptPath: String { path + "/transcript.vtt" }
    public var labelsPath: String { path + "/labels.jsonl" }
    public var manifestPath: String { path + "/session.json" }

    public func create() throws(SessionError) {
        do { try FileIO.makeDirectories(path) } catch { throw SessionError(path: path, problem: error.description) }
    }

    public func writeManifest(_ manifest: SessionManifest) throws(SessionError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            try FileIO.writeAtomically(manifestPath, Array(try encoder.encode(manifest)) + [0x0A])
        } catch {
            throw SessionError(path: manifestPath, wrapping: error)
        }
    }

    public func writeTranscript(_ cues: [TranscriptCue]) throws(SessionError) {
        do { try WebVTT.write(cues, to: transcriptPath) } catch { throw SessionError(path: transcriptPath, wrapping: error) }
    }

    public func writeLabels(_ labels: [FrameLabel]) throws(SessionError) {
        do { try LabelsFile.write(labels, to: labelsPath) } catch { throw SessionError(path: labelsPath, wrapping: error) }
    }

    /// Durations may differ by this much (one frame, at least 50 ms) before it is an error.
    public static func durationTolerance(fps: Double) -> Double { max(1 / fps, 0.05) }

    /// Reads and cross-checks the session: every file the manifest promises must exist and
    /// parse; frame size, rate and count must match session.json; video, audio and manifest
    /// durations must agree within `durationTolerance`; labels must be one per video frame in
    /// order; cues must end within the session. Tolerated damage (rebuilt AVI index, truncated
    /// audio) is listed in `notes`; corrupt JPEG frames are found when frames are decoded.
    public func open() throws(SessionError) -> RecordedSession {
        let manifest = try readManifest()
        for required in [videoPath, audioPath] + (manifest.hasTranscript ? [transcriptPath] : [])
            + (manifest.hasLabels ? [labelsPath] : []) where !FileIO.exists(required) {
            throw SessionError(path: required, problem: "missing (session.json lists it as part of the session)")
        }
        var notes: [String] = []

        let video: AVIReader
        do { video = try AVIReader(path: videoPath) } catch { throw SessionError(path: videoPath, wrapping: error) }
        if !video.report.isClean { notes.append("video.avi: \(video.report)") }
        let info = video.info
        guard info.width == manifest.frameWidth, info.height == manifest.frameHeight else {
            throw SessionError(path: videoPath, problem: "frames are \(info.width)x\(info.height) but session.json says \(manifest.frameWidth)x\(manifest.frameHeight)")
        }
        guard abs(info.frameRate.framesPerSecond - manifest.fps) <= 1e-6 * manifest.fps else {
            throw SessionError(path: videoPath, problem: "frame rate is \(info.frameRate) but session.json says \(manifest.fps) fps")
        }
        guard info.frameCount == manifest.frameCount else {
            throw SessionError(path: videoPath, problem: "has \(info.frameCount) frames but session.json says \(manifest.frameCount)")
        }

        let audio: AudioClip
        do {
            let (clip, report) = try WAVFile.read(audioPath, recoverTruncated: true)
            audio = clip
            if report.missingBytes > 0 { notes.append("audio.wav: truncated, \(report.missingBytes) bytes missing") }
        } catch {
            throw SessionError(path: audioPath, wrapping: error)
        }
        guard audio.sampleRate == manifest.audioSampleRate, audio.channels == manifest.audioChannels else {
            throw SessionError(path: audioPath, problem: "is \(audio.sampleRate) Hz x \(audio.channels) channels but session.json says \(manifest.audioSampleRate) Hz x \(manifest.audioChannels)")
        }

        let tolerance = Self.durationTolerance(fps: manifest.fps)
        let videoDuration = info.duration
        try checkDurations(("video.avi", videoDuration), ("session.json", manifest.duration), tolerance: tolerance, blame: manifestPath)
        try checkDurations(("video.avi", videoDuration), ("audio.wav", audio.duration), tolerance: tolerance, blame: audioPath)

        var labels: [FrameLabel]?
        if manifest.hasLabels {
            let read: [FrameLabel]
            do { read = try LabelsFile.read(labelsPath) } catch { throw SessionError(path: labelsPath, wrapping: error) }
            guard read.count == info.frameCount else {
                throw SessionError(path: labelsPath, problem: "has \(read.count) labels but video.avi has \(info.frameCount) frames (one label per frame)")
            }
            for (number, label) in read.enumerated() {
                guard label.frame == number else {
                    throw SessionError(path: labelsPath, problem: "label \(number + 1) is for frame \(label.frame), expected frame \(number)")
                }
                let expected = info.frameRate.time(ofFrame: number)
                guard abs(label.time - expected) <= 0.5 / manifest.fps else {
                    throw SessionError(path: labelsPath, problem: "frame \(number) has time \(label.time) s, video time base gives \(expected) s")
                }
            }
            labels = read
        }

        var transcript: [TranscriptCue]?
        if manifest.hasTranscript {
            let cues: [TranscriptCue]
            do { cues = try WebVTT.read(transcriptPath) } catch { throw SessionError(path: transcriptPath, wrapping: error) }
            if let last = cues.map(\.end).max(), last > videoDuration + tolerance {
                throw SessionError(path: transcriptPath, problem: "a cue ends at \(last) s, after the session's \(videoDuration) s")
            }
            transcript = cues
        }
        return RecordedSession(folder: self, manifest: manifest, video: video, audio: audio,
                               transcript: transcript, labels: labels, notes: notes)
    }

    private func readManifest() throws(SessionError) -> SessionManifest {
        guard FileIO.exists(manifestPath) else { throw SessionError(path: manifestPath, problem: "missing") }
        let manifest: SessionManifest
        do {
            manifest = try JSONDecoder().decode(SessionManifest.self, from: Data(try FileIO.readAll(manifestPath)))
        } catch {
            throw SessionError(path: manifestPath, wrapping: error)
        }
        guard manifest.formatVersion <= SessionManifest.currentFormatVersion else {
            throw SessionError(path: manifestPath, problem: "format version \(manifest.formatVersion) is newer than this reader (\(SessionManifest.currentFormatVersion))")
        }
        guard manifest.fps.isFinite, FrameRate.plausibleRange.contains(manifest.fps) else {
            throw SessionError(path: manifestPath, problem: "fps \(manifest.fps) outside \(FrameRate.plausibleRange)")
        }
        return manifest
    }

    private func checkDurations(_ a: (String, Double), _ b: (String, Double), tolerance: Double, blame: String) throws(SessionError) {
        guard abs(a.1 - b.1) <= tolerance + 1e-9 else {
            throw SessionError(path: blame, problem: "duration mismatch: \(a.0) lasts \(seconds(a.1)) s but \(b.0) lasts \(seconds(b.1)) s (tolerance \(seconds(tolerance)) s)")
        }
    }

    private func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let fraction = String(abs(millis) % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}

/// A session read back by `SessionFolder.open()`: all parts, checked against each other.
public struct RecordedSession {
    public let folder: SessionFolder
    public let manifest: SessionManifest
    /// Frames are decoded on demand.
    public let video: AVIReader
    public let audio: AudioClip
    public let transcript: [TranscriptCue]?
    public let labels: [FrameLabel]?
    /// Tolerated damage found while opening (empty for a clean session).
    public let notes: [String]
}
