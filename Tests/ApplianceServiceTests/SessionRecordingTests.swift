import ControlPlane
import Foundation
import Glibc
import MediaFormats
import Platform
import Testing
import TestSupport

/// `record-session start|stop` on the built daemon: the raw input (grabber frames, microphone)
/// as a session folder training reads, surviving SIGTERM and SIGKILL (power loss) up to the
/// last second, refused when the disk is low or the quota is used.
@Suite(.serialized) struct SessionRecordingTests {
    func startDaemon(_ scratch: ScratchFolder, extra: [String] = []) throws -> (Daemon, NotifyListener) {
        let session = scratch.file("source")
        try SessionMaker.write(session, frames: 300, audioSeconds: 10)
        let notify = try NotifyListener(directory: scratch.path)
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path, pace: "realtime")
                                    + ["--set", "recording.sessions_dir=\(scratch.file("sessions"))"] + extra,
                                directory: scratch.path, notifySocket: notify.path)
        #expect(notify.waitFor("READY=1", timeout: 10) != nil, "no READY=1; log:\n\(daemon.log)\(daemon.errors)")
        return (daemon, notify)
    }

    func control(_ scratch: ScratchFolder, _ line: String) throws -> ControlReply {
        try ControlReply.decode(try ControlClient.request(line, socketPath: scratch.file("control.sock"), timeoutMilliseconds: 10_000))
    }

    /// The bar of SessionMaker's frame i starts at column i*2 % 150.
    func barColumn(_ image: Image8) -> Int? {
        (0..<image.width).first { image.pixels[60 * image.width + $0] > 150 }
    }

    @Test func sigtermClosesASessionTrainingCanOpen() throws {
        let scratch = ScratchFolder()
        let (daemon, _) = try startDaemon(scratch)
        let start = try control(scratch, "record-session start")
        #expect(start.ok, "\(start)")
        let folder = start.result ?? ""
        usleep(2_500_000)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0, "log:\n\(daemon.log)\(daemon.errors)")
        #expect(daemon.log.contains("session_recording_closed"), "\(daemon.log)")
        // SessionFolder.open checks the manifest, the AVI's index and that audio and video last
        // equally long (within a frame): what training does first.
        let recorded = try SessionFolder(path: folder).open()
        #expect(recorded.video.report.isClean, "\(recorded.video.report)")
        #expect(recorded.manifest.frameCount == recorded.video.frameCount)
        #expect(recorded.manifest.frameCount >= 60 && recorded.manifest.frameCount <= 90, "\(recorded.manifest.frameCount) frames")
        // The raw input: the grabber's own size (the composed screen has a 24-pixel status bar)
        // and its picture (the moving bar advances 2 pixels per frame).
        #expect(recorded.video.info.width == 160 && recorded.video.info.height == 120)
        let first = try recorded.video.decodeFrame(0), later = try recorded.video.decodeFrame(30)
        if let a = barColumn(first), let b = barColumn(later) { #expect((b - a + 150) % 150 >= 50 && (b - a + 150) % 150 <= 70, "bar \(a) -> \(b)") }
        else { Issue.record("no bar in the recorded frames") }
        #expect(abs(recorded.audio.duration - Double(recorded.manifest.frameCount) / 30) < 1.0 / 30 + 1e-9)
    }

    @Test func sigkillKeepsEverythingUpToTheLastSecond() throws {
        let scratch = ScratchFolder()
        let (daemon, _) = try startDaemon(scratch)
        let start = try control(scratch, "record-session start")
        #expect(start.ok, "\(start)")
        let began = MonotonicClock.seconds()
        usleep(3_500_000)
        daemon.signal(SIGKILL)  // no handler runs: as a power cut, without the page-cache loss
        let recordedFor = MonotonicClock.seconds() - began
        _ = daemon.waitForExit(timeout: 3)
        let folder = SessionFolder(path: start.result ?? "")
        let manifest = try JSONDecoder().decode(SessionManifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder.manifestPath)))
        let video = try AVIReader(path: folder.videoPath)  // recovers frames after the last header refresh
        let (audio, _) = try WAVFile.read(folder.audioPath, recoverTruncated: true)
        let videoSeconds = Double(video.frameCount) / 30
        Console.error("SIGKILL after \(String(format: "%.2f", recordedFor)) s of recording: session.json \(manifest.frameCount) frames, "
                      + "AVI \(video.frameCount) frames (\(video.report)), WAV \(String(format: "%.2f", audio.duration)) s\n")
        #expect(videoSeconds >= recordedFor - 1.2, "video \(videoSeconds) s of \(recordedFor) s")
        #expect(audio.duration >= recordedFor - 1.2, "audio \(audio.duration) s of \(recordedFor) s")
        #expect(Double(manifest.frameCount) / 30 >= recordedFor - 1.5 && manifest.frameCount <= video.frameCount)
        _ = try video.decodeFrame(video.frameCount - 1)
    }

    @Test func refusedWhenTheDiskIsLowOrTheQuotaIsUsed() throws {
        let scratch = ScratchFolder()
        let (daemon, _) = try startDaemon(scratch, extra: ["--set", "recording.min_free_mb=100000000"])
        let low = try control(scratch, "record-session start")
        #expect(!low.ok && low.error?.contains("recording.min_free_mb") == true, "\(low)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)

        let again = ScratchFolder()
        try FileManager.default.createDirectory(atPath: again.file("sessions/old"), withIntermediateDirectories: true)
        try Data(repeating: 7, count: 3 << 20).write(to: URL(fileURLWithPath: again.file("sessions/old/video.avi")))
        let (second, _) = try startDaemon(again, extra: ["--set", "recording.quota_mb=2"])
        let full = try control(again, "record-session start")
        #expect(!full.ok && full.error?.contains("recording.quota_mb") == true, "\(full)")
        let stop = try control(again, "record-session stop")
        #expect(!stop.ok && stop.error?.contains("not recording") == true)
        second.signal(SIGTERM)
        #expect(second.waitForExit(timeout: 5) == 0)
    }
}
