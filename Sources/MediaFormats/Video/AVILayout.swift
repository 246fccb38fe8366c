/// Byte layout of the AVI files `AVIWriter` produces, shared with the reader's checks.
/// RIFF 'AVI ' { LIST 'hdrl' { avih, LIST 'strl' { strh, strf } }, LIST 'movi' { 00dc... }, idx1 }
enum AVILayout {
    static let riffSizeOffset = 4
    static let avihData = 32
    static let strhData = 108
    static let strfData = 172
    static let moviSizeOffset = 216
    /// Position of the 'movi' FourCC: idx1 offsets are relative to it (the common convention).
    static let moviFourCC = 220
    /// First frame chunk; also the size of the header `AVIWriter` rewrites when patching.
    static let moviData = 224

    static let avihSize = 56
    static let strhSize = 56
    static let bitmapInfoSize = 40
    static let indexEntrySize = 16

    /// avih dwFlags / idx1 dwFlags.
    static let hasIndexFlag: UInt32 = 0x10
    static let keyFrameFlag: UInt32 = 0x10

    static func fourCC(_ text: StaticString) -> UInt32 {
        precondition(text.utf8CodeUnitCount == 4)
        let p = text.utf8Start
        return UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
    }

    /// The header through the 'movi' FourCC with zero sizes and counts; `patch` fills them.
    static func header(width: Int, height: Int, frameRate: FrameRate) -> [UInt8] {
        var out = ByteWriter()
        out.fourCC("RIFF"); out.u32(0); out.fourCC("AVI ")
        out.fourCC("LIST"); out.u32(UInt32(moviSizeOffset - 4 - 20)); out.fourCC("hdrl")  // hdrl ends where the movi LIST starts
        out.fourCC("avih"); out.u32(UInt32(avihSize))
        out.u32(UInt32(frameRate.microsecondsPerFrame))
        out.u32(0)                               // max bytes per second (patched)
        out.u32(0)                               // padding granularity
        out.u32(0)                               // flags (patched)
        out.u32(0)                               // total frames (patched)
        out.u32(0)                               // initial frames
        out.u32(1)                               // streams
        out.u32(0)                               // suggested buffer size (patched)
        out.u32(UInt32(width)); out.u32(UInt32(height))
        for _ in 0..<4 { out.u32(0) }
        out.fourCC("LIST"); out.u32(UInt32(4 + 8 + strhSize + 8 + bitmapInfoSize)); out.fourCC("strl")
        out.fourCC("strh"); out.u32(UInt32(strhSize))
        out.fourCC("vids"); out.fourCC("MJPG")
        out.u32(0); out.u16(0); out.u16(0); out.u32(0)   // flags, priority, language, initial frames
        out.u32(UInt32(frameRate.scale)); out.u32(UInt32(frameRate.rate))
        out.u32(0)                               // start
        out.u32(0)                               // length in frames (patched)
        out.u32(0)                               // suggested buffer size (patched)
        out.u32(UInt32.max)                      // quality: default
        out.u32(0)                               // sample size: varies per frame
        out.u16(0); out.u16(0); out.u16(UInt16(width)); out.u16(UInt16(height))
        out.fourCC("strf"); out.u32(UInt32(bitmapInfoSize))
        out.u32(UInt32(bitmapInfoSize)); out.u32(UInt32(width)); out.u32(UInt32(height))
        out.u16(1); out.u16(24); out.fourCC("MJPG"); out.u32(UInt32(width * height * 3))
        out.u32(0); out.u32(0); out.u32(0); out.u32(0)
        out.fourCC("LIST"); out.u32(4); out.fourCC("movi")
        precondition(out.bytes.count == moviData, "AVI header layout drifted")
        return out.bytes
    }

    /// Writes the sizes and counts that change while recording into `header` (in place, no allocation).
    static func patch(_ header: UnsafeMutableRawBufferPointer, frameRate: FrameRate, frames: Int, moviEnd: Int,
                      fileBytes: Int, largestChunk: Int, hasIndex: Bool) {
        func store(_ value: Int, at offset: Int) {
            header.storeBytes(of: UInt32(clamping: value).littleEndian, toByteOffset: offset, as: UInt32.self)
        }
        let bytesPerSecond = Int((Double(largestChunk) * frameRate.framesPerSecond).rounded(.up))
        store(fileBytes - 8, at: riffSizeOffset)
        store(bytesPerSecond, at: avihData + 4)
        store(hasIndex ? Int(hasIndexFlag) : 0, at: avihData + 12)
        store(frames, at: avihData + 16)
        store(largestChunk + 8, at: avihData + 28)
        store(frames, at: strhData + 32)
        store(largestChunk + 8, at: strhData + 36)
        store(moviEnd - moviFourCC, at: moviSizeOffset)
    }
}
