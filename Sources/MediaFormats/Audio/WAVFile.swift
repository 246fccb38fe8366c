import Platform

/// Sample encodings a WAV file may carry that ShowTell reads and writes.
public enum WAVSampleFormat: Sendable, Equatable, CustomStringConvertible {
    case int16, int24, int32, float32, float64

    public var bytesPerSample: Int {
        switch self {
        case .int16: 2
        case .int24: 3
        case .int32, .float32: 4
        case .float64: 8
        }
    }

    var formatTag: UInt16 {
        switch self {
        case .int16, .int24, .int32: 1
        case .float32, .float64: 3
        }
    }

    public var description: String {
        switch self {
        case .int16: "PCM 16-bit"
        case .int24: "PCM 24-bit"
        case .int32: "PCM 32-bit"
        case .float32: "float 32-bit"
        case .float64: "float 64-bit"
        }
    }
}

/// Audio as float samples in [-1, 1], interleaved by channel.
public struct AudioClip: Sendable {
    public var sampleRate: Int
    public var channels: Int
    public var samples: [Float]

    public init(sampleRate: Int, channels: Int, samples: [Float]) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    public var frameCount: Int { channels == 0 ? 0 : samples.count / channels }
    public var duration: Double { Double(frameCount) / Double(sampleRate) }

    /// Channel average; a mono clip is returned as it is.
    public func mixedToMono() -> [Float] {
        if channels == 1 { return samples }
        var mono = [Float](repeating: 0, count: frameCount)
        let scale = 1 / Float(channels)
        for frame in 0..<frameCount {
            var sum: Float = 0
            for channel in 0..<channels { sum += samples[frame * channels + channel] }
            mono[frame] = sum * scale
        }
        return mono
    }
}

/// Why a WAV file could not be read. The description names the file and the problem.
public struct WAVError: Error, CustomStringConvertible, Sendable {
    public enum Problem: Sendable, Equatable {
        case notRIFF
        case notWAVE
        case missingChunk(String)
        case unsupportedCodec(formatTag: UInt16, bitsPerSample: Int)
        case invalidFormat(String)
        case truncated(declaredBytes: Int, availableBytes: Int)
        case io(String)
    }

    public let path: String
    public let problem: Problem

    public var description: String {
        let what: String
        switch problem {
        case .notRIFF: what = "not a RIFF file (no 'RIFF' magic at byte 0)"
        case .notWAVE: what = "RIFF file is not WAVE (no 'WAVE' form type at byte 8)"
        case .missingChunk(let id): what = "no '\(id)' chunk"
        case .unsupportedCodec(let tag, let bits):
            what = "unsupported codec: format tag 0x\(String(tag, radix: 16)) with \(bits) bits per sample"
                + " (supported: PCM 16/24/32-bit, IEEE float 32/64-bit)"
        case .invalidFormat(let detail): what = "invalid 'fmt ' chunk: \(detail)"
        case .truncated(let declared, let available):
            what = "truncated: data chunk declares \(declared) bytes but only \(available) are present"
                + " (read with recovery to keep the complete samples)"
        case .io(let detail): what = detail
        }
        return "\(path): \(what)"
    }
}

/// What reading tolerated, so a caller can report it instead of hiding it.
public struct WAVReadReport: Sendable, Equatable {
    public var format: WAVSampleFormat
    /// Bytes missing from a truncated data chunk (0 for a complete file).
    public var missingBytes: Int = 0
    /// Float samples that were NaN, infinite or beyond full scale, replaced by silence or
    /// clipped to ±1 (`SampleSanitiser`); integer formats cannot hold such values.
    public var sanitisedSamples: Int = 0
}

