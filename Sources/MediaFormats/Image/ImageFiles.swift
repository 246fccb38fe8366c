import CZlib
import Platform

/// An 8-bit image, row-major, `channels` interleaved (1 = gray, 3 = RGB).
public struct Image8: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "pixel count does not match \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public init(width: Int, height: Int, channels: Int, fill: UInt8 = 0) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: fill, count: width * height * channels))
    }
}

/// PNG (zlib-compressed, 8-bit gray or RGB) and binary PGM/PPM writers.
public enum ImageFiles {
    public struct UnsupportedExtension: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path): unsupported image extension (use .png, .pgm, .ppm or .jpg)" }
    }

    public static func pngData(_ image: Image8) -> [UInt8] {
        precondition(image.channels == 1 || image.channels == 3, "PNG writer supports gray and RGB")
        var raw = [UInt8]()
        let stride = image.width * image.channels
        raw.reserveCapacity((stride + 1) * image.height)
        for y in 0..<image.height {
            raw.append(0)  // filter type None per scanline
            raw.append(contentsOf: image.pixels[(y * stride)..<((y + 1) * stride)])
        }
        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, raw, uLong(raw.count), 6)
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")
        compressed.removeLast(compressed.count - Int(compressedLength))

        var out = ByteWriter()
        out.append([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = ByteWriter()
        header.u32BE(UInt32(image.width)); header.u32BE(UInt32(image.height))
        header.append([8, image.channels == 1 ? 0 : 2, 0, 0, 0])
        appendChunk(&out, "IHDR", header.bytes)
        appendChunk(&out, "IDAT", compressed)
        appendChunk(&out, "IEND", [])
        return out.bytes
    }

    public static func pnmData(_ image: Image8) -> [UInt8] {
        let magic = image.channels == 1 ? "P5" : "P6"
        return Array("\(magic)\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }

    /// Writes by extension: .png, .pgm/.ppm; .jpg/.jpeg through libjpeg at quality 90.
    public static func write(_ image: Image8, to path: String) throws {
        let lower = path.lowercased()
        let bytes: [UInt8]
        if lower.hasSuffix(".png") {
            bytes = pngData(image)
        } else if lower.hasSuffix(".pgm") || lower.hasSuffix(".ppm") {
            bytes = pnmData(image)
        } else if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") {
            bytes = try JPEGCodec.encode(image, quality: 90)
        } else {
            throw UnsupportedExtension(path: path)
        }
        try FileIO.writeAtomically(path, bytes)
    }

    private static func appendChunk(_ out: inout ByteWriter, _ type: String, _ data: [UInt8]) {
        out.u32BE(UInt32(data.count))
        let typeBytes = Array(type.utf8)
        out.append(typeBytes)
        out.append(data)
        var crc = crc32(0, typeBytes, uInt(typeBytes.count))
        crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt(data.count)) }
        out.u32BE(UInt32(crc))
    }
}
