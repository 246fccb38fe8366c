import Foundation
import MediaFormats
import Testing
@testable import Display

@Suite struct RecordingScreenTests {
    @Test func recordsPlayableMJPEG() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("showtell-rec-\(UUID().uuidString).avi").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let screen = try RecordingScreen(path: path, width: 160, height: 96, framesPerSecond: 30)
            for frame in 0..<5 {
                TestPattern.colourBars(screen.beginFrame(), frame: frame)
                try screen.present()
            }
            #expect(screen.recorded == 5)
            try screen.finish()
        }
        let reader = try AVIReader(path: path)
        #expect(reader.frameCount == 5)
        #expect(reader.info.width == 160 && reader.info.height == 96)
        let image = try reader.decodeFrame(4, components: 3)
        // Second bar (yellow) at x = 30, y = 20: red and green high, blue low (JPEG tolerance).
        let i = (20 * 160 + 30) * 3
        #expect(image.pixels[i] > 220 && image.pixels[i + 1] > 220 && image.pixels[i + 2] < 40)
    }
}
