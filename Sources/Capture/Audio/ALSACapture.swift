import CALSA
import CALSAGlue
import Glibc
import Platform

/// Capture from an ALSA PCM: interleaved S16_LE, fixed rate and period, blocking reads of
/// one period, overrun/suspend recovery (counted), CLOCK_MONOTONIC timestamps.
///
/// `configText`, when given, is an alsa-lib configuration loaded instead of the system's
/// (snd_pcm_open_lconf): how tests and replays run the real ALSA path without sound
/// hardware, e.g. a `file` PCM whose `infile` supplies the captured samples.
/// After `init`, `read` allocates nothing.
public final class ALSACapture {
    public struct Settings: Sendable {
        public var device = "default"
        public var rate = 48_000
        public var channels = 1
        /// 10 ms at 48 kHz.
        public var periodFrames = 480
        public var periods = 4
        public var configText: String?
        public init() {}
    }

    /// Losses and recoveries since open; read by the control plane.
    public struct Counters: Sendable, Equatable {
        public var overruns = 0
        public var suspends = 0
        public var periods = 0
        public var frames = 0
    }

    public let settings: Settings
    /// What the driver granted (it may round the request).
    public private(set) var rate: Int
    public private(set) var periodFrames: Int
    public private(set) var bufferFrames: Int
    public private(set) var counters = Counters()
    private var pcm: OpaquePointer?
    private var config: OpaquePointer?

    public init(settings: Settings) throws(ALSAError) {
        showtell_alsa_capture_errors()
        self.settings = settings
        rate = settings.rate
        periodFrames = settings.periodFrames
        bufferFrames = settings.periodFrames * settings.periods
        let device = settings.device
        if let text = settings.configText {
            var top: OpaquePointer?
            try alsa("snd_config_top", device) { snd_config_top(&top) }
            config = top
            var input: OpaquePointer?
            let loaded = text.withCString { cText -> Int32 in
                let opened = snd_input_buffer_open(&input, cText, -1)
                if opened < 0 { return opened }
                defer { snd_input_close(input) }
                return snd_config_load(top, input)
            }
            if loaded < 0 { snd_config_delete(top); config = nil; throw ALSAError("snd_config_load", device: device, code: loaded) }
            try alsa("snd_pcm_open_lconf", device) { snd_pcm_open_lconf(&pcm, device, SND_PCM_STREAM_CAPTURE, 0, top) }
        } else {
            try alsa("snd_pcm_open", device) { snd_pcm_open(&pcm, device, SND_PCM_STREAM_CAPTURE, 0) }
        }
        do { try configure() } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    public func close() {
        if let pcm { snd_pcm_close(pcm) }
        pcm = nil
        if let config { snd_config_delete(config) }
        config = nil
    }

    private func configure() throws(ALSAError) {
        let device = settings.device
        (rate, periodFrames, bufferFrames) = try ALSAHardware.configure(pcm, device: device, rate: settings.rate, channels: settings.channels,
                                                                       periodFrames: settings.periodFrames, periods: settings.periods)
        let period = snd_pcm_uframes_t(periodFrames)

        var sw: OpaquePointer?
        try alsa("snd_pcm_sw_params_malloc", device) { snd_pcm_sw_params_malloc(&sw) }
        defer { snd_pcm_sw_params_free(sw) }
        try alsa("snd_pcm_sw_params_current", device) { snd_pcm_sw_params_current(pcm, sw) }
        try alsa("set avail_min", device) { snd_pcm_sw_params_set_avail_min(pcm, sw, period) }
        try alsa("set tstamp mode", device) { snd_pcm_sw_params_set_tstamp_mode(pcm, sw, SND_PCM_TSTAMP_ENABLE) }
        try alsa("set tstamp type", device) { snd_pcm_sw_params_set_tstamp_type(pcm, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC) }
        try alsa("snd_pcm_sw_params", device) { snd_pcm_sw_params(pcm, sw) }
        try alsa("snd_pcm_prepare", device) { snd_pcm_prepare(pcm) }
    }

    /// Reads up to `frames` frames (interleaved Int16) into `buffer`, blocking until they
    /// arrive. Overruns and suspends are recovered and counted (the samples lost in an
    /// overrun are gone; the count says how often). Returns the frames read and the
    /// CLOCK_MONOTONIC time of the first frame, in ns.
    public func read(into buffer: UnsafeMutablePointer<Int16>, frames: Int) throws(ALSAError) -> (frames: Int, timestamp: Int64) {
        guard let pcm else { throw ALSAError("snd_pcm_readi", device: settings.device, code: -EBADFD) }
        while true {
            let n = snd_pcm_readi(pcm, buffer, snd_pcm_uframes_t(frames))
            if n >= 0 {
                counters.periods += 1
                counters.frames += n
                return (n, firstFrameTime(count: n))
            }
            let code = Int32(n)
            switch -code {
            case EINTR, EAGAIN:
                continue
            case EPIPE:
                counters.overruns += 1
            case ESTRPIPE:
                counters.suspends += 1
            default:
                throw ALSAError("snd_pcm_readi", device: settings.device, code: code)
            }
            let recovered = snd_pcm_recover(pcm, code, 1)
            if recovered < 0 { throw ALSAError("snd_pcm_recover", device: settings.device, code: recovered) }
        }
    }

    /// The driver's timestamp of its last pointer update, minus what was still buffered and
    /// the frames just read. Plugins without timestamps (file, null) report zero: then
    /// read time is used.
    private func firstFrameTime(count: Int) -> Int64 {
        var avail: snd_pcm_uframes_t = 0
        var stamp = snd_htimestamp_t()
        let nowNs = MonotonicClock.nanoseconds()
        var stampNs = nowNs
        if snd_pcm_htimestamp(pcm, &avail, &stamp) == 0, stamp.tv_sec != 0 || stamp.tv_nsec != 0 {
            stampNs = Int64(stamp.tv_sec) * 1_000_000_000 + Int64(stamp.tv_nsec)
        } else {
            avail = 0
        }
        let behind = Int64(count + Int(avail)) * 1_000_000_000 / Int64(rate)
        return stampNs - behind
    }
}
