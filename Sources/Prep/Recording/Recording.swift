import MediaFormats
import Platform

/// What preparation may read of a session: `video.avi` and `audio.wav`, nothing else.
///
/// This is the self-supervision rule made structural: the transcript, labels and the
/// session manifest's ground truth are not reachable from here (the Prep module does not depend
/// on GroundTruth, and this type opens exactly two files by name), so nothing downstream of
/// a `Recording` can learn from them.
public final class Recording {
    public let name: String
    public let directory: String
    public let video: AVIReader
    public let audio: AudioClip
    /// Tolerated damage (rebuilt AVI index, truncated audio).
    public let notes: [String]

    public static let videoFile = "video.avi"
    public static let audioFile = "audio.wav"

    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let problem: String
        public var description: String { "\(path): \(problem)" }
    }

    public init(directory: String) throws(Failure) {
        let trimmed = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        self.directory = trimmed
        name = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
        let videoPath = trimmed + "/" + Self.videoFile, audioPath = trimmed + "/" + Self.audioFile
        for path in [videoPath, audioPath] where !FileIO.exists(path) {
            throw Failure(path: path, problem: "missing (a session folder holds video.avi and audio.wav)")
        }
        var notes: [String] = []
        do { video = try AVIReader(path: videoPath) } catch { throw Failure(path: videoPath, problem: "\(error)") }
        if !video.report.isClean { notes.append("video.avi: \(video.report)") }
        guard video.frameCount > 0 else { throw Failure(path: videoPath, problem: "has no video frames") }
        do {
            let (clip, report) = try WAVFile.read(audioPath, recoverTruncated: true)
            audio = clip
            if report.missingBytes > 0 { notes.append("audio.wav: truncated, \(report.missingBytes) bytes missing (the rest is used)") }
        } catch {
            throw Failure(path: audioPath, problem: "\(error)")
        }
        guard audio.frameCount > 0 else { throw Failure(path: audioPath, problem: "has no audio samples") }
        self.notes = notes
    }

    /// Seconds of media both streams cover.
    public var duration: Double { min(video.info.duration, audio.duration) }
}
