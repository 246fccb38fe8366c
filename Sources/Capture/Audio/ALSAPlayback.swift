import CALSA
import CALSAGlue
import Glibc

/// Playback to an ALSA PCM: interleaved S16_LE, blocking writes (the device's clock paces
/// the writer), underruns recovered and counted. The microphone end of a bench rig or of
/// the virtual board (snd-aloop: what is played on hw:Loopback,0 is captured on hw:Loopback,1).
public final class ALSAPlayback {
    public let device: String
    public let rate: Int
    public let channels: Int
    public private(set) var underruns = 0
    private var pcm: OpaquePointer?

    public init(device: String, rate: Int, channels: Int) throws(ALSAError) {
        showtell_alsa_capture_errors()
        self.device = device
        self.channels = channels
        var opened: OpaquePointer?
        try alsa("snd_pcm_open", device) { snd_pcm_open(&opened, device, SND_PCM_STREAM_PLAYBACK, 0) }
        do {
            // 20 ms periods, 4 of them: starts quickly, survives a busy machine.
            let granted = try ALSAHardware.configure(opened, device: device, rate: rate, channels: channels, periodFrames: rate / 50, periods: 4)
            try alsa("snd_pcm_prepare", device) { snd_pcm_prepare(opened) }
            self.rate = granted.rate
        } catch {
            snd_pcm_close(opened)
            throw error
        }
        pcm = opened
    }

    deinit { if let pcm { snd_pcm_close(pcm) } }

    /// Writes `frames` interleaved frames, blocking until the device has taken them all.
    public func write(_ samples: UnsafePointer<Int16>, frames: Int) throws(ALSAError) {
        var done = 0
        while done < frames {
            let n = snd_pcm_writei(pcm, samples + done * channels, snd_pcm_uframes_t(frames - done))
            if n >= 0 { done += n; continue }
            let code = Int32(n)
            if code == -EINTR || code == -EAGAIN { continue }
            if code == -EPIPE { underruns += 1 }
            let recovered = snd_pcm_recover(pcm, code, 1)
            if recovered < 0 { throw ALSAError("snd_pcm_writei", device: device, code: code) }
        }
    }

    /// Plays out what is queued, then stops.
    public func drain() { snd_pcm_drain(pcm) }
}
