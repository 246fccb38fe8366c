import CFFTW3
import Glibc
import Synchronization

/// The paper's audio input: a 0.6 s window of 24 kHz speech as a 256×256 log-spectrogram.
///
/// Exact definition (the numpy reference in Tests/FixtureScripts/spectrogram_reference.py
/// implements the same, and the tests compare against its output):
/// - input: `windowSamples` = 14400 mono samples at 24 kHz (0.6 s);
/// - frames: `frameLength` = 240 samples (10 ms), `hop` = 120 (5 ms), no padding, so
///   frame f covers samples [120 f, 120 f + 240) for f = 0..<119 (119 frames);
/// - window: periodic Hann, w[n] = 0.5 - 0.5 cos(2π n / 240) (scipy `get_window('hann', 240)`);
/// - FFT: real FFT of the windowed frame zero-padded to 512 points; keep bins 0..<256
///   (0 Hz to 11953 Hz in 46.875 Hz steps; the Nyquist bin is dropped) = 256 frequency bands;
/// - power: P = |X_k|² / Σ w²; level in dB: L = 10 log10(P + 1e-10) (floor -100 dB; log10
///   by a polynomial accurate to 1e-6 dB);
/// - time axis: the 119 frame columns are resampled to 256 columns by linear interpolation
///   with half-pixel centres: column j reads frame position s = (j + 0.5)·119/256 - 0.5,
///   clamped to [0, 118] (as torch `interpolate(mode='linear', align_corners=False)`);
/// - layout: row-major [frequency bin][column], row 0 = 0 Hz (images flip it for display);
/// - network input: the dB map standardised per window, (L - mean) / (std + 1e-5).
///
/// The FFT plan and all buffers are made once in `init`; `compute` allocates nothing.
public final class LogSpectrogram {
    public struct Spec: Sendable, Equatable {
        public var sampleRate = 24_000
        public var windowSamples = 14_400
        public var frameLength = 240
        public var hop = 120
        public var fftSize = 512
        public var bins = 256
        public var columns = 256
        public init() {}
        public var frames: Int { 1 + (windowSamples - frameLength) / hop }
    }

    public let spec: Spec
    private let window: UnsafeMutablePointer<Float>         // [frameLength]
    private let frameBuffer: UnsafeMutablePointer<Float>    // [fftSize], zero tail
    private let spectrum: UnsafeMutablePointer<fftwf_complex> // [fftSize/2+1]
    private let frameDB: UnsafeMutablePointer<Float>        // [frames][bins]
    private let transposed: UnsafeMutablePointer<Float>     // [bins][frames]
    private let columnSource: UnsafeMutablePointer<Int32>   // [columns] lower frame index
    private let columnWeight: UnsafeMutablePointer<Float>   // [columns] weight of the upper frame
    private let plan: fftwf_plan
    private let powerScale: Float

    /// FFTW's planner is not thread-safe; execution is.
    private static let plannerLock = Mutex<Void>(())

    public init(spec: Spec = Spec()) {
        self.spec = spec
        let frames = spec.frames
        let complexBins = spec.fftSize / 2 + 1
        precondition(spec.bins <= complexBins, "more bins than the FFT provides")
        window = .allocate(capacity: spec.frameLength)
        frameBuffer = fftwf_alloc_real(spec.fftSize)
        spectrum = fftwf_alloc_complex(complexBins)
        frameDB = .allocate(capacity: frames * spec.bins)
        transposed = .allocate(capacity: frames * spec.bins)
        columnSource = .allocate(capacity: spec.columns)
        columnWeight = .allocate(capacity: spec.columns)
        frameBuffer.initialize(repeating: 0, count: spec.fftSize)

        var energy: Double = 0
        for n in 0..<spec.frameLength {
            let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(n) / Double(spec.frameLength))
            window[n] = Float(w)
            energy += w * w
        }
        powerScale = Float(1 / energy)

        let scale = Double(frames) / Double(spec.columns)
        for j in 0..<spec.columns {
            let s = min(max((Double(j) + 0.5) * scale - 0.5, 0), Double(frames - 1))
            let lower = min(Int(s), frames - 2)
            columnSource[j] = Int32(lower)
            columnWeight[j] = Float(s - Double(lower))
        }

