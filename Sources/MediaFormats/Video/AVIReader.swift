/// Reads MJPEG AVI files (ours, ffmpeg's, frame grabbers'): header, frame index, JPEG bytes
/// per frame and decoded gray or RGB frames. Never reads out of bounds; damage is either an
/// `AVIError` naming the file or a documented recovery recorded in `report`.
///
/// One reader is used from one thread at a time (it owns a file descriptor and a frame buffer).
public final class AVIReader {
    public let path: String
    public let info: AVIVideoInfo
    public private(set) var report: AVIReadReport

    private let file: AVIFileHandle
    private let frames: [AVIFrameIndex.Location]
    private let stream: Int
    private let maximumFrameBytes: Int
    private var chunk: [UInt8] = []

    public init(path: String) throws(AVIError) {
        self.path = path
        file = try AVIFileHandle(path: path)
        guard let riff = try file.bytes(at: 0, count: 12) else {
            throw AVIError(path: path, problem: .notAVI("file is \(file.size) bytes, shorter than a RIFF header"))
        }
        let start = CheckedBytes(bytes: riff)
        guard start.fourCC(0) == "RIFF", start.fourCC(8) == "AVI " else {
            throw AVIError(path: path, problem: .notAVI("starts with '\(start.fourCC(0)!)'...'\(start.fourCC(8)!)', expected 'RIFF'...'AVI '"))
        }

        // Top-level chunks: hdrl, movi, idx1 (others skipped).
        var hdrl: [UInt8]?
        var movi: (fourCC: Int, end: Int)?
        var idx1: (offset: Int, size: Int)?
        var extensionIgnored = false
        var offset = 12
        while offset + 8 <= file.size, let header = try file.chunkHeader(at: offset) {
            let end = offset + 8 + header.size
            if header.id == AVILayout.fourCC("LIST"), let type = try file.fourCC(at: offset + 8) {
                if type == AVILayout.fourCC("hdrl"), hdrl == nil {
                    guard header.size <= 1 << 20 else {
                        throw AVIError(path: path, problem: .invalidHeader("hdrl list of \(header.size) bytes"))
                    }
                    guard let body = try file.bytes(at: offset + 12, count: header.size - 4) else {
                        throw AVIError(path: path, problem: .truncatedHeader(
                            "hdrl list needs \(end) bytes, the file has \(file.size)"))
                    }
                    hdrl = body
                } else if type == AVILayout.fourCC("movi"), movi == nil {
                    movi = (offset + 8, end)
                }
            } else if header.id == AVILayout.fourCC("idx1"), movi != nil {
                idx1 = (offset + 8, header.size)
            } else if header.id == AVILayout.fourCC("RIFF") {
                extensionIgnored = true  // OpenDML 'AVIX' (files > 1 GiB): not supported
                break
            }
            if movi != nil, end > file.size { break }
            offset = end + (header.size & 1)
        }
        guard let hdrl else {
            throw AVIError(path: path, problem: .truncatedHeader("no complete hdrl list in \(file.size) bytes"))
        }
        let parsed = try AVIHeaderParser.parse(hdrl, path: path)
        guard let movi else { throw AVIError(path: path, problem: .truncatedHeader("no movi list in \(file.size) bytes")) }

        stream = parsed.stream
        maximumFrameBytes = AVIFrameIndex.maximumFrameBytes(width: parsed.width, height: parsed.height)
        let index = try AVIFrameIndex.build(file, layout: .init(moviFourCC: movi.fourCC, moviEnd: movi.end, idx1: idx1,
                                                                stream: parsed.stream, maximumFrameBytes: maximumFrameBytes))
        frames = index.frames
        info = AVIVideoInfo(width: parsed.width, height: parsed.height, frameRate: parsed.frameRate, codec: parsed.codec,
                            declaredFrameCount: parsed.declaredFrameCount, frameCount: index.frames.count)
        var report = AVIReadReport(indexRebuiltBecause: index.rebuiltBecause, truncatedBytes: index.truncatedBytes)
        report.notes = parsed.notes + index.notes
        if extensionIgnored { report.notes.append("OpenDML extension (RIFF 'AVIX') ignored: only frames of the first 1 GiB are read") }
        if parsed.declaredFrameCount != frames.count {
            report.notes.append("header declares \(parsed.declaredFrameCount) frames, \(frames.count) found")
        }
        self.report = report
    }

    public var frameCount: Int { frames.count }

    public func time(ofFrame frame: Int) -> Double { info.frameRate.time(ofFrame: frame) }