public enum WAVFile {
    /// Reads a WAV file. With `recoverTruncated`, a data chunk cut short (a recording
    /// interrupted by power loss) yields its complete sample frames and `missingBytes` > 0;
    /// without it, truncation is an error.
    public static func read(_ path: String, recoverTruncated: Bool = false) throws(WAVError) -> (AudioClip, WAVReadReport) {
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path) } catch { throw WAVError(path: path, problem: .io(error.description)) }
        return try decode(bytes, path: path, recoverTruncated: recoverTruncated)
    }

    public static func decode(_ bytes: [UInt8], path: String = "<memory>", recoverTruncated: Bool = false) throws(WAVError) -> (AudioClip, WAVReadReport) {
        func fail(_ problem: WAVError.Problem) -> WAVError { WAVError(path: path, problem: problem) }
        var reader = ByteReader(bytes)
        guard bytes.count >= 12, reader.fourCC(at: 0) == "RIFF" else { throw fail(.notRIFF) }
        guard reader.fourCC(at: 8) == "WAVE" else { throw fail(.notWAVE) }

        var format: (tag: UInt16, channels: Int, rate: Int, blockAlign: Int, bits: Int)?
        var data: (offset: Int, declared: Int)?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = reader.fourCC(at: offset)
            let size = Int(reader.u32(at: offset + 4))
            let body = offset + 8
            if id == "fmt " {
                guard size >= 16, body + 16 <= bytes.count else { throw fail(.invalidFormat("chunk of \(size) bytes is shorter than 16")) }
                var tag = reader.u16(at: body)
                let channels = Int(reader.u16(at: body + 2))
                let rate = Int(reader.u32(at: body + 4))
                let blockAlign = Int(reader.u16(at: body + 12))
                let bits = Int(reader.u16(at: body + 14))
                if tag == 0xFFFE {  // WAVE_FORMAT_EXTENSIBLE: the codec is the subformat GUID's first two bytes
                    guard size >= 40, body + 26 <= bytes.count else { throw fail(.invalidFormat("extensible format chunk too short")) }
                    tag = reader.u16(at: body + 24)
                }
                format = (tag, channels, rate, blockAlign, bits)
            } else if id == "data" {
                data = (body, size)
                if format != nil { break }  // nothing after the data chunk is needed
            }
            // Chunks are word aligned; a streaming writer may leave size 0xFFFFFFFF in data.
            if id == "data" && (size == 0xFFFF_FFFF || body + size > bytes.count) { break }
            offset = body + size + (size & 1)
        }
        guard let fmt = format else { throw fail(.missingChunk("fmt ")) }
        guard let dataChunk = data else { throw fail(.missingChunk("data")) }
        guard fmt.channels > 0 else { throw fail(.invalidFormat("0 channels")) }
        guard fmt.rate > 0 else { throw fail(.invalidFormat("sample rate 0")) }

        let sampleFormat: WAVSampleFormat
        switch (fmt.tag, fmt.bits) {
        case (1, 16): sampleFormat = .int16
        case (1, 24): sampleFormat = .int24
        case (1, 32): sampleFormat = .int32
        case (3, 32): sampleFormat = .float32
        case (3, 64): sampleFormat = .float64
        default: throw fail(.unsupportedCodec(formatTag: fmt.tag, bitsPerSample: fmt.bits))
        }
        let frameBytes = sampleFormat.bytesPerSample * fmt.channels
        guard fmt.blockAlign == frameBytes else {
            throw fail(.invalidFormat("block align \(fmt.blockAlign) does not match \(fmt.channels) channels of \(sampleFormat)"))
        }

        let available = bytes.count - dataChunk.offset
        var report = WAVReadReport(format: sampleFormat)
        var dataBytes = dataChunk.declared
        if dataChunk.declared == 0xFFFF_FFFF || (dataChunk.declared == 0 && available > 0) {
            dataBytes = available  // streaming writer never patched the size: take what is there
            report.missingBytes = 0
        } else if dataChunk.declared > available {
            guard recoverTruncated else { throw fail(.truncated(declaredBytes: dataChunk.declared, availableBytes: available)) }
            report.missingBytes = dataChunk.declared - available
            dataBytes = available
        }
        let frames = dataBytes / frameBytes
        let count = frames * fmt.channels
        var samples = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + dataChunk.offset
            samples.withUnsafeMutableBufferPointer { out in
                SampleCodec.decode(base, format: sampleFormat, count: count, into: out.baseAddress!)
                if sampleFormat == .float32 || sampleFormat == .float64 {
                    report.sanitisedSamples = SampleSanitiser.sanitise(out.baseAddress!, count: count)
                }
            }
        }
        return (AudioClip(sampleRate: fmt.rate, channels: fmt.channels, samples: samples), report)
    }

    /// Writes a whole clip atomically.
    public static func write(_ clip: AudioClip, to path: String, format: WAVSampleFormat = .int16) throws(SystemError) {
        var bytes = header(sampleRate: clip.sampleRate, channels: clip.channels, format: format,
                           dataBytes: clip.samples.count * format.bytesPerSample)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: clip.samples.count * format.bytesPerSample))
        bytes.withUnsafeMutableBytes { raw in
            clip.samples.withUnsafeBufferPointer { input in
                SampleCodec.encode(input.baseAddress!, count: input.count, format: format, into: raw.baseAddress! + start)
            }
        }
        try FileIO.writeAtomically(path, bytes)
    }

    /// The canonical 44-byte header (WAVE_FORMAT_EXTENSIBLE is not needed for ≤ 2 channels).
    static func header(sampleRate: Int, channels: Int, format: WAVSampleFormat, dataBytes: Int) -> [UInt8] {
        var out = ByteWriter()
        let blockAlign = channels * format.bytesPerSample
        out.fourCC("RIFF"); out.u32(UInt32(truncatingIfNeeded: min(36 + dataBytes, Int(UInt32.max))))
        out.fourCC("WAVE")
        out.fourCC("fmt "); out.u32(16)
        out.u16(format.formatTag); out.u16(UInt16(channels))
        out.u32(UInt32(sampleRate)); out.u32(UInt32(sampleRate * blockAlign))
        out.u16(UInt16(blockAlign)); out.u16(UInt16(format.bytesPerSample * 8))
        out.fourCC("data"); out.u32(UInt32(truncatingIfNeeded: min(dataBytes, Int(UInt32.max))))
        return out.bytes
    }
}