        nonisolated(unsafe) let buffer = frameBuffer, output = spectrum
        let size = Int32(spec.fftSize)
        nonisolated(unsafe) var made: fftwf_plan?
        Self.plannerLock.withLock { _ in
            made = fftwf_plan_dft_r2c_1d(size, buffer, output, UInt32(FFTW_ESTIMATE))
        }
        plan = made!
    }

    deinit {
        nonisolated(unsafe) let doomed = plan
        Self.plannerLock.withLock { _ in fftwf_destroy_plan(doomed) }
        window.deallocate()
        fftwf_free(frameBuffer)
        fftwf_free(spectrum)
        frameDB.deallocate()
        transposed.deallocate()
        columnSource.deallocate()
        columnWeight.deallocate()
    }

    /// dB map of one window: `samples` has `spec.windowSamples` values; `out` receives
    /// bins × columns values, row-major by frequency.
    public func decibels(_ samples: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        for f in 0..<spec.frames { frameLevels(samples + f * spec.hop, into: frameDB + f * spec.bins) }
        resizeFrames(from: frameDB, into: out)
    }

    /// dB levels of one STFT frame (`spec.frameLength` samples from `frame`) into `row` (`spec.bins`).
    /// Streaming callers cache these rows: consecutive windows share most frames.
    public func frameLevels(_ frame: UnsafePointer<Float>, into row: UnsafeMutablePointer<Float>) {
        for n in 0..<spec.frameLength { frameBuffer[n] = frame[n] * window[n] }
        fftwf_execute_dft_r2c(plan, frameBuffer, spectrum)
        for k in 0..<spec.bins {
            let re = spectrum[k].0, im = spectrum[k].1
            row[k] = 10 * Self.log10Approximation((re * re + im * im) * powerScale + 1e-10)
        }
    }

    /// Resamples `frames` rows of dB levels ([frames][bins]) to the output map ([bins][columns]).
    public func resizeFrames(from rows: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let bins = spec.bins, columns = spec.columns, frames = spec.frames
        // Transpose to [bins][frames] so each output row reads one short, cache-resident row.
        for f in 0..<frames {
            for k in 0..<bins { transposed[k * frames + f] = rows[f * bins + k] }
        }
        for k in 0..<bins {
            let source = transposed + k * frames
            let target = out + k * columns
            for j in 0..<columns {
                let lower = source[Int(columnSource[j])], upper = source[Int(columnSource[j]) + 1]
                target[j] = lower + columnWeight[j] * (upper - lower)
            }
        }
    }

    /// log10 for positive normal floats: exponent from the bits, log2 of the mantissa in
    /// [√½, √2) by a degree-7 polynomial (max error 3.2e-7 in log2, i.e. 1e-6 dB).
    /// About 4x faster than libm's log10f and vectorisable.
    @inline(__always)
    static func log10Approximation(_ x: Float) -> Float {
        let bits = x.bitPattern
        var exponent = Int32(bitPattern: (bits >> 23) & 0xFF) - 127
        var mantissa = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)  // [1, 2)
        if mantissa > 1.41421356 { mantissa *= 0.5; exponent += 1 }
        let t = mantissa - 1
        var p: Float = 0.16720213873375858
        p = p * t - 0.27198319949149474
        p = p * t + 0.29799348792287084
        p = p * t - 0.3590345459437628
        p = p * t + 0.4804116471315679
        p = p * t - 0.7213762735512064
        p = p * t + 1.4427009417553067
        p = p * t + 9.279560884615558e-08
        return (Float(exponent) + p) * 0.30102999566398120  // log10(2)
    }

    /// The network input: dB map standardised per window.
    public func networkInput(_ samples: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        decibels(samples, into: out)
        Self.standardise(out, count: spec.bins * spec.columns)
    }

    /// (x - mean) / (std + 1e-5), population std, accumulated in Double.
    public static func standardise(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var sum: Double = 0, squares: Double = 0
        for i in 0..<count { let v = Double(values[i]); sum += v; squares += v * v }
        let mean = sum / Double(count)
        let std = (max(squares / Double(count) - mean * mean, 0)).squareRoot()
        let scale = Float(1 / (std + 1e-5)), offset = Float(mean)
        for i in 0..<count { values[i] = (values[i] - offset) * scale }
    }
}
