import Glibc
import Platform

/// Streams MJPEG frames into a RIFF AVI 1.0 file (one video stream, 'MJPG', idx1 index).
///
/// Crash safety: the header (RIFF/movi sizes, frame counts) is rewritten in place every
/// `headerRefreshInterval` frames, so a recording killed mid-way opens in ffmpeg and in
/// `AVIReader` with every frame up to the last refresh (the reader also recovers complete
/// frames written after it). `finish()` appends idx1 and writes the final header.
///
/// Allocation: buffers are allocated at `init`; `append` allocates nothing except when the
/// idx1 table (16 bytes per frame) outgrows its capacity, which doubles (amortised O(1));
/// pass `expectedFrameCount` to avoid even that. Encoding `Image8` frames reuses one JPEG
/// buffer (libjpeg's own working memory is C-side and outside this guarantee).
///
/// Size limit: AVI 1.0 without OpenDML; files are capped at `defaultSizeLimit` (1 GiB). `append`
/// throws `.fileSizeLimit` before writing a frame that would cross it; the file stays valid
/// and `finish()` still works. At 640x480 gray and ~25 KB per frame that is ~24 min at 30 fps.
///
/// One writer is used from one thread at a time (it owns a file descriptor and buffers).
public final class AVIWriter {
    public static let defaultSizeLimit = 1 << 30

    public let path: String
    public let width: Int
    public let height: Int
    public let frameRate: FrameRate
    public private(set) var frameCount = 0
    /// Bytes written so far (header and frames).
    public private(set) var fileSize = AVILayout.moviData

    private let fd: Int32
    private let header: UnsafeMutableRawBufferPointer
    private let chunkHeader: UnsafeMutableRawBufferPointer   // 8-byte chunk header + 1 pad byte
    private var index: UnsafeMutableRawBufferPointer
    private var jpegBuffer: UnsafeMutableRawBufferPointer?
    private var largestChunk = 0
    private let refreshInterval: Int
    private let sizeLimit: Int
    private var finished = false

    /// Creates (truncates) `path` and writes the header.
    /// - Parameters:
    ///   - headerRefreshInterval: frames between header rewrites; default one second of video.
    ///   - expectedFrameCount: initial idx1 capacity (it grows if exceeded).
    public convenience init(path: String, width: Int, height: Int, frameRate: FrameRate,
                            headerRefreshInterval: Int? = nil, expectedFrameCount: Int = 0) throws(AVIError) {
        try self.init(path: path, width: width, height: height, frameRate: frameRate,
                      headerRefreshInterval: headerRefreshInterval, expectedFrameCount: expectedFrameCount,
                      sizeLimit: Self.defaultSizeLimit)
    }

    /// `sizeLimit` is internal so tests can exercise the limit without writing a gigabyte.
    init(path: String, width: Int, height: Int, frameRate: FrameRate, headerRefreshInterval: Int?,
         expectedFrameCount: Int, sizeLimit: Int) throws(AVIError) {
        guard (1...65535).contains(width), (1...65535).contains(height) else {
            throw AVIError(path: path, problem: .invalidFrame("frame size \(width)x\(height) outside 1...65535 (JPEG limit)"))
        }
        self.path = path
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.refreshInterval = max(1, headerRefreshInterval ?? Int(frameRate.framesPerSecond.rounded(.up)))
        self.sizeLimit = min(sizeLimit, Int(UInt32.max))
        do {
            fd = try syscall("open", subject: path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        } catch {
            throw AVIError(path: path, problem: .io(error.description))
        }
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: AVILayout.moviData, alignment: 8)
        AVILayout.header(width: width, height: height, frameRate: frameRate).withUnsafeBytes { header.copyMemory(from: $0) }
        self.header = header
        chunkHeader = .allocate(byteCount: 9, alignment: 8)
        chunkHeader.storeBytes(of: AVILayout.fourCC("00dc").littleEndian, toByteOffset: 0, as: UInt32.self)
        chunkHeader[8] = 0
        index = .allocate(byteCount: max(expectedFrameCount, 256) * AVILayout.indexEntrySize, alignment: 8)
        try writeHeader()
    }

