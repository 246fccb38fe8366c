/// Where each video frame's JPEG bytes lie in the file: from idx1 when it is sound,
/// otherwise by scanning the movi list (see `AVIReadReport` for the recovery rules).
struct AVIFrameIndex {
    struct Location: Equatable {
        /// File offset of the chunk data (after its 8-byte header).
        var offset: Int
        var size: Int
    }

    var frames: [Location] = []
    var rebuiltBecause: String?
    var truncatedBytes = 0
    var notes: [String] = []

    /// Frames larger than this are treated as damage, not allocated.
    static func maximumFrameBytes(width: Int, height: Int) -> Int { width * height * 6 + (1 << 20) }

    struct Layout {
        /// Position of the 'movi' FourCC.
        var moviFourCC: Int
        /// End of the movi list as declared (may be stale or beyond the file).
        var moviEnd: Int
        var idx1: (offset: Int, size: Int)?
        var stream: Int
        var maximumFrameBytes: Int
    }

    static func build(_ file: AVIFileHandle, layout: Layout) throws(AVIError) -> AVIFrameIndex {
        var result = AVIFrameIndex()
        if let idx1 = layout.idx1 {
            switch try fromIdx1(file, layout: layout, idx1: idx1) {
            case .success(let frames):
                result.frames = frames
                return result
            case .failure(let reason):
                result.rebuiltBecause = reason.text
            }
        } else {
            result.rebuiltBecause = "no idx1 chunk"
        }
        try result.scan(file, layout: layout)
        return result
    }

    private struct Reason: Error { var text: String }

    private static func chunkIDs(stream: Int) -> (compressed: UInt32, uncompressed: UInt32) {
        let tens = UInt32(0x30 + (stream / 10) % 10), ones = UInt32(0x30 + stream % 10)
        let prefix = tens | ones << 8
        return (prefix | AVILayout.fourCC("00dc") & 0xFFFF_0000, prefix | AVILayout.fourCC("00db") & 0xFFFF_0000)
    }

    /// Uses idx1 if every video entry is in bounds and in order, and the first and last entries
    /// point at matching chunk headers (the rest are checked as each frame is read).
    private static func fromIdx1(_ file: AVIFileHandle, layout: Layout, idx1: (offset: Int, size: Int)) throws(AVIError)
        -> Result<[Location], Reason> {
        guard idx1.size % AVILayout.indexEntrySize == 0 else {
            return .failure(Reason(text: "idx1 size \(idx1.size) is not a multiple of 16"))
        }
        guard let raw = try file.bytes(at: idx1.offset, count: idx1.size) else {
            return .failure(Reason(text: "idx1 of \(idx1.size) bytes runs past the end of the file"))
        }
        let data = CheckedBytes(bytes: raw)
        let ids = chunkIDs(stream: layout.stream)
        var entries: [(offset: Int, size: Int)] = []
        entries.reserveCapacity(idx1.size / AVILayout.indexEntrySize)
        for entry in stride(from: 0, to: raw.count, by: AVILayout.indexEntrySize) {
            let id = UInt32(data.u32(entry)!)
            guard id == ids.compressed || id == ids.uncompressed else { continue }
            entries.append((data.u32(entry + 8)!, data.u32(entry + 12)!))
        }
        guard let first = entries.first else {
            return .failure(Reason(text: "idx1 has no entries for video stream \(layout.stream)"))
        }
        // Offsets are relative to the 'movi' FourCC by convention, absolute in some writers.
        var base: Int?
        for candidate in [layout.moviFourCC, 0] {
            if let header = try file.chunkHeader(at: candidate + first.offset),
               header.id == ids.compressed || header.id == ids.uncompressed, header.size == first.size {
                base = candidate
                break
            }
        }
        guard let base else { return .failure(Reason(text: "idx1 offsets do not point at frame chunks")) }
        var frames: [Location] = []
        frames.reserveCapacity(entries.count)
        var previousEnd = 0
        for (number, entry) in entries.enumerated() {
            let start = base + entry.offset
            guard start >= previousEnd, entry.size <= layout.maximumFrameBytes, start + 8 + entry.size <= file.size else {
                return .failure(Reason(text: "idx1 entry for frame \(number) (offset \(entry.offset), size \(entry.size)) is out of order or out of bounds"))
            }
            frames.append(Location(offset: start + 8, size: entry.size))
            previousEnd = start + 8 + entry.size
        }
        let last = frames[frames.count - 1]
        guard let header = try file.chunkHeader(at: last.offset - 8), header.size == last.size,
              header.id == ids.compressed || header.id == ids.uncompressed else {
            return .failure(Reason(text: "idx1 entry for the last frame does not point at a frame chunk"))
        }
        return .success(frames)
    }

    /// Walks the movi list chunk by chunk. Without a sound idx1 the recording may have been
    /// interrupted after its last header refresh, so the walk continues past the declared
    /// movi end up to the end of the file, stopping at anything that is not a chunk.
    private mutating func scan(_ file: AVIFileHandle, layout: Layout) throws(AVIError) {
        let ids = Self.chunkIDs(stream: layout.stream)
        let list = AVILayout.fourCC("LIST"), record = AVILayout.fourCC("rec "), index = AVILayout.fourCC("idx1")
        let end = layout.idx1 == nil ? file.size : min(layout.moviEnd, file.size)
        var position = layout.moviFourCC + 4
        while position + 8 <= end, let header = try file.chunkHeader(at: position) {
            if header.id == index || header.id == AVILayout.fourCC("RIFF") { break }
            guard isPrintable(header.id) else {
                notes.append("scan stopped at byte \(position): '\(fourCCText(header.id))' is not a chunk")
                break
            }
            if header.id == list, let type = try file.fourCC(at: position + 8), type == record {
                position += 12  // 'rec ' groups interleaved chunks: descend into it
                continue
            }
            let dataEnd = position + 8 + header.size
            if header.id == ids.compressed || header.id == ids.uncompressed {
                if dataEnd > file.size {
                    truncatedBytes = dataEnd - file.size
                    break
                }
                frames.append(Location(offset: position + 8, size: header.size))
            } else if dataEnd > file.size {
                truncatedBytes = dataEnd - file.size
                break
            }
            position = dataEnd + (header.size & 1)
        }
    }

    private func isPrintable(_ id: UInt32) -> Bool {
        (0..<4).allSatisfy { (0x20...0x7E).contains((id >> UInt32($0 * 8)) & 0xFF) }
    }
}
