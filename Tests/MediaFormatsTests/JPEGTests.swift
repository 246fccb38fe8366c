import Testing
@testable import MediaFormats
import TestSupport

@Suite struct JPEGTests {
    /// Removes every DHT (FFC4) segment, as many MJPEG grabbers send frames.
    static func strippingHuffmanTables(_ jpeg: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        var position = 2
        while position + 4 <= jpeg.count, jpeg[position] == 0xFF, jpeg[position + 1] != 0xDA {
            let length = Int(jpeg[position + 2]) << 8 | Int(jpeg[position + 3])
            if jpeg[position + 1] != 0xC4 { out += jpeg[position..<(position + 2 + length)] }
            position += 2 + length
        }
        return out + jpeg[position...]
    }

    @Test(arguments: [1, 3])
    func frameWithoutHuffmanTablesDecodesWithStandardTables(channels: Int) throws {
        let image = Synthetic.frame(3, width: 64, height: 48, channels: channels)
        let jpeg = try JPEGCodec.encode(image, quality: 90)  // libjpeg's defaults are the standard tables
        let stripped = Self.strippingHuffmanTables(jpeg)
        #expect(stripped.count < jpeg.count)
        let markers = try #require(stripped.withUnsafeBytes { JPEGMarkers.parse($0) })
        #expect(!markers.hasHuffmanTables && markers.width == 64 && markers.height == 48)
        let (decoded, warnings) = try JPEGCodec.decode(stripped, components: channels)
        #expect(warnings == 0)
        #expect(Synthetic.meanAbsoluteDifference(decoded, image) < 3)
    }

    /// Found by fuzzing: a SOF declaring a huge image made decode allocate width x height
    /// bytes (4 GB) before libjpeg looked at the scan; now it is refused from the header.
    @Test func hugeDeclaredSizeIsRefusedBeforeAllocating() throws {
        var jpeg = try JPEGCodec.encode(Synthetic.frame(1, width: 16, height: 16, channels: 1), quality: 90)
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFF, 0xDC, 0xFF, 0xDC])  // height, width 65500
        let error = #expect(throws: JPEGError.self) { try JPEGCodec.decode(jpeg, components: 1) }
        #expect(error?.message.contains("65500x65500") == true)
    }

    @Test func aviFramesWithoutHuffmanTablesAreRead() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("grabber.avi")
        let writer = try AVIWriter(path: path, width: 64, height: 48, frameRate: FrameRate(30))
        for number in 0..<5 {
            let jpeg = try JPEGCodec.encode(Synthetic.frame(number, width: 64, height: 48, channels: 1))
            try writer.append(jpeg: Self.strippingHuffmanTables(jpeg))
        }
        try writer.finish()
        let reader = try AVIReader(path: path)
        var decoded = 0
        try reader.forEachFrame { _, _ in decoded += 1 }
        #expect(decoded == 5 && reader.report.isClean)
    }

    @Test(arguments: [[UInt8](), [0xFF, 0xD8], [0xFF, 0xD8, 0xFF, 0xC0, 0xFF, 0xFF], [0xFF, 0xD8, 0xFF, 0xDA, 0, 2]])
    func markerParserRejectsDamage(bytes: [UInt8]) {
        #expect(bytes.withUnsafeBytes { JPEGMarkers.parse($0) } == nil)
    }
}
