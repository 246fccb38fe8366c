import ControlPlane
import Foundation
import Glibc
import MediaFormats
import Platform
import PhantomScan
import Testing
import TestSupport

/// The built `showtelld` binary end to end on small generated sessions: start-up and READY=1,
/// SIGTERM during a recording, damaged media, missing and corrupt model bundles. Serialized:
/// the timing checks should not compete with each other for the two cores.
@Suite(.serialized) struct DaemonProcessTests {
    @Test func sigtermDuringRecordingExitsZeroWithin1sAndLeavesPlayableAVIs() throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 300, audioSeconds: 10)  // 10 s: still running when stopped
        let notify = try NotifyListener(directory: scratch.path)
        let screenAVI = scratch.file("screen.avi"), sessionAVI = scratch.file("recordings/recording.avi")
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path,
                                                                  display: "avi:\(screenAVI)", pace: "realtime"),
                                directory: scratch.path, notifySocket: notify.path)

        // READY=1 comes with a STATUS= line that says the model is missing.
        let ready = notify.waitFor("READY=1", timeout: 10)
        let readySeconds = MonotonicClock.seconds() - daemon.startedAt
        #expect(ready != nil, "no READY=1; log:\n\(daemon.log)\(daemon.errors)")
        #expect(ready?.contains("STATUS=") == true && ready?.contains("NO MODEL") == true)
        #expect(readySeconds < 3)

        let start = try ControlReply.decode(try ControlClient.request("start-recording \(sessionAVI)",
                                                                      socketPath: scratch.file("control.sock")))
        #expect(start.ok && start.result == sessionAVI, "\(start)")
        usleep(1_000_000)

        let signalled = MonotonicClock.seconds()
        daemon.signal(SIGTERM)
        let status = daemon.waitForExit(timeout: 3)
        let shutdownSeconds = MonotonicClock.seconds() - signalled
        #expect(status == 0, "log:\n\(daemon.log)\(daemon.errors)")
        #expect(shutdownSeconds < 1.0)
        #expect(notify.waitFor("STOPPING=1", timeout: 0.5) != nil)
        Console.error("showtelld on a 30 fps replay: READY=1 after \(Int(readySeconds * 1000)) ms, exit \(Int(shutdownSeconds * 1000)) ms after SIGTERM\n")

        // Both recordings have their index and exactly the frames the log promises.
        let lines = daemon.log.split(separator: "\n").filter { $0.contains("recording_finished") }
        #expect(lines.count == 2)
        for path in [screenAVI, sessionAVI] {
            guard let line = lines.first(where: { $0.contains("path=\(path) ") }),
                  let frames = line.split(separator: " ").first(where: { $0.hasPrefix("frames=") }).flatMap({ Int($0.dropFirst(7)) })
            else { Issue.record("no recording_finished for \(path):\n\(daemon.log)"); continue }
            let reader = try AVIReader(path: path)
            #expect(reader.report.isClean, "\(path): \(reader.report)")
            #expect(reader.frameCount == frames && frames > 20)
            #expect(reader.info.width == 160 && reader.info.height == 120 + 24)
            _ = try reader.decodeFrame(reader.frameCount - 1)
        }
    }

    @Test func corruptFramesInAReplayAreSkippedAndCounted() throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 60, corrupt: [5, 17, 18, 40])
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path), directory: scratch.path)
        // A fast replay ends by itself: exit 0 at the end of the session.
        #expect(daemon.waitForExit(timeout: 20) == 0, "log:\n\(daemon.log)\(daemon.errors)")
        #expect(daemon.log.contains("stopping reason=\"end of replay\""))
        #expect(daemon.logValue(event: "stopped", key: "frames_out") == "56")
        #expect(daemon.logValue(event: "stopped", key: "dropped") == "4")
        let metrics = scratch.file("metrics.prom")
        #expect(Daemon.metric("showtell_frames_dropped_total", in: metrics) == 4)
        #expect(Daemon.metric("showtell_frames_out_total", in: metrics) == 56)
    }

    /// No grabber, no recording: a phantom scan rendered live with its narration.
    @Test(.enabled(if: NarrationGenerator.isAvailable, "espeak-ng is not installed"))
    func phantomSourcesRunTheApplianceWithoutDevices() throws {
        let scratch = ScratchFolder()
        let daemon = try Daemon(arguments: ["--config", "/dev/null", "--duration", "3",
                                            "--set", "video.source=phantom:5", "--set", "audio.source=phantom:5",
                                            "--set", "display.output=null",
                                            "--set", "control.socket=\(scratch.path)/control.sock",
                                            "--set", "control.metrics_textfile=\(scratch.path)/metrics.prom",
                                            "--set", "model.bundle=none"], directory: scratch.path)
        // Startup renders the narration with espeak-ng: ~5 s in release, 25-40 s in a debug
        // build on a loaded 2-core machine, so the deadline is generous; the duration runs from READY.
        #expect(daemon.waitForExit(timeout: 120) == 0, "log:\n\(daemon.log)\(daemon.errors)")
        #expect(daemon.log.contains("summary=\"phantom scan seed 5 640x480 30 fps\""))
        #expect(daemon.log.contains("summary=\"phantom narration seed 5 48000 Hz\""))
        let out = Int(daemon.logValue(event: "stopped", key: "frames_out") ?? "") ?? 0
        // 30 fps for 3 s; a debug build rendering phantoms under load makes about 24.
        #expect(out >= 15, "only \(out) frames in 3 s")
    }

    /// A paced, looped replay whose every JPEG is garbage: it used to report READY at 0 fps with
    /// no NO SIGNAL and no count, and took 23-25 s to stop. Now it is a stall: NO SIGNAL, the bad
    /// frames counted, SIGTERM honoured within 1 s.
    @Test func corruptOnlyReplayShowsNoSignalCountsBadFramesAndStopsOnSIGTERMWithin1s() throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 60, corrupt: Set(0..<60))
        var arguments = Daemon.replayArguments(session: session, directory: scratch.path, pace: "realtime")
        arguments += ["--set", "video.replay_loop=true"]
        let notify = try NotifyListener(directory: scratch.path)
        let daemon = try Daemon(arguments: arguments, directory: scratch.path, notifySocket: notify.path)
        #expect(notify.waitFor("READY=1", timeout: 10) != nil, "log:\n\(daemon.log)\(daemon.errors)")
        usleep(2_500_000)
        let status = try ControlReply.decode(try ControlClient.request("status", socketPath: scratch.file("control.sock"))).status
        #expect(status?.warnings.contains { $0.contains("NO SIGNAL") } == true, "\(String(describing: status))")
        #expect((status?.counters.framesDropped ?? 0) >= 30, "bad frames counted while no good one comes: \(String(describing: status?.counters))")
        #expect(status?.counters.framesOut == 0)
        #expect(daemon.log.contains("<4>no_signal"), "\(daemon.log)")

        let signalled = MonotonicClock.seconds()
        daemon.signal(SIGTERM)
        let exit = daemon.waitForExit(timeout: 5)
        let stopSeconds = MonotonicClock.seconds() - signalled
        #expect(exit == 0, "log:\n\(daemon.log)\(daemon.errors)")
        #expect(stopSeconds < 1.0, "stopped \(stopSeconds) s after SIGTERM")
    }

    @Test func corruptOnlyReplayStopsPromptlyAtItsDuration() throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 60, corrupt: Set(0..<60))
        var arguments = Daemon.replayArguments(session: session, directory: scratch.path, pace: "realtime")
        arguments += ["--set", "video.replay_loop=true", "--duration", "2"]
        let daemon = try Daemon(arguments: arguments, directory: scratch.path)
        let exit = daemon.waitForExit(timeout: 15)
        let seconds = MonotonicClock.seconds() - daemon.startedAt
        #expect(exit == 0, "log:\n\(daemon.log)\(daemon.errors)")
        #expect(seconds < 5, "ran \(seconds) s for --duration 2 (READY comes within 2 s)")
        #expect(daemon.log.contains("stopping reason=duration"), "\(daemon.log)")
        #expect(Int(daemon.logValue(event: "stopped", key: "dropped") ?? "") ?? 0 >= 40)
    }

    /// The README promises exit 1 for an unreadable AVI; one cut inside its first frame
    /// exited 0 with "end of replay".
    @Test func aviCutInsideItsFirstFrameExits1NamingTheFile() throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 10)
        try SessionMaker.cutVideo(session, atFrame: 0)
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path), directory: scratch.path)
        #expect(daemon.waitForExit(timeout: 20) == 1, "log:\n\(daemon.log)\(daemon.errors)")
        let failure = daemon.log.split(separator: "\n").first { $0.hasPrefix("<3>failed") }
        #expect(failure?.contains("video.source") == true && failure?.contains(session + "/video.avi") == true, "\(daemon.log)")
    }

    /// A file cut mid-way plays what is there, and now the log says it was cut.
    @Test func aviCutMidwayPlaysTheCompleteFramesAndSaysSo() throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 60)
        try SessionMaker.cutVideo(session, atFrame: 30)
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path), directory: scratch.path)
        #expect(daemon.waitForExit(timeout: 20) == 0, "log:\n\(daemon.log)\(daemon.errors)")
        let line = daemon.log.split(separator: "\n").first { $0.contains("video.avi is damaged") }
        #expect(line?.contains("truncated") == true, "\(daemon.log)")
        #expect(daemon.logValue(event: "stopped", key: "frames_out") == "30")
    }

    @Test func truncatedWAVReplaysWhatIsThereAndSaysSo() throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 60)
        try SessionMaker.truncateAudio(session, keepingFraction: 0.5)
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path), directory: scratch.path)
        #expect(daemon.waitForExit(timeout: 20) == 0, "log:\n\(daemon.log)\(daemon.errors)")
        // Documented recovery: the samples that are there are replayed, the log says how much is missing.
        #expect(daemon.log.contains("audio.wav is truncated"))
        #expect(daemon.logValue(event: "stopped", key: "frames_out") == "60")
    }

    /// A float WAV with NaN, Inf and 3e38 during the voice used to trap the daemon in the
    /// denoiser (SIGILL); now the samples are silenced or clipped, counted, and the replay runs.
    @Test func nonFiniteAudioInAReplayIsSanitisedCountedAndKeepsRunning() throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 60)
        let (clip, _) = try WAVFile.read(session + "/audio.wav")
        var samples = clip.samples, hostile = 0
        for n in stride(from: 30_000, to: samples.count, by: 7) {
            samples[n] = [Float.nan, .infinity, 3e38, -1e30][hostile % 4]
            hostile += 1
        }
        try WAVFile.write(AudioClip(sampleRate: clip.sampleRate, channels: 1, samples: samples),
                          to: session + "/audio.wav", format: .float32)
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path), directory: scratch.path)
        #expect(daemon.waitForExit(timeout: 20) == 0, "log:\n\(daemon.log)\(daemon.errors)")
        #expect(daemon.log.contains("\(hostile) NaN, infinite or over-full-scale samples"), "\(daemon.log)")
        #expect(daemon.logValue(event: "stopped", key: "frames_out") == "60")
        #expect(Daemon.metric("showtell_audio_samples_sanitised_total", in: scratch.file("metrics.prom")) == Double(hostile))
    }

    @Test func unreadableWAVIsAClearErrorNamingTheFile() throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 10)
        try Data("not a wave file at all".utf8).write(to: URL(fileURLWithPath: session + "/audio.wav"))
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path), directory: scratch.path)
        #expect(daemon.waitForExit(timeout: 20) == 1)
        let failure = daemon.log.split(separator: "\n").first { $0.hasPrefix("<3>failed") }
        #expect(failure?.contains("audio.source") == true && failure?.contains(session + "/audio.wav") == true, "\(daemon.log)")
    }

    @Test(arguments: ["missing", "corrupt"])
    func badModelBundleKeepsTheApplianceRunningAndSaysNoModel(_ damage: String) throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 90)
        let bundle = scratch.file("model")
        if damage == "corrupt" {
            try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
            try Data("{\"format\": ".utf8).write(to: URL(fileURLWithPath: bundle + "/manifest.json"))
            try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: bundle + "/model.safetensors"))
        }
        let notify = try NotifyListener(directory: scratch.path)
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path, pace: "realtime", model: bundle),
                                directory: scratch.path, notifySocket: notify.path)
        let ready = notify.waitFor("READY=1", timeout: 10)
        #expect(ready?.contains("NO MODEL: \(bundle)") == true, "\(ready ?? "no READY")\n\(daemon.log)")

        // The live image runs; status, snapshot and reload-model say what is wrong.
        let socket = scratch.file("control.sock")
        let status = try ControlReply.decode(try ControlClient.request("status", socketPath: socket)).status
        #expect(status?.state == .degraded)
        #expect(status?.model.loaded == false && status?.model.error?.contains(bundle) == true)
        let snapshot = scratch.file("shot.png")
        #expect(try ControlReply.decode(try ControlClient.request("snapshot \(snapshot)", socketPath: socket)).ok)
        #expect(FileIO.exists(snapshot))
        let reload = try ControlReply.decode(try ControlClient.request("reload-model", socketPath: socket))
        #expect(!reload.ok && reload.error?.contains(bundle) == true)

        #expect(daemon.waitForExit(timeout: 10) == 0, "log:\n\(daemon.log)\(daemon.errors)")
        let line = daemon.log.split(separator: "\n").first { $0.hasPrefix("<3>no_model") }
        #expect(line?.contains(bundle) == true && line?.contains("fix=") == true)
        #expect(daemon.logValue(event: "stopped", key: "frames_out") == "90")
        #expect(Daemon.metric("showtell_model_loaded", in: scratch.file("metrics.prom")) == 0)
    }

    /// Weights of 3e38 with a matching checksum passed loading (only NaN/Inf were checked) and
    /// the compositor trapped on the map at the first speech. Now loading runs the golden
    /// inference and refuses the bundle; the appliance runs on without a model.
    @Test(arguments: [true, false])
    func absurdFiniteWeightsAreRefusedAtLoadAndTheApplianceRunsOn(_ keepGolden: Bool) throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 90, audioSeconds: 3)
        let bundle = scratch.file("model")
        try BundleMaker.write(bundle, absurdWeights: true, keepGolden: keepGolden)
        let notify = try NotifyListener(directory: scratch.path)
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path, model: bundle),
                                directory: scratch.path, notifySocket: notify.path)
        let ready = notify.waitFor("READY=1", timeout: 20)
        #expect(ready?.contains("NO MODEL") == true, "\(ready ?? "no READY")\n\(daemon.log)")
        #expect(daemon.waitForExit(timeout: 30) == 0, "log:\n\(daemon.log)\(daemon.errors)")
        let line = daemon.log.split(separator: "\n").first { $0.hasPrefix("<3>no_model") }
        #expect(line?.contains("golden inference") == true, "\(daemon.log)")
        #expect(daemon.logValue(event: "stopped", key: "frames_out") == "90")
    }

    /// No grabber at start: the daemon comes up anyway (READY), shows NO SIGNAL, says what is
    /// missing, and keeps trying to open the device.
    @Test func missingGrabberAtStartRunsDegradedAndRetries() throws {
        let scratch = ScratchFolder()
        let metrics = scratch.file("metrics.prom")
        let daemon = try Daemon(arguments: ["--config", "/dev/null", "--duration", "3",
                                            "--set", "video.source=v4l2:\(scratch.path)/no-such-grabber",
                                            "--set", "audio.source=none", "--set", "display.output=null",
                                            "--set", "control.socket=\(scratch.path)/control.sock",
                                            "--set", "control.metrics_textfile=\(metrics)",
                                            "--set", "model.bundle=none"], directory: scratch.path)
        #expect(daemon.waitForExit(timeout: 20) == 0, "log:\n\(daemon.log)\(daemon.errors)")
        #expect(daemon.log.contains("no-such-grabber"))
        #expect(daemon.log.contains("showing NO SIGNAL and retrying"))
        #expect(daemon.log.contains("<5>ready"))
        #expect(Daemon.metric("showtell_no_signal", in: metrics) == 1)
        #expect((Daemon.metric("showtell_video_reopens_total", in: metrics) ?? 0) >= 2, "reopen attempts with backoff")
        #expect(Daemon.metric("showtell_frames_in_total", in: metrics) == 0)
    }

    /// `snapshot PATH` wrote wherever the daemon could write (a path under /etc); now
    /// control-socket writes stay inside control.state_directory, relative paths land there,
    /// and a missing folder outside it is not created.
    @Test func controlSocketWritesStayInTheStateDirectory() throws {
        let scratch = ScratchFolder(), outside = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 150, audioSeconds: 5)
        let notify = try NotifyListener(directory: scratch.path)
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path, pace: "realtime"),
                                directory: scratch.path, notifySocket: notify.path)
        #expect(notify.waitFor("READY=1", timeout: 10) != nil, "\(daemon.log)")
        let socket = scratch.file("control.sock")
        func ask(_ line: String) throws -> ControlReply { try ControlReply.decode(try ControlClient.request(line, socketPath: socket)) }

        for line in ["snapshot \(outside.file("shot.png"))", "snapshot ../escape.png", "record start \(outside.path)/new/r.avi",
                     "snapshot /etc/showtell-test.png"] {
            let reply = try ask(line)
            #expect(!reply.ok && reply.error?.contains("state directory") == true, "\(line): \(reply)")
        }
        #expect(!FileIO.exists(outside.file("shot.png")) && !FileIO.exists(outside.path + "/new"))
        // A link inside the state directory pointing out of it is refused too.
        #expect(symlink(outside.file("linked.avi"), scratch.file("link.avi")) == 0)
        let linked = try ask("record start link.avi")
        #expect(!linked.ok && linked.error?.contains("symbolic link") == true, "\(linked)")
        #expect(!FileIO.exists(outside.file("linked.avi")))
        #expect(!FileIO.exists(URL(fileURLWithPath: scratch.path).deletingLastPathComponent().path + "/escape.png"))

        let relative = try ask("snapshot shot.png")
        #expect(relative.ok && relative.result == scratch.file("shot.png"), "\(relative)")
        #expect(FileIO.exists(scratch.file("shot.png")))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
    }

    /// An output (or the socket) in a folder that does not exist, outside the state
    /// directory: the daemon no longer creates the folder (it hid configuration typos).
    @Test func missingOutputFoldersOutsideTheStateDirectoryAreNotCreated() throws {
        let scratch = ScratchFolder(), outside = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 30)
        var arguments = Daemon.replayArguments(session: session, directory: scratch.path)
        arguments += ["--set", "control.socket=\(outside.path)/run/control.sock"]
        let daemon = try Daemon(arguments: arguments, directory: scratch.path)
        #expect(daemon.waitForExit(timeout: 20) == 0, "\(daemon.log)")
        #expect(daemon.log.contains("control_socket_failed") && daemon.log.contains("\(outside.path)/run does not exist"), "\(daemon.log)")
        #expect(!FileIO.exists(outside.path + "/run"))

        let display = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path,
                                                                   display: "avi:\(outside.path)/screens/screen.avi"),
                                 directory: scratch.path)
        #expect(display.waitForExit(timeout: 20) == 1, "\(display.log)")
        #expect(display.log.contains("\(outside.path)/screens does not exist"), "\(display.log)")
        #expect(!FileIO.exists(outside.path + "/screens"))
    }

    @Test func explicitConfigThatIsMissingIsAnError() throws {
        let scratch = ScratchFolder()
        let daemon = try Daemon(arguments: ["--config", scratch.file("nope.toml")], directory: scratch.path)
        #expect(daemon.waitForExit(timeout: 10) == 1)
        #expect(daemon.log.contains("nope.toml: cannot read the config file"))
    }
}
