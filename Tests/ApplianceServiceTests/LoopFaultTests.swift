import Capture
import ControlPlane
import Display
import Foundation
import Glibc
import MediaFormats
import Platform
import Testing
@testable import Appliance
import TestSupport

/// A 64×48 source driven by a script of wall time: delivers at 30 fps while `delivering`
/// says so, otherwise waits out the poll timeout like a driver with no frame, or throws
/// like an unplugged device.
final class ScriptedSource: VideoSource {
    enum Behaviour { case deliver, stall, fail }
    let width = 64, height = 48
    let summary = "scripted test source"
    let lostFrames = 0
    let finished = false
    let start = MonotonicClock.seconds()
    let script: (Double) -> Behaviour
    private(set) var delivered = 0

    init(script: @escaping (Double) -> Behaviour) { self.script = script }

    struct Unplugged: Error {}

    func next(into pixels: UnsafeMutablePointer<UInt8>, timeoutMilliseconds: Int32) throws -> FrameStamp? {
        switch script(MonotonicClock.seconds() - start) {
        case .deliver:
            usleep(33_000)
            delivered += 1
            pixels.update(repeating: UInt8(truncatingIfNeeded: 60 + delivered), count: width * height)
            return FrameStamp(sequence: delivered, captureTime: MonotonicClock.nanoseconds())
        case .stall:
            usleep(UInt32(timeoutMilliseconds) * 1000)
            return nil
        case .fail:
            throw Unplugged()
        }
    }
}

@Suite struct LoopFaultTests {
    @Test func stalledSourceShowsNoSignalWithin1sAndRecovers() throws {
        let source = ScriptedSource { t in t < 0.5 || t >= 2.0 ? .deliver : .stall }
        let screen = NullScreen(width: 64, height: 72)
        let loop = try ApplianceLoop(video: source, audio: nil, audioThreaded: false, screen: screen, model: nil)
        var noSignalAt: Double?, recoveredAt: Double?
        while MonotonicClock.seconds() - source.start < 2.6 {
            _ = try loop.step()
            let t = MonotonicClock.seconds() - source.start
            let noSignal = loop.telemetry.noSignal.load(ordering: .relaxed)
            if noSignal && noSignalAt == nil { noSignalAt = t }
            if !noSignal, noSignalAt != nil, recoveredAt == nil { recoveredAt = t }
        }
        let shown = try #require(noSignalAt)
        #expect(shown - 0.5 <= 1.15 && shown - 0.5 >= 0.9, "NO SIGNAL \(shown - 0.5) s after the stall began")
        let recovered = try #require(recoveredAt)
        #expect(recovered >= 2.0 && recovered < 2.15, "picture back \(recovered - 2.0) s after frames returned")
        #expect(loop.telemetry.counters.videoStalls == 1)
        #expect(loop.telemetry.counters.framesOut == loop.counters.framesOut)
    }

    @Test func vanishedDeviceIsReopenedWithBackoff() throws {
        let source = ScriptedSource { t in t < 0.3 ? .deliver : .fail }
        let screen = NullScreen(width: 64, height: 72)
        var attempts: [Double] = []
        var fresh: ScriptedSource?
        let begin = MonotonicClock.seconds()
        let loop = try ApplianceLoop(video: source, reopenVideo: {
            attempts.append(MonotonicClock.seconds() - begin)
            if attempts.count < 3 { throw ScriptedSource.Unplugged() }
            let replugged = ScriptedSource { _ in .deliver }
            fresh = replugged
            return replugged
        }, audio: nil, audioThreaded: false, screen: screen, model: nil)
        var sawNoSignal = false
        while MonotonicClock.seconds() - begin < 4, (fresh?.delivered ?? 0) < 10 {
            _ = try loop.step()
            sawNoSignal = sawNoSignal || loop.telemetry.noSignal.load(ordering: .relaxed)
        }
        #expect(sawNoSignal)
        #expect(attempts.count == 3)
        if attempts.count == 3 {
            // 0.5 s, then 1 s between attempts (doubling up to 8 s).
            #expect(attempts[1] - attempts[0] >= 0.45 && attempts[1] - attempts[0] < 0.7)
            #expect(attempts[2] - attempts[1] >= 0.95 && attempts[2] - attempts[1] < 1.3)
        }
        #expect((fresh?.delivered ?? 0) >= 10)
        let noSignalAtEnd = loop.telemetry.noSignal.load(ordering: .relaxed)
        #expect(!noSignalAtEnd)
        #expect(loop.telemetry.counters.videoReopens == 3)
    }

