import Foundation
@testable import MediaFormats

enum Synthetic {
    /// A smooth moving pattern (JPEG-friendly), different for every frame.
    static func frame(_ number: Int, width: Int, height: Int, channels: Int) -> Image8 {
        var image = Image8(width: width, height: height, channels: channels)
        for y in 0..<height {
            for x in 0..<width {
                let base = 128 + 100 * sin(Double(x + 3 * number) / 9) * cos(Double(y - 2 * number) / 11)
                for c in 0..<channels {
                    image.pixels[(y * width + x) * channels + c] = UInt8(clamping: Int(base) + 20 * c - 20)
                }
            }
        }
        return image
    }

    static func meanAbsoluteDifference(_ a: Image8, _ b: Image8) -> Double {
        precondition(a.pixels.count == b.pixels.count)
        var total = 0
        for i in 0..<a.pixels.count { total += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
        return Double(total) / Double(a.pixels.count)
    }

    /// Writes `frames` synthetic frames and finishes the file.
    @discardableResult
    static func writeAVI(_ path: String, frames: Int, width: Int = 64, height: Int = 48, channels: Int = 1,
                         fps: Int = 30, refresh: Int? = nil, finish: Bool = true) throws -> AVIWriter {
        let writer = try AVIWriter(path: path, width: width, height: height, frameRate: FrameRate(fps),
                                   headerRefreshInterval: refresh)
        for number in 0..<frames { try writer.append(frame(number, width: width, height: height, channels: channels), quality: 90) }
        if finish { try writer.finish() }
        return writer
    }
}

extension Array where Element == UInt8 {
    func u32(at offset: Int) -> UInt32 { ByteReader(self).u32(at: offset) }

    mutating func setU32(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { self[offset + i] = UInt8((value >> UInt32(8 * i)) & 0xFF) }
    }

    /// Offset of the first occurrence of an ASCII FourCC at or after `start`.
    func find(_ fourCC: String, from start: Int = 0) -> Int? {
        let needle = Array<UInt8>(fourCC.utf8)
        guard count >= 4 else { return nil }
        for i in start...(count - 4) where self[i] == needle[0] && self[i + 1] == needle[1] && self[i + 2] == needle[2] && self[i + 3] == needle[3] {
            return i
        }
        return nil
    }
}

func readFile(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
func writeFile(_ path: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
