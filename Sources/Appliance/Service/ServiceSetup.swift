import Capture
import ControlPlane
import Display
import Platform

/// The configured endpoints, parsed: what the daemon opens.
public struct ServiceEndpoints: Sendable, Equatable {
    public var video: VideoEndpoint
    public var audio: AudioEndpoint
    public var display: DisplayEndpoint

    /// Parses `video.source`, `audio.source` and `display.output`; an error names the key.
    public init(config: ApplianceConfig) throws(ServiceError) {
        do { video = try VideoEndpoint(parsing: config.video.source, width: config.video.width, height: config.video.height) }
        catch { throw ServiceError("video.source: \(error)") }
        do { audio = try AudioEndpoint(parsing: config.audio.source, rate: config.audio.rate) }
        catch { throw ServiceError("audio.source: \(error)") }
        do { display = try DisplayEndpoint(parsing: config.display.output) }
        catch { throw ServiceError("display.output: \(error)") }
    }

    /// Replays and phantoms run on the replay clock (paced or fast), not a device's.
    public var isReplay: Bool {
        switch video {
        case .replay, .phantom: return true
        case .v4l2: return false
        }
    }
}

/// A failure that stops the daemon (exit 1): a configuration that cannot work, or a display
/// that cannot be opened. Missing cameras, microphones and models are not errors: the
/// appliance runs degraded and says so.
public struct ServiceError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What `openDevices` opened, with what went wrong on the way.
struct OpenedDevices {
    var video: VideoSource
    var reopenVideo: (() throws -> VideoSource)?
    var videoState: String
    var audio: AudioSource?
    var audioState: String
    /// Live sources and paced replays read audio on their own thread; a fast replay is
    /// pulled by the loop so audio and video stay aligned.
    var audioThreaded: Bool
    var screen: Screen
    var warnings: [String]
}