    /// Audio losses (ALSA overruns) reach the published counters and the metrics. The real
    /// overrun needs a paced PCM: alsa-lib's `null` (under the `file` plugin the capture
    /// tests use) reports its whole buffer as available at any time, so it never overruns;
    /// snd-aloop on the qemu-x86_64 board does.
    @Test func audioLossesArePublished() throws {
        final class LossyAudio: AudioSource {
            let sampleRate = 48_000
            let summary = "lossy test microphone"
            var lostPeriods = 0
            let finished = false
            var time = MonotonicClock.nanoseconds()
            func read(into samples: UnsafeMutablePointer<Float>, capacity: Int) throws -> (count: Int, firstSampleTime: Int64) {
                let count = min(capacity, 480)
                samples.update(repeating: 0, count: count)
                defer { time += 10_000_000 }
                lostPeriods += 1  // one overrun per read
                return (count, time)
            }
        }
        let source = ScriptedSource { _ in .deliver }
        let loop = try ApplianceLoop(video: source, audio: LossyAudio(), audioThreaded: false,
                                     screen: NullScreen(width: 64, height: 72), model: nil)
        for _ in 0..<5 { _ = try loop.step() }
        let lost = loop.telemetry.audioXruns.load(ordering: .relaxed)
        #expect(lost > 0 && lost == loop.counters.audioXruns)
    }

    @Test func loopRecordsStageLatenciesIntoTheMetrics() throws {
        let metrics = ApplianceMetrics(stageNames: ApplianceLoop.stageNames)
        let source = ScriptedSource { _ in .deliver }
        let loop = try ApplianceLoop(video: source, audio: nil, audioThreaded: false,
                                     screen: NullScreen(width: 64, height: 72), model: nil, metrics: metrics)
        for _ in 0..<5 { _ = try loop.step() }
        _ = metrics.latencySummaries()  // asks the recorder to hand over
        _ = try loop.step()
        let (stages, captureToDisplay) = metrics.latencySummaries()
        #expect(stages.map(\.name) == ApplianceLoop.stageNames)
        #expect(captureToDisplay.count == 5 && stages.allSatisfy { $0.count == 5 })
    }
}

@Suite struct ServiceScreenTests {
    @Test func snapshotCopiesTheNextPresentedFrame() throws {
        let screen = ServiceScreen(base: NullScreen(width: 32, height: 20))
        let request = SnapshotRequest(width: 32, height: 20)
        screen.mailbox.snapshots.put(request)
        screen.beginFrame().fill(0x123456)
        try screen.present()
        let done = request.done.load(ordering: .acquiring)
        #expect(done)
        #expect((0..<(32 * 20)).allSatisfy { request.pixels[$0] == 0x123456 })
        #expect(request.image().pixels[0...2] == [0x12, 0x34, 0x56])
        let presents = screen.mailbox.presents.load(ordering: .relaxed)
        #expect(presents == 1)
    }

    @Test func recordingStartsAndStopsBetweenFrames() throws {
        let scratch = ScratchFolder()
        let base = NullScreen(width: 32, height: 20)
        let screen = ServiceScreen(base: base)
        screen.beginFrame().fill(0); try screen.present()
        let recorder = try RecordingScreen(path: scratch.file("r.avi"), width: 32, height: 20, showingOn: base)
        screen.mailbox.recorderToStart.put(recorder)
        for shade in 0..<5 { screen.beginFrame().fill(UInt32(shade * 40) * 0x010101); try screen.present() }
        screen.mailbox.stopRecording.store(true, ordering: .releasing)
        screen.beginFrame().fill(0); try screen.present()
        let retired = try #require(screen.mailbox.retiredRecorder.take())
        #expect(retired === recorder)
        try retired.finish()
        #expect(base.presented == 7)  // the base screen kept showing every frame
        #expect(try AVIReader(path: scratch.file("r.avi")).frameCount == 5)
    }
}

