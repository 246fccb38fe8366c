import Foundation
import GroundTruth
import MediaFormats
import Platform

/// One recorded or phantom session with its ground truth: the media through MediaFormats'
/// checked session reader (frames on demand, the microphone), and the words with their
/// speakers and one label per frame (plane, anatomy polygons, gaze) from GroundTruth's
/// `SessionTruth`, the one reading of transcripts that prep reports and evaluation share.
public final class EvaluationSession {
    public struct Word: Sendable, Equatable {
        public var start: Double
        public var end: Double
        /// The transcript's voice ("sonographer", "parent", ...), "" if none.
        public var speaker: String
        public var text: String
    }

    public static let sonographer = SessionTruth.sonographer

    public let name: String
    public let recorded: RecordedSession
    public let labels: [FrameLabel]
    public let words: [Word]

    public init(directory: String) throws {
        let session = try SessionFolder(path: directory).open()
        guard session.labels != nil else {
            throw SessionError(path: session.folder.labelsPath, problem: "evaluation needs labels.jsonl (plane, anatomy and gaze per frame)")
        }
        let truth = try SessionTruth.read(directory: directory)
        name = (directory as NSString).lastPathComponent
        recorded = session
        labels = truth.frames
        words = truth.words.map { Word(start: $0.start, end: $0.end, speaker: $0.speaker.lowercased(), text: $0.text) }
    }

    public var fps: Double { recorded.manifest.fps }
    public var duration: Double { recorded.manifest.duration }
    public var frameWidth: Int { recorded.manifest.frameWidth }
    public var frameHeight: Int { recorded.manifest.frameHeight }

    /// The frame shown at `time` seconds.
    public func frameIndex(at time: Double) -> Int {
        min(max(Int((time * fps).rounded(.down)), 0), labels.count - 1)
    }

    /// Words overlapping [start, end).
    public func words(from start: Double, to end: Double) -> [Word] {
        words.filter { $0.end > start && $0.start < end }
    }

    /// Anatomy named by `words` (AnatomyName identifiers, in the order first spoken), found
    /// by each name's spoken form (`AnatomyName.spoken`), punctuation and case ignored.
    public static func namedAnatomy(in words: [Word]) -> [String] {
        let tokens = words.map { $0.text.lowercased().filter { $0.isLetter } }
        var found: [(Int, String)] = []
        for name in AnatomyName.all {
            let spoken = AnatomyName.spoken(name).split(separator: " ").map(String.init)
            guard spoken.count <= tokens.count else { continue }
            for start in 0...(tokens.count - spoken.count) where Array(tokens[start..<(start + spoken.count)]) == spoken {
                found.append((start, name))
                break
            }
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

/// A dataset folder: scan sessions (sub-folders with session.json), in name order.
public enum EvaluationDataset {
    public static func sessionDirectories(_ directory: String) throws -> [String] {
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw SessionError(path: directory, problem: "cannot list the dataset folder: \(error.localizedDescription)")
        }
        let sessions = entries.sorted().map { directory + "/" + $0 }.filter { FileIO.exists($0 + "/session.json") }
        guard !sessions.isEmpty else {
            throw SessionError(path: directory, problem: "no session folders (sub-folders with session.json); make one with `showtell synth --out \(directory)`")
        }
        return sessions
    }
}
