/// What the marker segments before the scan of a JPEG say, found without decoding
/// (and without allocating), to validate MJPEG frames cheaply.
struct JPEGMarkers: Equatable {
    var width: Int
    var height: Int
    var components: Int
    /// False for MJPEG frames that rely on the standard Huffman tables (no DHT segment).
    var hasHuffmanTables: Bool

    /// nil if the bytes are not a JPEG with a frame header before the first scan.
    static func parse(_ data: UnsafeRawBufferPointer) -> JPEGMarkers? {
        let count = data.count
        guard count >= 4, data[0] == 0xFF, data[1] == 0xD8 else { return nil }
        var position = 2
        var frame: (width: Int, height: Int, components: Int)?
        var huffman = false
        while position + 4 <= count {
            guard data[position] == 0xFF else { return nil }
            let marker = data[position + 1]
            if marker == 0xFF { position += 1; continue }  // fill byte
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { position += 2; continue }  // no length
            let length = Int(data[position + 2]) << 8 | Int(data[position + 3])
            guard length >= 2, position + 2 + length <= count else { return nil }
            let body = position + 4
            switch marker {
            case 0xDA:  // start of scan: the headers are over
                guard let found = frame else { return nil }
                return JPEGMarkers(width: found.width, height: found.height, components: found.components,
                                   hasHuffmanTables: huffman)
            case 0xC4:
                huffman = true
            case 0xC0...0xCF where marker != 0xC8 && marker != 0xCC:
                guard length >= 8 else { return nil }
                let height = Int(data[body + 1]) << 8 | Int(data[body + 2])
                let width = Int(data[body + 3]) << 8 | Int(data[body + 4])
                frame = (width, height, Int(data[body + 5]))
            default:
                break
            }
            position += 2 + length
        }
        return nil
    }
}