@Suite struct DaemonOptionsTests {
    @Test func parsesFlags() throws {
        let options = try DaemonOptions(arguments: ["--config", "/x.toml", "--set", "video.fps=25", "--set=audio.source=none",
                                                    "--stats", "--duration=2.5"])
        #expect(options.configPath == "/x.toml" && options.configIsExplicit)
        #expect(options.overrides == ["video.fps=25", "audio.source=none"])
        #expect(options.stats && options.durationSeconds == 2.5)
        let defaults = try DaemonOptions(arguments: [])
        #expect(defaults.configPath == ApplianceConfig.defaultPath && !defaults.configIsExplicit)
    }

    @Test func rejectsBadArguments() {
        #expect(throws: DaemonOptionsError.missingValue("--set")) { try DaemonOptions(arguments: ["--set"]) }
        #expect(throws: DaemonOptionsError.unknown("--fast")) { try DaemonOptions(arguments: ["--fast"]) }
        #expect(throws: DaemonOptionsError.badValue("--duration", "-1", "a positive number of seconds")) {
            try DaemonOptions(arguments: ["--duration", "-1"])
        }
    }

    @Test func configEndpointsParse() throws {
        var config = ApplianceConfig()
        try config.applyOverride("video.source=replay:/data/s1")
        try config.applyOverride("audio.source=alsa:hw:CARD=mic")
        try config.applyOverride("display.output=avi:/tmp/o.avi")
        let endpoints = try ServiceEndpoints(config: config)
        #expect(endpoints.video == .replay(session: "/data/s1") && endpoints.isReplay)
        #expect(endpoints.audio == .alsa(device: "hw:CARD=mic", rate: 48_000))
        #expect(endpoints.display == .avi("/tmp/o.avi"))
        #expect(try ServiceEndpoints(config: ApplianceConfig()).display == .auto)
    }
}

@Suite struct DeviceOpeningTests {
    /// The phantom endpoints open without devices; `auto` waits `display.wait_seconds` for a
    /// display, then falls back to null on a machine with neither DRM nor fbdev and says why.
    @Test func phantomVideoAndAutoDisplayOpenWithoutDevices() throws {
        var config = ApplianceConfig()
        try config.applyOverride("video.source=phantom:3")
        try config.applyOverride("audio.source=none")
        try config.applyOverride("display.wait_seconds=0.5")
        let endpoints = try ServiceEndpoints(config: config)
        var told: [String] = []
        let started = MonotonicClock.nanoseconds()
        let devices = try DeviceOpening.open(endpoints, config: config, clock: ReplayClock(paced: false)) { told.append($0) }
        let waited = Double(MonotonicClock.nanoseconds() - started) / 1e9
        #expect(devices.video.summary.hasPrefix("phantom scan seed 3"))
        #expect(devices.audio == nil && devices.audioState == "off")
        let hasDisplay = FileManager.default.fileExists(atPath: "/dev/dri/card0") || FileManager.default.fileExists(atPath: "/dev/fb0")
        if !hasDisplay {
            #expect(devices.screen is NullScreen)
            #expect(devices.warnings.filter { $0.hasPrefix("no display (DRM /dev/dri/card0, fbdev /dev/fb0) after 0.5 s") }.count == 1, "\(devices.warnings)")
            #expect(told.count == 1 && told[0].contains("waiting up to 0.5 s"), "\(told)")
            #expect(waited >= 0.45)
        }
    }
}