    deinit {
        // Not finished (error path): leave a header that matches what is on disk.
        if !finished { try? writeHeader(); close(fd) }
        header.deallocate()
        chunkHeader.deallocate()
        index.deallocate()
        jpegBuffer?.deallocate()
    }

    /// Appends one JPEG frame (SOI..EOI) of this writer's size.
    public func append(jpeg: UnsafeRawBufferPointer) throws(AVIError) {
        guard !finished else { throw AVIError(path: path, problem: .alreadyFinished) }
        guard let markers = JPEGMarkers.parse(jpeg) else {
            throw AVIError(path: path, problem: .invalidFrame("frame \(frameCount) is not a JPEG image"))
        }
        guard markers.width == width, markers.height == height else {
            throw AVIError(path: path, problem: .invalidFrame(
                "frame \(frameCount) is \(markers.width)x\(markers.height), the video is \(width)x\(height)"))
        }
        let size = jpeg.count
        let chunkBytes = 8 + size + (size & 1)
        let indexBytes = 8 + (frameCount + 1) * AVILayout.indexEntrySize
        guard fileSize + chunkBytes + indexBytes <= sizeLimit else {
            throw AVIError(path: path, problem: .fileSizeLimit(limit: sizeLimit))
        }
        if (frameCount + 1) * AVILayout.indexEntrySize > index.count { growIndex() }

        chunkHeader.storeBytes(of: UInt32(size).littleEndian, toByteOffset: 4, as: UInt32.self)
        let code = writeVectored(UnsafeRawBufferPointer(rebasing: chunkHeader[0..<8]), jpeg,
                                 UnsafeRawBufferPointer(rebasing: chunkHeader[8..<(8 + (size & 1))]))
        if code != 0 {
            _ = ftruncate(fd, off_t(fileSize))  // drop a partial chunk so the file stays parseable
            throw AVIError(path: path, problem: .io(SystemError("write", subject: path, errno: code).description))
        }
        let entry = frameCount * AVILayout.indexEntrySize
        index.storeBytes(of: AVILayout.fourCC("00dc").littleEndian, toByteOffset: entry, as: UInt32.self)
        index.storeBytes(of: AVILayout.keyFrameFlag.littleEndian, toByteOffset: entry + 4, as: UInt32.self)
        index.storeBytes(of: UInt32(fileSize - AVILayout.moviFourCC).littleEndian, toByteOffset: entry + 8, as: UInt32.self)
        index.storeBytes(of: UInt32(size).littleEndian, toByteOffset: entry + 12, as: UInt32.self)
        fileSize += chunkBytes
        frameCount += 1
        largestChunk = max(largestChunk, size)
        if frameCount % refreshInterval == 0 { try writeHeader() }
    }

    public func append(jpeg: [UInt8]) throws(AVIError) {
        // Array.withUnsafeBytes rethrows untyped errors; the closure only throws AVIError.
        let failure = jpeg.withUnsafeBytes { raw -> AVIError? in
            do throws(AVIError) { try append(jpeg: raw); return nil } catch { return error }
        }
        if let failure { throw failure }
    }

