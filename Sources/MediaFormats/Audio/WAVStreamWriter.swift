import Glibc
import Platform

/// Streams float samples into a WAV file as they are recorded. The RIFF and data sizes are
/// rewritten in place every `headerRefreshSeconds` of audio and on `close()`, so a recording
/// that is killed stays playable up to the last refresh (and `WAVFile.read` recovers the rest).
/// `append` encodes through a buffer allocated at `init`: no allocation per call.
/// Limit: the 4 GiB RIFF size (about 6 hours of 48 kHz stereo int16); past it `append` throws.
/// One writer is used from one thread at a time.
public final class WAVStreamWriter {
    public let path: String
    public let sampleRate: Int
    public let channels: Int
    public let format: WAVSampleFormat
    /// Sample frames (one sample per channel) written so far.
    public private(set) var frameCount = 0

    private let fd: Int32
    private let scratch: UnsafeMutableRawBufferPointer
    private let cleaned: UnsafeMutableBufferPointer<Float>
    private let scratchFrames = 4096
    private let headerBytes = 44
    private var dataBytes = 0
    private var refreshedAtBytes = 0
    private let refreshBytes: Int
    private var closed = false

    public init(path: String, sampleRate: Int, channels: Int, format: WAVSampleFormat = .int16,
                headerRefreshSeconds: Double = 1) throws(WAVError) {
        guard sampleRate > 0, (1...8).contains(channels) else {
            throw WAVError(path: path, problem: .invalidFormat("sample rate \(sampleRate), \(channels) channels"))
        }
        self.path = path
        self.sampleRate = sampleRate
        self.channels = channels
        self.format = format
        refreshBytes = max(1, Int(headerRefreshSeconds * Double(sampleRate))) * channels * format.bytesPerSample
        do {
            fd = try syscall("open", subject: path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        } catch {
            throw WAVError(path: path, problem: .io(error.description))
        }
        scratch = .allocate(byteCount: scratchFrames * channels * format.bytesPerSample, alignment: 8)
        cleaned = .allocate(capacity: scratchFrames * channels)
        let header = WAVFile.header(sampleRate: sampleRate, channels: channels, format: format, dataBytes: 0)
        let code = header.withUnsafeBytes { FileIO.writeFully(fd, $0) }
        if code != 0 {
            Glibc.close(fd)
            scratch.deallocate()
            cleaned.deallocate()
            throw WAVError(path: path, problem: .io(SystemError("write", subject: path, errno: code).description))
        }
    }

    deinit {
        if !closed { try? patchHeader(); Glibc.close(fd) }
        scratch.deallocate()
        cleaned.deallocate()
    }

    public var duration: Double { Double(frameCount) / Double(sampleRate) }

    /// Appends interleaved samples in [-1, 1] (clipped); the count must be a multiple of `channels`.
    public func append(_ samples: UnsafeBufferPointer<Float>) throws(WAVError) {
        guard !closed else { throw WAVError(path: path, problem: .io("append after close")) }
        guard samples.count % channels == 0 else {
            throw WAVError(path: path, problem: .invalidFormat("\(samples.count) samples is not a whole number of \(channels)-channel frames"))
        }
        let bytesPerSample = format.bytesPerSample
        guard headerBytes - 8 + dataBytes + samples.count * bytesPerSample <= Int(UInt32.max) else {
            throw WAVError(path: path, problem: .io("WAV size limit of 4 GiB reached; start a new file"))
        }
        guard let base = samples.baseAddress else { return }
        var done = 0
        while done < samples.count {
            let count = min(samples.count - done, scratchFrames * channels)
            var block = UnsafePointer(base + done)
            if UnsafeBufferPointer(start: block, count: count).contains(where: \.isNaN) {
                // A NaN (a DSP fault upstream) must not stop the recording: it is written as silence.
                for i in 0..<count { cleaned[i] = block[i].isNaN ? 0 : block[i] }
                block = UnsafePointer(cleaned.baseAddress!)
            }
            SampleCodec.encode(block, count: count, format: format, into: scratch.baseAddress!)
            let code = FileIO.writeFully(fd, UnsafeRawBufferPointer(rebasing: scratch[0..<(count * bytesPerSample)]))
            if code != 0 {
                // Keep whole frames only, so the file stays consistent with its header.
                _ = ftruncate(fd, off_t(headerBytes + dataBytes))
                throw WAVError(path: path, problem: .io(SystemError("write", subject: path, errno: code).description))
            }
            dataBytes += count * bytesPerSample
            done += count
        }
        frameCount += samples.count / channels
        if dataBytes - refreshedAtBytes >= refreshBytes { try patchHeader() }
    }

    public func append(_ samples: [Float]) throws(WAVError) {
        let failure = samples.withUnsafeBufferPointer { buffer -> WAVError? in
            do throws(WAVError) { try append(buffer); return nil } catch { return error }
        }
        if let failure { throw failure }
    }

    /// Writes the final sizes, syncs and closes the file.
    public func close() throws(WAVError) {
        guard !closed else { return }
        closed = true
        defer { Glibc.close(fd) }
        try patchHeader()
        if fsync(fd) != 0 { throw WAVError(path: path, problem: .io(SystemError("fsync", subject: path, errno: errno).description)) }
    }

    private func patchHeader() throws(WAVError) {
        try store(UInt32(headerBytes - 8 + dataBytes), at: 4)
        try store(UInt32(dataBytes), at: 40)
        refreshedAtBytes = dataBytes
    }

    private func store(_ value: UInt32, at offset: Int) throws(WAVError) {
        var little = value.littleEndian
        let written = withUnsafeBytes(of: &little) { pwrite(fd, $0.baseAddress, 4, off_t(offset)) }
        if written != 4 { throw WAVError(path: path, problem: .io(SystemError("pwrite", subject: path, errno: errno).description)) }
    }
}
