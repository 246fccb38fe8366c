import CFFTW3
import Glibc

/// Per-10 ms acoustic features for telling speakers apart, from 16 kHz audio:
/// - 13 MFCCs (c0 = log energy): 25 ms Hann frames, 512-point FFT, 26 mel bands 100-7000 Hz,
///   log, DCT-II. c1...c12 describe the vocal tract (formants: male/female, accent); c0 the
///   level, which differs with distance from the microphone (sonographer at the machine,
///   parent on the couch, colleague at the door).
/// - F0 by normalised autocorrelation on a 40 ms frame decimated to 8 kHz (60-400 Hz), with
///   its peak height as voicing strength: voices differ most plainly in pitch.
public final class SpeakerFeatures {
    public static let sampleRate = 16_000
    public static let hop = 160
    public static let frameLength = 400
    public static let cepstra = 13
    private static let fftSize = 512
    private static let bands = 26

    private let window: [Float]
    private let filters: [(first: Int, weights: [Float])]
    private let dct: [Float]  // [cepstra][bands]
    private let input: UnsafeMutablePointer<Float>
    private let spectrum: UnsafeMutablePointer<fftwf_complex>
    private let plan: fftwf_plan

    public struct Frames: Sendable {
        /// [frame][13]
        public var mfcc: [Float]
        /// Hz, 0 where unvoiced.
        public var pitch: [Float]
        public var count: Int { pitch.count }
    }

    public init() {
        window = (0..<Self.frameLength).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(Self.frameLength))) }
        func mel(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }
        func hertz(_ m: Double) -> Double { 700 * (pow(10, m / 2595) - 1) }
        let low = mel(100), high = mel(7000)
        let edges = (0..<(Self.bands + 2)).map { hertz(low + (high - low) * Double($0) / Double(Self.bands + 1)) }
        let binHz = Double(Self.sampleRate) / Double(Self.fftSize)
        var filters: [(Int, [Float])] = []
        for b in 0..<Self.bands {
            let (l, c, h) = (edges[b], edges[b + 1], edges[b + 2])
            let first = Int((l / binHz).rounded(.up)), last = Int((h / binHz).rounded(.down))
            var weights: [Float] = []
            for k in first...max(first, last) {
                let f = Double(k) * binHz
                weights.append(Float(max(0, f < c ? (f - l) / (c - l) : (h - f) / (h - c))))
            }
            filters.append((first, weights))
        }
        self.filters = filters.map { (first: $0.0, weights: $0.1) }
        var dct = [Float](repeating: 0, count: Self.cepstra * Self.bands)
        for i in 0..<Self.cepstra {
            for b in 0..<Self.bands {
                dct[i * Self.bands + b] = Float(cos(Double.pi * Double(i) * (Double(b) + 0.5) / Double(Self.bands)))
            }
        }
        self.dct = dct
        input = fftwf_alloc_real(Self.fftSize)
        input.initialize(repeating: 0, count: Self.fftSize)
        spectrum = fftwf_alloc_complex(Self.fftSize / 2 + 1)
        plan = LogSpectrogramPlanner.plan(size: Self.fftSize, input: input, output: spectrum)
    }

    deinit {
        LogSpectrogramPlanner.destroy(plan)
        fftwf_free(input)
        fftwf_free(spectrum)
    }

    /// Features of frames `range` (frame f starts at sample f·160).
    public func compute(_ samples: [Float], frames range: Range<Int>) -> Frames {
        var mfcc = [Float](repeating: 0, count: range.count * Self.cepstra)
        var pitch = [Float](repeating: 0, count: range.count)
        var power = [Float](repeating: 0, count: Self.fftSize / 2 + 1)
        var logMel = [Float](repeating: 0, count: Self.bands)
        var decimated = [Float](repeating: 0, count: 320)
        samples.withUnsafeBufferPointer { x in
            for (row, f) in range.enumerated() {
                let start = f * Self.hop
                for n in 0..<Self.frameLength {
                    let i = start + n
                    input[n] = i < x.count ? x[i] * window[n] * 32768 : 0
                }
                fftwf_execute_dft_r2c(plan, input, spectrum)
                for k in 0...(Self.fftSize / 2) { power[k] = spectrum[k].0 * spectrum[k].0 + spectrum[k].1 * spectrum[k].1 }
                for (b, filter) in filters.enumerated() {
                    var sum: Float = 0
                    for (j, w) in filter.weights.enumerated() where filter.first + j <= Self.fftSize / 2 { sum += w * power[filter.first + j] }
                    logMel[b] = logf(sum + 1)
                }
                for i in 0..<Self.cepstra {
                    var sum: Float = 0
                    for b in 0..<Self.bands { sum += dct[i * Self.bands + b] * logMel[b] }
                    mfcc[row * Self.cepstra + i] = sum
                }
                // Pitch: 40 ms centred on the frame, pairs averaged to 8 kHz.
                let centre = start + Self.frameLength / 2
                let first = centre - 320
                var energy: Float = 0
                for n in 0..<320 {
                    let a = first + 2 * n, b = a + 1
                    let v = (a >= 0 && b < x.count) ? 0.5 * (x[a] + x[b]) : 0
                    decimated[n] = v
                    energy += v * v
                }
                guard energy > 1e-8 else { continue }
                var best: Float = 0, bestLag = 0
                for lag in 20...133 {
                    var r: Float = 0, e1: Float = 0, e2: Float = 0
                    for n in 0..<(320 - lag) {
                        r += decimated[n] * decimated[n + lag]
                        e1 += decimated[n] * decimated[n]
                        e2 += decimated[n + lag] * decimated[n + lag]
                    }
                    let normalised = r / (sqrtf(e1 * e2) + 1e-12)
                    if normalised > best { best = normalised; bestLag = lag }
                }
                if best > 0.6 { pitch[row] = 8000 / Float(bestLag) }
            }
        }
        return Frames(mfcc: mfcc, pitch: pitch)
    }
}

/// FFTW's planner is not thread-safe; plans are made under one lock.
enum LogSpectrogramPlanner {
    nonisolated(unsafe) private static var lock = pthread_mutex_t()
    private static let initialised: Bool = { pthread_mutex_init(&lock, nil); return true }()

    static func plan(size: Int, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<fftwf_complex>) -> fftwf_plan {
        _ = initialised
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))!
    }

    static func destroy(_ plan: fftwf_plan) {
        _ = initialised
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        fftwf_destroy_plan(plan)
    }
}