    /// The JPEG bytes of one frame (empty for a zero-length "dropped frame" chunk).
    public func jpeg(frame: Int) throws(AVIError) -> [UInt8] {
        let size = try loadChunk(frame)
        return Array(chunk[8..<(8 + size)])
    }

    /// Decodes one frame to gray (`components` 1) or RGB (3). A frame that does not decode
    /// cleanly throws `.corruptFrame` and is recorded in `report.corruptFrames`.
    public func decodeFrame(_ frame: Int, components: Int = 1) throws(AVIError) -> Image8 {
        var image = Image8(width: info.width, height: info.height, channels: components)
        try decodeFrame(frame, into: &image)
        return image
    }

    /// Decodes every frame in order, reusing one image (copy it to keep it). Corrupt frames are
    /// skipped and recorded in `report.corruptFrames`; frame numbers keep the time base.
    public func forEachFrame(components: Int = 1, _ body: (_ frame: Int, _ image: Image8) throws -> Void) throws {
        var image = Image8(width: info.width, height: info.height, channels: components)
        for frame in 0..<frames.count {
            do {
                try decodeFrame(frame, into: &image)
            } catch {
                if case .corruptFrame = error.problem { continue }
                throw error
            }
            try body(frame, image)
        }
    }

    /// Decodes one frame into an existing image of the video's size (no allocation: the replay
    /// source of the appliance reuses one buffer).
    public func decodeFrame(_ frame: Int, into image: inout Image8) throws(AVIError) {
        precondition(image.channels == 1 || image.channels == 3, "decode to 1 (gray) or 3 (RGB) components")
        let size = try loadChunk(frame)
        func corrupt(_ reason: String) -> AVIError {
            report.recordCorrupt(frame)
            return AVIError(path: path, problem: .corruptFrame(index: frame, reason: reason))
        }
        guard size > 0 else { throw corrupt("empty chunk (dropped frame)") }
        let result: Result<JPEGCodec.Decoded, AVIError> = chunk.withUnsafeBytes { raw in
            let jpeg = UnsafeRawBufferPointer(rebasing: raw[8..<(8 + size)])
            guard let markers = JPEGMarkers.parse(jpeg) else { return .failure(corrupt("not a JPEG image (no frame header before the scan)")) }
            guard markers.width == info.width, markers.height == info.height else {
                return .failure(corrupt("JPEG is \(markers.width)x\(markers.height), the video is \(info.width)x\(info.height)"))
            }
            return image.pixels.withUnsafeMutableBytes { out in
                do throws(JPEGError) {
                    return .success(try JPEGCodec.decode(jpeg, components: image.channels, into: out))
                } catch {
                    return .failure(corrupt(error.message))
                }
            }
        }
        let decoded = try result.get()
        guard decoded.warnings == 0 else { throw corrupt("damaged JPEG data (\(decoded.warnings) libjpeg warnings)") }
    }

    /// Reads frame `frame`'s chunk into `chunk` (8-byte header included, to verify it against the
    /// index; the JPEG follows at byte 8); returns the data size.
    private func loadChunk(_ frame: Int) throws(AVIError) -> Int {
        guard frame >= 0, frame < frames.count else {
            throw AVIError(path: path, problem: .frameOutOfRange(index: frame, count: frames.count))
        }
        let location = frames[frame]
        guard location.size <= maximumFrameBytes else {
            report.recordCorrupt(frame)
            throw AVIError(path: path, problem: .corruptFrame(index: frame, reason: "chunk of \(location.size) bytes is implausibly large"))
        }
        let total = 8 + location.size
        if chunk.count < total {
            // Sized once for the largest plausible chunk in the index, so replaying never
            // reallocates per frame.
            let largest = frames.reduce(0) { max($0, $1.size <= maximumFrameBytes ? $1.size : 0) }
            chunk = [UInt8](repeating: 0, count: max(total, 8 + largest))
        }
        let filled = try file.read(into: &chunk, count: total, at: location.offset - 8)
        let streamDigits = UInt32(0x30 + (stream / 10) % 10) | UInt32(0x30 + stream % 10) << 8
        let (id, size) = chunk.withUnsafeBytes { raw in
            (UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)), Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self))))
        }
        guard filled == total, id & 0xFFFF == streamDigits, size == location.size else {
            report.recordCorrupt(frame)
            throw AVIError(path: path, problem: .corruptFrame(index: frame, reason: "index points at a damaged or missing chunk"))
        }
        return location.size
    }
}
