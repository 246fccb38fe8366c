import CJPEGCodec

/// Why libjpeg could not decode or encode an image.
public struct JPEGError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { "JPEG: \(message)" }
}

/// Baseline JPEG through libjpeg-turbo. The `into:` forms write into caller buffers and
/// allocate nothing, for the capture and recording paths.
public enum JPEGCodec {
    public struct Decoded: Sendable {
        public var width: Int
        public var height: Int
        /// libjpeg's count of recoverable data errors (damaged scan decoded with fill).
        public var warnings: Int
    }

    /// The largest image decoded into a buffer sized from the file's own header (33.5 Mpixel:
    /// 8K UHD fits; ultrasound frames are far smaller). A header declaring 65500 x 65500 would
    /// otherwise make one decode allocate 4 GB (found by fuzzing).
    public static let maximumPixels = 1 << 25

    public static func info(_ data: UnsafeRawBufferPointer) throws(JPEGError) -> (width: Int, height: Int, components: Int) {
        var info = jpegc_info()
        var message = [CChar](repeating: 0, count: 200)
        let status = jpegc_read_info(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, &info, &message, message.count)
        guard status == Int32(JPEGC_OK) else { throw JPEGError(message: String(cString: message)) }
        return (Int(info.width), Int(info.height), Int(info.components))
    }

    /// Decodes into `out` as gray (components 1) or RGB (3).
    public static func decode(_ data: UnsafeRawBufferPointer, components: Int, into out: UnsafeMutableRawBufferPointer) throws(JPEGError) -> Decoded {
        var info = jpegc_info()
        var warnings: Int32 = 0
        let status = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 200) { message in
            message[0] = 0
            let status = jpegc_decode(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, Int32(components),
                                      out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count,
                                      &info, &warnings, message.baseAddress, 200)
            return (status, status == Int32(JPEGC_OK) || status == Int32(JPEGC_WARNINGS) ? "" : String(cString: message.baseAddress!))
        }
        guard status.0 == Int32(JPEGC_OK) || status.0 == Int32(JPEGC_WARNINGS) else { throw JPEGError(message: status.1) }
        return Decoded(width: Int(info.width), height: Int(info.height), warnings: Int(warnings))
    }

    public static func decode(_ bytes: [UInt8], components: Int = 1) throws -> (Image8, warnings: Int) {
        let header = try bytes.withUnsafeBytes { raw in try info(raw) }
        guard header.width * header.height <= maximumPixels else {
            throw JPEGError(message: "image of \(header.width)x\(header.height) pixels is over the \(maximumPixels)-pixel limit")
        }
        var pixels = [UInt8](repeating: 0, count: header.width * header.height * components)
        let decoded = try bytes.withUnsafeBytes { raw in
            try pixels.withUnsafeMutableBytes { out in try decode(raw, components: components, into: out) }
        }
        return (Image8(width: decoded.width, height: decoded.height, channels: components, pixels: pixels), decoded.warnings)
    }

    /// Encodes into `out`; returns the byte count.
    public static func encode(_ pixels: UnsafeRawBufferPointer, width: Int, height: Int, components: Int, quality: Int,
                              into out: UnsafeMutableRawBufferPointer) throws(JPEGError) -> Int {
        var written = 0
        let result = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 200) { message in
            message[0] = 0
            let status = jpegc_encode(pixels.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(width), Int32(height),
                                      Int32(components), Int32(quality),
                                      out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count, &written,
                                      message.baseAddress, 200)
            return (status, status == Int32(JPEGC_OK) ? "" : String(cString: message.baseAddress!))
        }
        guard result.0 == Int32(JPEGC_OK) else { throw JPEGError(message: result.1) }
        return written
    }

    /// A safe upper bound for a baseline JPEG of this size (headers + worst-case entropy coding).
    public static func maxEncodedSize(width: Int, height: Int, components: Int) -> Int {
        width * height * components * 2 + 4096
    }

    public static func encode(_ image: Image8, quality: Int = 90) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: maxEncodedSize(width: image.width, height: image.height, components: image.channels))
        let count = try image.pixels.withUnsafeBytes { raw in
            try out.withUnsafeMutableBytes { dest in
                try encode(raw, width: image.width, height: image.height, components: image.channels, quality: quality, into: dest)
            }
        }
        out.removeLast(out.count - count)
        return out
    }
}
