import Foundation
import MediaFormats

/// AVI/MJPEG: the replay source's reader (header, index, frames, libjpeg decode of each frame).
@Sendable func fuzzAVI(_ bytes: [UInt8]) {
    let path = scratchPath("input.avi")
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
    guard let reader = try? AVIReader(path: path) else { return }
    for frame in 0..<min(reader.frameCount, 4) {
        _ = try? reader.jpeg(frame: frame)
        _ = try? reader.decodeFrame(frame)
    }
}
