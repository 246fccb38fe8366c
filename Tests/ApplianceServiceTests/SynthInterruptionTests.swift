import Foundation
import Glibc
import Platform
import PhantomScan
import Testing
import TestSupport

/// `showtell synth` interrupted and run again: only complete scans stay, dataset.json keeps
/// every complete scan, the same command resumes, progress lines reach a file as they happen.
@Suite(.serialized, .enabled(if: NarrationGenerator.isAvailable, "espeak-ng is not installed"))
struct SynthInterruptionTests {
    static func synth(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: URL(fileURLWithPath: Daemon.binary).deletingLastPathComponent().path + "/showtell")
        process.arguments = ["synth"] + arguments
        FileManager.default.createFile(atPath: log, contents: nil)
        FileManager.default.createFile(atPath: log + ".err", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log + ".err")
        try process.run()
        return process
    }

    static func names(_ directory: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() }

    static func indexed(_ directory: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: directory + "/dataset.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let scans = object["scans"] as? [[String: Any]] else { return [] }
        return scans.compactMap { $0["name"] as? String }.sorted()
    }

    @Test func sigtermRemovesThePartialScanAndTheSameCommandResumes() throws {
        let scratch = ScratchFolder()
        let out = scratch.file("data")
        let arguments = ["--out", out, "--scans", "3", "--minutes", "0.05", "--seed", "5"]
        let first = try Self.synth(arguments, log: scratch.file("first.log"))
        // Wait until scan-000 is complete and scan-001 is being written, then interrupt.
        let deadline = MonotonicClock.seconds() + 120
        while MonotonicClock.seconds() < deadline,
              !(Self.names(out).contains("scan-000") && Self.names(out).contains { $0.hasPrefix("scan-001.partial-") }) {
            usleep(20_000)
        }
        first.terminate()  // SIGTERM
        first.waitUntilExit()
        #expect(first.terminationStatus == 128 + SIGTERM)
        #expect(!Self.names(out).contains { $0.contains(".partial-") }, "\(Self.names(out))")
        #expect(Self.indexed(out) == ["scan-000"], "dataset.json is written after each scan")
        let progress = (try? String(contentsOfFile: scratch.file("first.log"), encoding: .utf8)) ?? ""
        #expect(progress.contains("scan-000: "), "progress reached the file before SIGTERM: \(progress)")

        // A process that died without cleaning up (SIGKILL) left a partial folder behind.
        try FileManager.default.createDirectory(atPath: out + "/scan-002.partial-999999", withIntermediateDirectories: false)

        // The same command again: scan-000 skipped, the rest made, nothing left over.
        let again = try Self.synth(arguments, log: scratch.file("again.log"))
        again.waitUntilExit()
        let log = (try? String(contentsOfFile: scratch.file("again.log"), encoding: .utf8)) ?? ""
        #expect(again.terminationStatus == 0, "\(log)\((try? String(contentsOfFile: scratch.file("again.log.err"), encoding: .utf8)) ?? "")")
        #expect(log.contains("scan-000: complete, skipped") && log.contains("removed \(out)/scan-002.partial-999999"), "\(log)")
        #expect(Self.names(out) == ["dataset.json", "scan-000", "scan-001", "scan-002"])
        #expect(Self.indexed(out) == ["scan-000", "scan-001", "scan-002"])
    }

    /// A run with --first for later scans merges into dataset.json; complete scans already
    /// on disk but missing from the index (interrupted before it was written) are indexed.
    @Test func firstMergesAndKeepsCompleteScans() throws {
        let scratch = ScratchFolder()
        let out = scratch.file("data")
        let one = try Self.synth(["--out", out, "--scans", "1", "--minutes", "0.03", "--seed", "7"], log: scratch.file("a.log"))
        one.waitUntilExit()
        #expect(one.terminationStatus == 0)
        try FileManager.default.removeItem(atPath: out + "/dataset.json")  // as if killed before the index was written
        let rest = try Self.synth(["--out", out, "--first", "0", "--scans", "2", "--minutes", "0.03", "--seed", "7"], log: scratch.file("b.log"))
        rest.waitUntilExit()
        #expect(rest.terminationStatus == 0)
        #expect(Self.indexed(out) == ["scan-000", "scan-001"])
        let later = try Self.synth(["--out", out, "--first", "2", "--scans", "1", "--minutes", "0.03", "--seed", "7"], log: scratch.file("c.log"))
        later.waitUntilExit()
        #expect(later.terminationStatus == 0)
        #expect(Self.indexed(out) == ["scan-000", "scan-001", "scan-002"])
        // Another seed on the same folder is refused, not mixed in.
        let other = try Self.synth(["--out", out, "--scans", "1", "--minutes", "0.03", "--seed", "8"], log: scratch.file("d.log"))
        other.waitUntilExit()
        #expect(other.terminationStatus != 0)
        #expect(((try? String(contentsOfFile: scratch.file("d.log.err"), encoding: .utf8)) ?? "").contains("seed"))
    }
}
