/// The one place samples from outside (a file, a driver, a generator) are made safe for the
/// rest of the pipeline: NaN and ±Inf become silence, anything beyond full scale is clipped to
/// ±1. Downstream code (denoiser, levels, spectrogram) may then assume finite samples in
/// [-1, 1]. Allocation-free, so the capture thread can call it on every period.
public enum SampleSanitiser {
    /// Cleans `count` samples in place; returns how many had to be changed.
    @inline(__always)
    public static func sanitise(_ samples: UnsafeMutablePointer<Float>, count: Int) -> Int {
        var changed = 0
        for i in 0..<count {
            let x = samples[i]
            if x.isNaN || x.isInfinite {  // NaN compares false with everything: test it first
                samples[i] = 0
                changed += 1
            } else if x > 1 {
                samples[i] = 1
                changed += 1
            } else if x < -1 {
                samples[i] = -1
                changed += 1
            }
        }
        return changed
    }
}
