/// The appliance's settings, from `/etc/showtell/showtell.toml` plus `--set section.key=value`
/// overrides. Every key has a default, so an empty file (or none) is a valid configuration.
/// The schema (key names, types, ranges) lives in `ConfigSchema`.
public struct ApplianceConfig: Sendable, Equatable {
    public static let defaultPath = "/etc/showtell/showtell.toml"

    public struct Video: Sendable, Equatable {
        /// Where frames come from, as an endpoint: `v4l2:/dev/video0` (or a udev symlink such
        /// as `v4l2:/dev/showtell/grabber`), `replay:SESSION_DIR` (its video.avi), or
        /// `phantom:SEED` (a phantom scan rendered live).
        public var source = "v4l2:/dev/video0"
        /// Requested capture size (V4L2 only; a replay has its file's size).
        public var width = 1280
        public var height = 720
        public var pixelFormat = PixelFormat.mjpg
        /// Frame rate asked of the camera (V4L2 S_PARM; the driver picks its nearest), and
        /// the rate of recordings made from it.
        public var fps = 30
        /// Replays only: `realtime` releases frames at their recorded pace, `fast` as fast as
        /// the loop takes them (tests, benchmarks).
        public var replayPace = ReplayPace.realtime
        /// Replays only: start again at the end instead of stopping the daemon (demos).
        public var replayLoop = false
    }

    public enum ReplayPace: String, Sendable, CaseIterable {
        case realtime, fast
    }

    public enum PixelFormat: String, Sendable, CaseIterable {
        case mjpg = "MJPG", yuyv = "YUYV", grey = "GREY"
    }

    public struct Audio: Sendable, Equatable {
        /// Where speech comes from: `alsa:PCM` (e.g. `alsa:hw:CARD=showtellmic`),
        /// `replay:SESSION_DIR` (its audio.wav), `phantom:SEED` (its narration; needs espeak-ng),
        /// or `none` (live image without heatmap).
        public var source = "alsa:default"
        public var rate = 48000
        public var periodMilliseconds = 10
        public var periods = 4
    }

    public struct Display: Sendable, Equatable {
        /// Where composed frames go: `drm[:/dev/dri/cardN]`, `fbdev[:/dev/fbN]`, `avi:PATH`
        /// (a recording instead of a screen), `null`, or `auto` (DRM, else fbdev, else null).
        public var output = "auto"
        /// At start, how long to wait for a `drm`/`fbdev` display that is not there yet (the
        /// DRM driver probes late at boot, the monitor is switched on after the box); `auto`
        /// waits this long for either before it runs without a screen.
        public var waitSeconds = 20.0
        /// The default target of the control socket's `record start` (the composed screen).
        public var recordPath = "/var/lib/showtell/recordings/screen.avi"
    }

    public struct Model: Sendable, Equatable {
        public var bundle = "/var/lib/showtell/model"
        /// Threads an int8 bundle splits each layer across (the loop's thread and helpers that
        /// sleep between frames); float bundles: OpenBLAS's threads. 1 keeps a core free for
        /// capture on a 2-core box; a 4-core board can give the model 2.
        public var threads = 1
    }

    public struct Loop: Sendable, Equatable {
        public var window = AudioWindow.causal
        public var audioHopMilliseconds = 100
        /// Heatmap opacity at full speech confidence.
        public var heatmapAlpha = 0.5
        /// Weight of the previous heatmap in the temporal average (0: none); only a map of the
        /// same sentence from at most 0.25 s before is averaged in (`ApplianceLoop.updateHeat`).
        public var smoothing = 0.5
        /// Speaker check: speech must stand this many dB above the noise floor (the
        /// sonographer is nearest the microphone); 0 lets any voice drive the heatmap.
        /// Measured on phantom scans: 12 dB keeps 94 % of the sonographer's windows and
        /// rejects 70 % of the others' (SpeakerCheckTests).
        public var speakerMinDB = 12.0
        /// Sonographer check: speech more than this many dB below the sonographer's running
        /// level does not drive the heatmap (a parent or colleague in a quiet room); 0: off.
        /// Measured on quiet-room phantom scans in SpeakerCheckTests.
        public var speakerBelowSonographerDB = 10.0
        /// Show the heatmap only while the bundle's relevance head says the speech is about
        /// anatomy (bundles without a head: every speech window); false: every window of the
        /// sonographer's speech, whatever the head says.
        public var anatomyGate = true
    }

    /// Causal: [t-0.6 s, t], no added delay. Centred: [t-0.3 s, t+0.3 s], as in training,
    /// 0.3 s more display delay.
    public enum AudioWindow: String, Sendable, CaseIterable {
        case causal, centred
    }

    public struct Control: Sendable, Equatable {
        public var socket = "/run/showtell/control.sock"
        /// The daemon's own folder (systemd's StateDirectory=): control-socket writes
        /// (`snapshot PATH`, `record start PATH`) must lie inside it, and only inside it does
        /// the daemon create missing folders.
        public var stateDirectory = "/var/lib/showtell"
        /// Prometheus textfile for node_exporter; empty: not written.
        public var metricsTextfile = "/var/lib/showtell/metrics/showtell.prom"
        /// Port for a localhost metrics scrape; nil (`"none"`): not served.
        public var metricsPort: Int? = nil
    }

    public struct Realtime: Sendable, Equatable {
        /// SCHED_FIFO priority of the real-time loop, 1...99; 0: normal scheduling.
        public var fifoPriority = 0
        public var mlockall = false
    }

    /// Recording of the raw input (grabber frames and microphone, before any overlay) as
    /// session folders for training: `showtell control record-session start|stop`.
    public struct Recording: Sendable, Equatable {
        public var sessionsDirectory = "/var/lib/showtell/sessions"
        /// Start recording a session when the daemon starts.
        public var atStart = false
        /// The sessions folder may hold at most this much; the recording stops at the quota.
        public var quotaMegabytes = 20_000
        /// Recording is refused (and stops) when the disk has less free space than this.
        public var minFreeMegabytes = 512
        public var jpegQuality = 85
    }

    public var recording = Recording()
    public var video = Video()
    public var audio = Audio()
    public var display = Display()
    public var model = Model()
    public var loop = Loop()
    public var control = Control()
    public var realtime = Realtime()

    public init() {}
}
