import Platform

/// Vocal-tract-length perturbation (Jaitly and Hinton 2013) and tempo change of a
/// standardised spectrogram, for training only. Each clip's frequency axis is scaled by a
/// factor drawn from [1 - frequency, 1 + frequency] (a longer or shorter vocal tract moves
/// every formant by the same ratio) and its time axis about the window's centre by one from
/// [1 - time, 1 + time] (faster or slower speech), both by linear interpolation. Held-out
/// voices differ from the ten training voices in exactly these two ways, so the audio branch
/// should learn the words across them rather than the voices it heard.
public struct SpectrogramWarp: Sendable, Equatable {
    public var frequency: Double
    public var time: Double

    public init(frequency: Double, time: Double = 0) {
        self.frequency = frequency
        self.time = time
    }

    /// spectrogram: [size (frequency bins, row 0 = 0 Hz)][size (time columns)], warped in
    /// place; `scratch` holds size² floats.
    public func apply(_ spectrogram: UnsafeMutablePointer<Float>, size: Int, scratch: UnsafeMutablePointer<Float>,
                      random: inout RandomSource) {
        let alpha = random.uniform(1 - frequency, 1 + frequency), beta = random.uniform(1 - time, 1 + time)
        Self.warp(spectrogram, size: size, frequencyScale: alpha, timeScale: beta, scratch: scratch)
    }

    /// out[f][t] = in[f / α][c + (t - c) / β] (c = the centre column), bilinear; sources past
    /// the top bin or the window's edges take the nearest edge value.
    static func warp(_ spectrogram: UnsafeMutablePointer<Float>, size: Int, frequencyScale alpha: Double, timeScale beta: Double,
                     scratch: UnsafeMutablePointer<Float>) {
        guard alpha != 1 || beta != 1 else { return }
        scratch.update(from: spectrogram, count: size * size)
        let last = Double(size - 1), centre = last / 2
        for f in 0..<size {
            let sf = min(Double(f) / alpha, last)
            let f0 = Int(sf), f1 = min(f0 + 1, size - 1), wf = Float(sf - Double(f0))
            let row = spectrogram + f * size, a = scratch + f0 * size, b = scratch + f1 * size
            for t in 0..<size {
                let st = min(max(centre + (Double(t) - centre) / beta, 0), last)
                let t0 = Int(st), t1 = min(t0 + 1, size - 1), wt = Float(st - Double(t0))
                let top = a[t0] + (a[t1] - a[t0]) * wt, bottom = b[t0] + (b[t1] - b[t0]) * wt
                row[t] = top + (bottom - top) * wf
            }
        }
    }
}
