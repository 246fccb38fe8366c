import ArgumentParser
import Foundation
import MediaFormats
import PhantomScan
import Platform

extension VoicePool: ExpressibleByArgument {}

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Generate phantom ultrasound sessions with narration and exact ground truth, or preview one.",
        discussion: """
            Each scan is a session folder DIR/scan-NNN with video.avi (MJPEG, 640x480, 30 fps), \
            audio.wav (48 kHz mono, 16-bit), transcript.vtt (one cue per word, with speaker), \
            labels.jsonl (per frame: plane, anatomy polygons, gaze) and session.json. DIR/dataset.json \
            lists the scans. Scans are deterministic for a seed; scan i uses a seed derived from \
            --seed and i, so --first lets several processes share one dataset. Existing scan folders \
            are never overwritten. Needs espeak-ng (apt install espeak-ng).

            With --preview SESSION, writes a contact sheet (--out, .jpg or .png) instead.
            """
    )

    @Option(help: "Dataset folder to create (or the contact sheet image with --preview).")
    var out: String

    @Option(help: "Number of scans to generate.")
    var scans = 1

    @Option(help: "Length of each scan in minutes (fractions allowed).")
    var minutes = 1.0

    @Option(help: "Dataset seed.")
    var seed: UInt64 = 1

    @Option(help: "Index of the first scan (to split a dataset across processes).")
    var first = 0

    @Option(help: "JPEG quality of the video frames, 1-100.")
    var quality = 85

    @Option(help: "Voices the speakers are drawn from: all, train or heldout (disjoint accents and variants, for held-out evaluation).")
    var voices: VoicePool = .all

    @Option(help: "Write a contact sheet of this session folder instead of generating.")
    var preview: String?

    func validate() throws {
        guard scans >= 1 else { throw ValidationError("--scans must be at least 1") }
        guard first >= 0 else { throw ValidationError("--first must not be negative") }
        guard minutes * 60 >= 1, minutes <= 240 else { throw ValidationError("--minutes must be between 1/60 and 240") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100") }
    }

    func run() throws {
        if let preview {
            let session = try SessionFolder(path: preview).open()
            let sheet = try ContactSheet.render(session: session)
            try ImageFiles.write(sheet, to: out)
            print("\(out): contact sheet of \(preview) (\(sheet.width)x\(sheet.height))")
            return
        }
        try FileIO.makeDirectories(out)
        var entries: [DatasetEntry] = []
        for index in first..<(first + scans) {
            let name = String(format: "scan-%03d", index)
            let scanSeed = Self.seed(dataset: seed, scan: index)
            var mix = NarrationMix()
            mix.voices = voices
            let generator = SessionGenerator(duration: minutes * 60, seed: scanSeed, mix: mix, jpegQuality: quality)
            let report = try generator.generate(to: out + "/" + name)
            print(String(format: "%@: %d frames, %.1f s, %d words (%d about the screen), speech %.0f %%, video %.1f MB; "
                         + "narration %.1f s + video %.1f s = %.1f s (%.1f s per minute)",
                         name, report.frames, report.duration, report.words, report.anatomyRemarks,
                         report.speechFraction * 100, Double(report.videoBytes) / 1e6, report.secondsNarration,
                         report.secondsVideo, report.secondsTotal, report.secondsTotal / (report.duration / 60)))
            entries.append(DatasetEntry(name: name, seed: scanSeed, duration: report.duration, frames: report.frames,
                                        words: report.words, speechFraction: report.speechFraction))
        }
        try DatasetIndex.merge(entries, into: out + "/dataset.json")
    }

    /// Scan seeds are spread by a SplitMix64 step so neighbouring scans share no streams.
    static func seed(dataset: UInt64, scan: Int) -> UInt64 {
        var z = dataset &+ UInt64(scan + 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct DatasetEntry: Codable {
    var name: String
    var seed: UInt64
    var duration: Double
    var frames: Int
    var words: Int
    var speechFraction: Double
}

/// dataset.json: the scans in a dataset folder; entries from several runs are merged by name.
enum DatasetIndex {
    struct File: Codable {
        var generator: String
        var scans: [DatasetEntry]
    }

    static func merge(_ entries: [DatasetEntry], into path: String) throws {
        var scans: [String: DatasetEntry] = [:]
        if FileIO.exists(path) {
            let old = try JSONDecoder().decode(File.self, from: Data(try FileIO.readAll(path)))
            for entry in old.scans { scans[entry.name] = entry }
        }
        for entry in entries { scans[entry.name] = entry }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let file = File(generator: SessionGenerator.generatorName, scans: scans.values.sorted { $0.name < $1.name })
        try FileIO.writeAtomically(path, Array(try encoder.encode(file)) + [0x0A])
    }
}
