import ArgumentParser
import ControlPlane
import Foundation
import Glibc
import Synchronization
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
            are never overwritten: a complete scan made from the same seed is skipped, so running an \
            interrupted command again resumes it. dataset.json is updated after every scan and \
            merged with what is there. SIGTERM or Ctrl-C removes the scan being written; \
            leftover DIR/scan-NNN.partial-PID folders of processes that are gone are removed at \
            start. Needs espeak-ng (apt install espeak-ng).

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

    @Option(help: ArgumentHelp("Share of each scan in which someone speaks, drawn per scan from LO-HI (or one value); a busy room for load tests is 0.6-0.7 (above 0.4 small talk repeats).",
                               valueName: "lo-hi"))
    var speechFraction = "0.2-0.4"

    @Option(help: ArgumentHelp("Share of the lips, profile and abdomen visits that zoom onto one structure (nose or lips; stomach, umbilical vein or ribs), naming only it; 0 makes the scans of the generator without close-ups.",
                               valueName: "share"))
    var closeUps = 0.0

    @Option(help: ArgumentHelp("Zooms a close-up may use, the preferred first; the standard 2.2,1.8,2.6,3.0,3.5 hide the partners, zooms near 1 pan onto the structure at the standard view's scale.",
                               valueName: "z,z,..."))
    var closeUpZooms = CloseUpZooms.standard.description

    @Option(help: "Write a contact sheet of this session folder instead of generating.")
    var preview: String?

    /// `--speech-fraction` as a range inside 0...1 ("0.6-0.7" or "0.65").
    static func parseSpeechFraction(_ text: String) throws -> ClosedRange<Double> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), let low = parts.first!, let high = parts.last!, low <= high, low >= 0, high <= 1 else {
            throw ValidationError("--speech-fraction must be LO-HI or one value with 0 <= LO <= HI <= 1 (for example 0.6-0.7), not '\(text)'")
        }
        return low...high
    }

    func validate() throws {
        guard scans >= 1 else { throw ValidationError("--scans must be at least 1") }
        guard first >= 0 else { throw ValidationError("--first must not be negative") }
        guard minutes * 60 >= 1, minutes <= 240 else { throw ValidationError("--minutes must be between 1/60 and 240") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100") }
        guard (0...1).contains(closeUps) else { throw ValidationError("--close-ups must be between 0 and 1, not \(closeUps)") }
        _ = try Self.parseSpeechFraction(speechFraction)
        do { _ = try CloseUpZooms(parsing: closeUpZooms) } catch { throw ValidationError("--close-up-zooms: \(error)") }
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
        let interruption = PartialScanCleanup()
        try interruption.install()
        for stale in PartialScanCleanup.removeStale(in: out) { Console.out("removed \(stale): left by an interrupted run\n") }
        let index = out + "/dataset.json"
        let speech = try Self.parseSpeechFraction(speechFraction)
        let zooms = try CloseUpZooms(parsing: closeUpZooms)
        let generatorName = SessionGenerator.generatorName(closeUpShare: closeUps, closeUpZooms: zooms)
        for scan in first..<(first + scans) {
            let name = String(format: "scan-%03d", scan)
            let path = out + "/" + name
            let scanSeed = Self.seed(dataset: seed, scan: scan)
            if FileIO.exists(path) {
                // Resuming: a complete scan of this seed is kept (and indexed), anything else is an error.
                let entry = try Self.existingEntry(name: name, path: path, seed: scanSeed,
                                                   generator: generatorName)
                try DatasetIndex.merge([entry], into: index, keepExisting: true)
                Console.out("\(name): complete, skipped\n")
                continue
            }
            var mix = NarrationMix()
            mix.voices = voices
            mix.speechFraction = speech
            mix.repeatsChatter = speech.upperBound > NarrationMix().speechFraction.upperBound
            let generator = SessionGenerator(duration: minutes * 60, seed: scanSeed, mix: mix, jpegQuality: quality,
                                             closeUpShare: closeUps, closeUpZooms: zooms)
            interruption.writing(path + ".partial-\(getpid())")
            let report = try generator.generate(to: path)
            interruption.writing(nil)
            // Progress by fd, not stdio: a line is never stuck in a buffer when stdout is a file.
            Console.out(String(format: "%@: %d frames, %.1f s, %d words (%d about the screen), speech %.0f %%, video %.1f MB; "
                               + "narration %.1f s + video %.1f s = %.1f s (%.1f s per minute)\n",
                               name, report.frames, report.duration, report.words, report.anatomyRemarks,
                               report.speechFraction * 100, Double(report.videoBytes) / 1e6, report.secondsNarration,
                               report.secondsVideo, report.secondsTotal, report.secondsTotal / (report.duration / 60)))
            try DatasetIndex.merge([DatasetEntry(name: name, seed: scanSeed, duration: report.duration, frames: report.frames,
                                                 words: report.words, speechFraction: report.speechFraction)], into: index)
        }
    }

    /// The dataset entry of a scan folder that is already there, if it is a complete scan made
    /// from `seed`; otherwise an error saying why it is not overwritten.
    static func existingEntry(name: String, path: String, seed: UInt64, generator: String) throws -> DatasetEntry {
        let session: RecordedSession
        do { session = try SessionFolder(path: path).open() } catch {
            throw SessionError(path: path, problem: "exists but is not a complete scan (\(error)); remove it or choose another --out")
        }
        guard session.manifest.seed == seed else {
            throw SessionError(path: path, problem: "exists with seed \(session.manifest.seed.map(String.init) ?? "none"), this run would make seed \(seed) (another --seed?); remove it or choose another --out")
        }
        guard session.manifest.generator == generator else {
            throw SessionError(path: path, problem: "exists, made by '\(session.manifest.generator)', this run would make it with '\(generator)' (another --close-ups or --close-up-zooms?); remove it or choose another --out")
        }
        let duration = Double(session.manifest.frameCount) / session.manifest.fps
        let cues = session.transcript ?? []
        let spoken = cues.reduce(0.0) { $0 + max(0, $1.end - $1.start) }
        return DatasetEntry(name: name, seed: seed, duration: duration, frames: session.manifest.frameCount,
                            words: cues.count, speechFraction: duration > 0 ? min(1, spoken / duration) : 0)
    }

    /// Scan seeds are spread by a SplitMix64 step so neighbouring scans share no streams.
    static func seed(dataset: UInt64, scan: Int) -> UInt64 {
        SplitMix64.mix(dataset &+ UInt64(scan + 1) &* 0x9E37_79B9_7F4A_7C15)
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

    /// `keepExisting`: an entry already in the file wins (it was measured when the scan was
    /// made; a resumed run only reconstructs one).
    static func merge(_ entries: [DatasetEntry], into path: String, keepExisting: Bool = false) throws {
        var scans: [String: DatasetEntry] = [:]
        if FileIO.exists(path) {
            let old = try JSONDecoder().decode(File.self, from: Data(try FileIO.readAll(path)))
            for entry in old.scans { scans[entry.name] = entry }
        }
        for entry in entries where !(keepExisting && scans[entry.name] != nil) { scans[entry.name] = entry }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let file = File(generator: SessionGenerator.generatorName, scans: scans.values.sorted { $0.name < $1.name })
        try FileIO.writeAtomically(path, Array(try encoder.encode(file)) + [0x0A])
    }
}

/// An interrupted synth leaves only complete scans: on SIGTERM or SIGINT the scan being
/// written (its `.partial-PID` folder) is removed before the process exits, and folders left
/// by processes that no longer exist (SIGKILL, power loss) are removed by the next run.
final class PartialScanCleanup: @unchecked Sendable {
    private let current = Mutex<String?>(nil)

    func writing(_ partial: String?) { current.withLock { $0 = partial } }

    /// The handler (ShutdownSignal: a sigaction handler, safe whichever thread takes the
    /// signal) wakes a watcher thread that does the removal and exits 128 + signal.
    func install() throws {
        try ShutdownSignal.shared.install()
        Thread { [self] in
            _ = ShutdownSignal.shared.wait()
            let signal = ShutdownSignal.shared.receivedSignal ?? SIGTERM
            current.withLock { partial in
                if let partial, FileIO.exists(partial) {
                    try? FileManager.default.removeItem(atPath: partial)
                    Console.error("interrupted: removed \(partial)\n")
                }
                Glibc.exit(128 + signal)
            }
        }.start()
    }

    /// Removes `NAME.partial-PID` folders in `directory` whose process is gone; returns them.
    static func removeStale(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names.sorted() {
            guard let range = name.range(of: ".partial-", options: .backwards),
                  let pid = Int32(name[range.upperBound...]), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }  // still running: another synth's scan
            let path = directory + "/" + name
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }
}