    /// Encodes a gray (1 channel) or RGB (3 channels) frame with libjpeg and appends it.
    public func append(_ image: Image8, quality: Int = 85) throws(AVIError) {
        guard image.width == width, image.height == height, image.channels == 1 || image.channels == 3 else {
            throw AVIError(path: path, problem: .invalidFrame(
                "image \(image.width)x\(image.height)x\(image.channels) does not fit a \(width)x\(height) gray or RGB video"))
        }
        let buffer: UnsafeMutableRawBufferPointer
        if let existing = jpegBuffer {
            buffer = existing
        } else {
            buffer = .allocate(byteCount: JPEGCodec.maxEncodedSize(width: width, height: height, components: 3), alignment: 8)
            jpegBuffer = buffer
        }
        let count: Int
        do {
            count = try image.pixels.withUnsafeBytes { (pixels) throws(JPEGError) in
                try JPEGCodec.encode(pixels, width: width, height: height, components: image.channels,
                                     quality: quality, into: buffer)
            }
        } catch {
            throw AVIError(path: path, problem: .invalidFrame("frame \(frameCount) could not be encoded: \(error)"))
        }
        try append(jpeg: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    /// Writes idx1 and the final header, syncs and closes the file.
    public func finish() throws(AVIError) {
        guard !finished else { throw AVIError(path: path, problem: .alreadyFinished) }
        finished = true
        defer { close(fd) }
        let indexBytes = frameCount * AVILayout.indexEntrySize
        let moviEnd = fileSize
        chunkHeader.storeBytes(of: AVILayout.fourCC("idx1").littleEndian, toByteOffset: 0, as: UInt32.self)
        chunkHeader.storeBytes(of: UInt32(indexBytes).littleEndian, toByteOffset: 4, as: UInt32.self)
        let code = writeVectored(UnsafeRawBufferPointer(rebasing: chunkHeader[0..<8]),
                                 UnsafeRawBufferPointer(rebasing: index[0..<indexBytes]), UnsafeRawBufferPointer(start: nil, count: 0))
        if code != 0 {
            _ = ftruncate(fd, off_t(moviEnd))
            throw AVIError(path: path, problem: .io(SystemError("write", subject: path, errno: code).description))
        }
        fileSize += 8 + indexBytes
        try writeHeader(moviEnd: moviEnd, hasIndex: true)
        do { _ = try syscall("fsync", subject: path) { fsync(fd) } } catch { throw AVIError(path: path, problem: .io(error.description)) }
    }

    private func writeHeader(moviEnd: Int? = nil, hasIndex: Bool = false) throws(AVIError) {
        AVILayout.patch(header, frameRate: frameRate, frames: frameCount, moviEnd: moviEnd ?? fileSize,
                        fileBytes: fileSize, largestChunk: largestChunk, hasIndex: hasIndex)
        var done = 0
        while done < header.count {
            let n = pwrite(fd, header.baseAddress! + done, header.count - done, off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw AVIError(path: path, problem: .io(SystemError("pwrite", subject: path, errno: errno).description))
            }
            done += n
        }
    }

    /// Doubles the idx1 table: the only allocation on the append path, amortised O(1) per frame.
    private func growIndex() {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: index.count * 2, alignment: 8)
        larger.copyMemory(from: UnsafeRawBufferPointer(index))
        index.deallocate()
        index = larger
    }

    /// One pwritev at `fileSize` for chunk header, payload and pad (explicit offsets: the header
    /// is rewritten with pwrite too); short writes are completed piece by piece.
    /// Returns 0 or errno.
    private func writeVectored(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ c: UnsafeRawBufferPointer) -> Int32 {
        let total = a.count + b.count + c.count
        var written: Int = withUnsafeTemporaryAllocation(of: iovec.self, capacity: 3) { vectors in
            vectors[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress), iov_len: a.count)
            vectors[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: b.count)
            vectors[2] = iovec(iov_base: UnsafeMutableRawPointer(mutating: c.baseAddress), iov_len: c.count)
            while true {
                let n = pwritev(fd, vectors.baseAddress, 3, off_t(fileSize))
                if n >= 0 { return n }
                if errno != EINTR { return -Int(errno) }
            }
        }
        if written < 0 { return Int32(-written) }
        if written == total { return 0 }
        // Rare path (short write): finish with positioned writes; allocation is acceptable here.
        var position = fileSize
        for piece in [a, b, c] {
            if written >= piece.count { written -= piece.count; position += piece.count; continue }
            var done = written
            position += written
            written = 0
            while done < piece.count {
                let n = pwrite(fd, piece.baseAddress! + done, piece.count - done, off_t(position))
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
                position += n
            }
        }
        return 0
    }
}
