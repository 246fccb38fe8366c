import CSoxr

/// Streaming sample-rate converter (libsoxr, mono float32).
///
/// Quality: SOXR_HQ, i.e. 20-bit precision (stopband attenuation about 125 dB), linear phase,
/// passband flat to 91.3 % of the lower Nyquist frequency (10.96 kHz for 48 -> 24 kHz), full
/// stop at Nyquist. State carries across calls, so a stream cut into any blocks gives the
/// same output as one call. The filter delay is compensated by soxr (output sample n is at
/// time n / outputRate). After `init`, `process` does not allocate.
public final class Resampler {
    public let inputRate: Double
    public let outputRate: Double
    private let handle: soxr_t

    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "resampler: \(message)" }
    }

    public init(inputRate: Double, outputRate: Double) throws(Failure) {
        guard inputRate > 0, outputRate > 0 else {
            throw Failure(message: "sample rates must be positive (got \(inputRate) -> \(outputRate))")
        }
        self.inputRate = inputRate
        self.outputRate = outputRate
        var error: soxr_error_t?
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        var runtime = soxr_runtime_spec(1)  // one thread: the caller decides the threading
        guard let created = soxr_create(inputRate, outputRate, 1, &error, &io, &quality, &runtime), error == nil else {
            throw Failure(message: error.map { String(cString: $0) } ?? "soxr_create failed")
        }
        handle = created
    }

    deinit { soxr_delete(handle) }

    /// Output samples that `inputCount` more input samples can produce at most (for sizing buffers).
    public func maxOutput(forInput inputCount: Int) -> Int {
        Int((Double(inputCount) * outputRate / inputRate).rounded(.up)) + 64
    }

    /// Feeds input and collects what is ready; returns the number of output samples written.
    /// All input is consumed as long as `output` has `maxOutput(forInput:)` room.
    @discardableResult
    public func process(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) -> Int {
        var consumed = 0
        var produced = 0
        _ = soxr_process(handle, input.baseAddress, input.count, &consumed, output.baseAddress, output.count, &produced)
        return produced
    }

    /// Flushes the filter tail at end of stream.
    @discardableResult
    public func flush(into output: UnsafeMutableBufferPointer<Float>) -> Int {
        var produced = 0
        _ = soxr_process(handle, nil, 0, nil, output.baseAddress, output.count, &produced)
        return produced
    }

    /// Forgets all state, ready for a new stream.
    public func reset() { _ = soxr_clear(handle) }

    /// Whole-signal conversion, for offline use (allocates the result).
    public static func convert(_ samples: [Float], from inputRate: Double, to outputRate: Double) throws(Failure) -> [Float] {
        if inputRate == outputRate { return samples }
        let resampler = try Resampler(inputRate: inputRate, outputRate: outputRate)
        let expected = Int((Double(samples.count) * outputRate / inputRate).rounded())
        var out = [Float](repeating: 0, count: resampler.maxOutput(forInput: samples.count) + 1024)
        var count = 0
        samples.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { buffer in
                count = resampler.process(input, into: buffer)
                count += resampler.flush(into: UnsafeMutableBufferPointer(rebasing: buffer[count...]))
            }
        }
        out.removeLast(out.count - min(count, expected))
        if out.count < expected { out.append(contentsOf: repeatElement(0, count: expected - out.count)) }
        return out
    }
}
