import CFFTW3
import Glibc
import Synchronization

/// The paper's audio input: a 0.6 s window of 24 kHz speech as a 256×256 log-spectrogram.
///
/// Exact definition (the numpy reference in scripts/fixtures/spectrogram_reference.py
/// implements the same, and the tests compare against its output):
/// - input: `windowSamples` = 14400 mono samples at 24 kHz (0.6 s);
/// - frames: `frameLength` = 240 samples (10 ms), `hop` = 120 (5 ms), no padding, so
///   frame f covers samples [120 f, 120 f + 240) for f = 0..<119 (119 frames);
/// - window: periodic Hann, w[n] = 0.5 - 0.5 cos(2π n / 240) (scipy `get_window('hann', 240)`);
/// - FFT: real FFT of the windowed frame zero-padded to 512 points; keep bins 0..<256
///   (0 Hz to 11953 Hz in 46.875 Hz steps; the Nyquist bin is dropped) = 256 frequency bands;
/// - power: P = |X_k|² / Σ w²; level in dB: L = 10 log10(P + 1e-10) (floor -100 dB);
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
    private let frameBuffer: UnsafeMutablePointer<Float>    // [frames][fftSize], zero tail
    private let spectrum: UnsafeMutablePointer<fftwf_complex> // [frames][fftSize/2+1]
    private let frameDB: UnsafeMutablePointer<Float>        // [frames][bins]
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
        frameBuffer = fftwf_alloc_real(frames * spec.fftSize)
        spectrum = fftwf_alloc_complex(frames * complexBins)
        frameDB = .allocate(capacity: frames * spec.bins)
        columnSource = .allocate(capacity: spec.columns)
        columnWeight = .allocate(capacity: spec.columns)
        frameBuffer.initialize(repeating: 0, count: frames * spec.fftSize)

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

        let fftSize = spec.fftSize
        nonisolated(unsafe) let buffer = frameBuffer, output = spectrum
        nonisolated(unsafe) var size = Int32(spec.fftSize)
        nonisolated(unsafe) var made: fftwf_plan?
        Self.plannerLock.withLock { _ in
            made = fftwf_plan_many_dft_r2c(1, &size, Int32(frames), buffer, nil, 1, Int32(fftSize),
                                           output, nil, 1, Int32(complexBins), UInt32(FFTW_ESTIMATE))
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
        columnSource.deallocate()
        columnWeight.deallocate()
    }

    /// dB map of one window: `samples` has `spec.windowSamples` values; `out` receives
    /// bins × columns values, row-major by frequency.
    public func decibels(_ samples: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let frames = spec.frames, fftSize = spec.fftSize, bins = spec.bins
        for f in 0..<frames {
            let source = samples + f * spec.hop
            let target = frameBuffer + f * fftSize
            for n in 0..<spec.frameLength { target[n] = source[n] * window[n] }
        }
        fftwf_execute(plan)
        let complexBins = fftSize / 2 + 1
        for f in 0..<frames {
            let row = spectrum + f * complexBins
            let target = frameDB + f * bins
            for k in 0..<bins {
                let re = row[k].0, im = row[k].1
                let power = (re * re + im * im) * powerScale
                target[k] = 10 * log10f(power + 1e-10)
            }
        }
        for j in 0..<spec.columns {
            let lower = frameDB + Int(columnSource[j]) * bins
            let upper = lower + bins
            let t = columnWeight[j]
            for k in 0..<bins { out[k * spec.columns + j] = lower[k] + t * (upper[k] - lower[k]) }
        }
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
