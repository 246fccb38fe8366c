import Foundation
import MediaFormats
import Platform

/// One recorded or phantom session with its ground truth, read with MediaFormats'
/// checked session reader: frames on demand, the microphone, the words with their speakers,
/// and one label per frame (plane, anatomy polygons, gaze).
///
/// (The `prep` branch brings a GroundTruth module with the same reading of transcripts;
/// when it is merged this type should take its words from there.)
public final class EvaluationSession {
    public struct Word: Sendable, Equatable {
        public var start: Double
        public var end: Double
        /// The transcript's voice ("sonographer", "parent", ...), "" if none.
        public var speaker: String
        public var text: String
    }

    public static let sonographer = "sonographer"

    public let name: String
    public let recorded: RecordedSession
    public let labels: [FrameLabel]
    public let words: [Word]

    public init(directory: String) throws {
        let session = try SessionFolder(path: directory).open()
        guard let labels = session.labels else {
            throw SessionError(path: session.folder.labelsPath, problem: "evaluation needs labels.jsonl (plane, anatomy and gaze per frame)")
        }
        var words: [Word] = []
        for cue in session.transcript ?? [] {
            // A cue may hold a phrase: its words share the cue's time evenly.
            let parts = cue.text.split(whereSeparator: { $0 == " " || $0 == "\n" })
            guard !parts.isEmpty else { continue }
            let step = (cue.end - cue.start) / Double(parts.count)
            for (i, part) in parts.enumerated() {
                words.append(Word(start: cue.start + Double(i) * step, end: cue.start + Double(i + 1) * step,
                                  speaker: (cue.speaker ?? "").lowercased(), text: String(part)))
            }
        }
        words.sort { $0.start < $1.start }
        name = (directory as NSString).lastPathComponent
        recorded = session
        self.labels = labels
        self.words = words
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