enum DeviceOpening {
    /// Opens the sources and the display. A V4L2 grabber that is not there yet becomes an
    /// `AbsentVideoSource`: the loop shows NO SIGNAL and reopens with backoff. A replay that
    /// cannot be read, or a display that cannot be opened, is an error.
    /// `waiting` is told, once, when the display is not there yet and the start waits for it.
    static func open(_ endpoints: ServiceEndpoints, config: ApplianceConfig, clock: ReplayClock,
                     waiting: (String) -> Void = { _ in }) throws(ServiceError) -> OpenedDevices {
        var warnings: [String] = []
        let loop = config.video.replayLoop

        // Video.
        var video: VideoSource
        var reopen: (() throws -> VideoSource)?
        var videoState = "ok"
        switch endpoints.video {
        case .v4l2(let device, let width, let height):
            var settings = V4L2Capture.Settings()
            settings.device = device
            settings.width = width
            settings.height = height
            settings.framesPerSecond = config.video.fps
            let wanted: CapturePixelFormat = switch config.video.pixelFormat {
            case .mjpg: .mjpeg
            case .yuyv: .yuyv
            case .grey: .grey
            }
            settings.preferred = [wanted] + settings.preferred.filter { $0 != wanted }
            let open = { () throws -> VideoSource in try V4L2VideoSource(settings: settings) }
            reopen = open
            do { video = try open() } catch {
                warnings.append("camera \(device): \(error); showing NO SIGNAL and retrying")
                videoState = "missing"
                video = AbsentVideoSource(width: width, height: height, device: device, reason: "\(error)")
            }
        case .replay(let session):
            do { video = try ReplayVideoSource(path: session + "/video.avi", clock: clock, loop: loop) }
            catch { throw ServiceError("video.source replay:\(session): \(error)") }
            if let replay = video as? ReplayVideoSource, !replay.reader.report.isClean {
                // A cut or interrupted file plays what is there; the log says what is missing.
                warnings.append("video.avi is damaged: \(replay.reader.report); replaying the complete frames")
            }
        case .phantom(let seed):
            video = PhantomVideoSource(seed: seed, clock: clock, loop: true)
        }

        // Audio: a missing microphone degrades (no heatmap), a broken replay is an error.
        var audio: AudioSource?
        var audioState = "ok"
        switch endpoints.audio {
        case .none:
            audioState = "off"
            warnings.append("no microphone configured (audio.source = \"none\"): heatmap off")
        case .alsa(let device, let rate):
            var settings = ALSACapture.Settings()
            settings.device = device
            settings.rate = rate
            settings.periodFrames = max(1, rate * config.audio.periodMilliseconds / 1000)
            settings.periods = config.audio.periods
            do { audio = try ALSAAudioSource(settings: settings) } catch {
                audioState = "missing"
                warnings.append("microphone \(device): \(error); heatmap off")
            }
        case .replay(let session):
            do { audio = try ReplayAudioSource(path: session + "/audio.wav", clock: clock, loop: loop) }
            catch { throw ServiceError("audio.source replay:\(session): \(error)") }
            if let summary = audio?.summary, summary.contains("truncated") {
                warnings.append("audio.wav is truncated: replaying the samples that are there (\(summary))")
            }
            if let sanitised = audio?.sanitisedSamples, sanitised > 0 {
                warnings.append("audio.wav has \(sanitised) NaN, infinite or over-full-scale samples: silenced or clipped (counted in showtell_audio_samples_sanitised_total)")
            }
        case .phantom(let seed):
            do { audio = try PhantomNarrationSource.open(seed: seed, clock: clock, loop: true) }
            catch { throw ServiceError("audio.source \(endpoints.audio): \(error)") }
        }

        // Display: recordings and null are as big as the frame plus the status bar.
        let width = video.width, height = video.height + Compositor.statusBarHeight
        let screen: Screen
        let wait = config.display.waitSeconds
        do {
            switch endpoints.display {
            case .avi(let path):
                try OutputLocations(stateDirectory: config.control.stateDirectory).prepareParent(of: path)
                screen = try RecordingScreen(path: path, width: width, height: height,
                                             framesPerSecond: recordingRate(video, config: config))
            case .drm(let device): screen = try DisplayWait.open(device, within: wait, waiting: waiting) { () throws(SystemError) in try DRMScreen(device: device) }
            case .fbdev(let device): screen = try DisplayWait.open(device, within: wait, waiting: waiting) { () throws(SystemError) in try FBDevScreen(device: device) }
            case .null: screen = NullScreen(width: width, height: height)
            case .auto:
                do {
                    screen = try DisplayWait.open("/dev/dri/card0 or /dev/fb0", within: wait, waiting: waiting) { () throws(SystemError) -> Screen in
                        do throws(SystemError) { return try DRMScreen(device: "/dev/dri/card0") } catch let drm {
                            do throws(SystemError) { return try FBDevScreen(device: "/dev/fb0") } catch let fbdev {
                                // Still "absent" only if both are: the wait goes on.
                                throw DisplayWait.isAbsent(drm) ? fbdev : drm
                            }
                        }
                    }
                } catch {
                    warnings.append("no display (DRM /dev/dri/card0, fbdev /dev/fb0) after \(config.display.waitSeconds) s: \(error)")
                    screen = NullScreen(width: width, height: height)
                }
            }
        } catch {
            throw ServiceError("display.output \(endpoints.display): \(error)")
        }
        let threaded = !(endpoints.isReplay && !clock.paced)
        return OpenedDevices(video: video, reopenVideo: reopen, videoState: videoState, audio: audio, audioState: audioState,
                             audioThreaded: threaded, screen: screen, warnings: warnings)
    }

    /// The frame rate written into a recording's header: the replay's, the camera's as its
    /// driver reports it, or the configured one.
    static func recordingRate(_ video: VideoSource, config: ApplianceConfig) -> Int {
        if let replay = video as? ReplayVideoSource {
            return max(1, Int(replay.reader.info.frameRate.framesPerSecond.rounded()))
        }
        if let camera = video as? V4L2VideoSource, let fps = camera.capture.framesPerSecond {
            return max(1, Int(fps.rounded()))
        }
        return config.video.fps
    }
}

/// Stands in for a grabber that was not there at start: every read fails, so the loop
/// shows NO SIGNAL and keeps trying to open the real device with backoff.
final class AbsentVideoSource: VideoSource {
    let width: Int
    let height: Int
    let summary: String
    let lostFrames = 0
    let finished = false
    private let device: String

    init(width: Int, height: Int, device: String, reason: String) {
        self.width = width
        self.height = height
        self.device = device
        summary = "\(device) (absent: \(reason))"
    }

    struct Absent: Error, CustomStringConvertible {
        let device: String
        var description: String { "\(device) is not present" }
    }

    func next(into pixels: UnsafeMutablePointer<UInt8>, timeoutMilliseconds: Int32) throws -> FrameStamp? {
        throw Absent(device: device)
    }
}