/// Start-up waits for a display that is not there yet, and only for that.
@Suite struct DisplayWaitTests {
    @Test func absentDisplayThatAppearsIsOpenedAndTheWaitIsToldOnce() throws {
        var attempts = 0, told: [String] = []
        let opened = try DisplayWait.open("/dev/dri/card0", within: 5, waiting: { told.append($0) }) { () throws(SystemError) -> Int in
            attempts += 1
            if attempts < 3 { throw SystemError("open", subject: "/dev/dri/card0", errno: ENOENT) }
            return 42
        }
        #expect(opened == 42 && attempts == 3)
        #expect(told.count == 1 && told[0].contains("/dev/dri/card0") && told[0].contains("No such file"), "\(told)")
    }

    @Test func otherErrorsAreReportedAtOnce() {
        var attempts = 0, told = 0
        #expect(throws: SystemError("not a KMS device", subject: "/dev/dri/card0", errno: EINVAL)) {
            _ = try DisplayWait.open("/dev/dri/card0", within: 5, waiting: { _ in told += 1 }) { () throws(SystemError) -> Int in
                attempts += 1
                throw SystemError("not a KMS device", subject: "/dev/dri/card0", errno: EINVAL)
            }
        }
        #expect(attempts == 1 && told == 0)
    }

    /// The node was there before the daemon, still root's (a boot under systemd hit this):
    /// a permission error on the first attempt is waited out for a short grace, then reported.
    @Test func permissionOnTheFirstAttemptIsWaitedOutBriefly() throws {
        var attempts = 0, told: [String] = []
        let opened = try DisplayWait.open("/dev/dri/card0", within: 5, permissionGrace: 2, waiting: { told.append($0) }) { () throws(SystemError) -> Int in
            attempts += 1
            if attempts < 3 { throw SystemError("open", subject: "/dev/dri/card0", errno: EACCES) }
            return 9
        }
        #expect(opened == 9 && attempts == 3)
        #expect(told.count == 1 && told[0].contains("waiting up to 2.0 s") && told[0].contains("Permission denied"), "\(told)")

        attempts = 0
        let started = MonotonicClock.nanoseconds()
        #expect(throws: SystemError("open", subject: "/dev/dri/card0", errno: EACCES)) {
            _ = try DisplayWait.open("/dev/dri/card0", within: 5, permissionGrace: 0.6, waiting: { _ in }) { () throws(SystemError) -> Int in
                attempts += 1
                throw SystemError("open", subject: "/dev/dri/card0", errno: EACCES)
            }
        }
        let waited = Double(MonotonicClock.nanoseconds() - started) / 1e9
        #expect(waited >= 0.55 && waited < 3 && attempts >= 2, "a denied node is reported after the grace, not the whole wait: \(waited) s")
    }

    /// A node that appears during the wait is root's until udev applies its rules: EACCES
    /// right after ENOENT is waited out (a real boot under systemd hit this).
    @Test func permissionOfANodeThatJustAppearedIsWaitedOut() throws {
        var attempts = 0
        let opened = try DisplayWait.open("/dev/dri/card0", within: 5, waiting: { _ in }) { () throws(SystemError) -> Int in
            attempts += 1
            switch attempts {
            case 1: throw SystemError("open", subject: "/dev/dri/card0", errno: ENOENT)
            case 2, 3: throw SystemError("open", subject: "/dev/dri/card0", errno: EACCES)
            default: return 7
            }
        }
        #expect(opened == 7 && attempts == 4)
    }

    @Test func theWaitIsBounded() {
        var attempts = 0
        let started = MonotonicClock.nanoseconds()
        #expect(throws: SystemError("no connected display found", subject: "/dev/dri/card0", errno: ENODEV)) {
            _ = try DisplayWait.open("/dev/dri/card0", within: 0.6, waiting: { _ in }) { () throws(SystemError) -> Int in
                attempts += 1
                throw SystemError("no connected display found", subject: "/dev/dri/card0", errno: ENODEV)
            }
        }
        let waited = Double(MonotonicClock.nanoseconds() - started) / 1e9
        #expect(waited >= 0.55 && waited < 5 && attempts >= 2)
    }
}
