import CSpeexDSP

/// Speech enhancement by speexdsp's preprocessor: a frequency-domain MMSE-style noise
/// suppressor with continuous noise estimation (minima-controlled recursive averaging).
/// It runs on 10 ms frames of 16-bit samples at the front-end rate; AGC and dereverb stay
/// off so levels keep their meaning. The paper uses a neural enhancer (Demucs); this is the
/// real-time classical equivalent that fits the appliance's CPU budget.
public final class Denoiser {
    public let frameLength: Int
    private let state: OpaquePointer
    private let pcm: UnsafeMutablePointer<Int16>

    /// - Parameter suppressionDB: maximum attenuation of noise, negative dB (speex default -15).
    public init(frameLength: Int, sampleRate: Int, suppressionDB: Int32 = -30) {
        self.frameLength = frameLength
        state = speex_preprocess_state_init(Int32(frameLength), Int32(sampleRate))
        pcm = .allocate(capacity: frameLength)
        var on: Int32 = 1, off: Int32 = 0, suppression = suppressionDB
        speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DENOISE, &on)
        speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC, &off)
        speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DEREVERB, &off)
        speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &suppression)
    }

    deinit {
        speex_preprocess_state_destroy(state)
        pcm.deallocate()
    }

    /// Denoises one frame in place (`frameLength` samples in [-1, 1]).
    /// Never traps: a NaN sample (which min/max pass through) becomes silence, anything
    /// beyond full scale clips. Sources sanitise already (`SampleSanitiser`); this is the
    /// last guard before the Int16 conversion.
    public func process(_ frame: UnsafeMutablePointer<Float>) {
        for i in 0..<frameLength {
            let x = frame[i]
            pcm[i] = x.isNaN ? 0 : Int16(max(min((x * 32768).rounded(), 32767), -32768))
        }
        speex_preprocess_run(state, pcm)
        for i in 0..<frameLength { frame[i] = Float(pcm[i]) * (1 / 32768) }
    }
}
