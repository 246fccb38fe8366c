import MediaFormats
import Platform

/// A V4L2 grabber as a gray `VideoSource`: GREY is copied row by row (bytesperline may pad),
/// YUYV gives its Y samples, MJPEG is decoded by libjpeg straight into the frame.
public final class V4L2VideoSource: VideoSource {
    public let capture: V4L2Capture
    public var width: Int { capture.width }
    public var height: Int { capture.height }
    public var summary: String {
        "V4L2 \(capture.path) \(capture.driver) \(capture.format) \(width)x\(height)"
            + (capture.framesPerSecond.map { " \(String(format: "%.2f", $0)) fps" } ?? "")
    }
    public var lostFrames: Int { capture.counters.dropped + corruptFrames }
    public let finished = false
    public private(set) var corruptFrames = 0

    public init(settings: V4L2Capture.Settings) throws {
        capture = try V4L2Capture(settings: settings)
    }

    public func release() { capture.close() }

    /// Keeps to `timeoutMilliseconds` in all: a grabber sending only damaged frames is a
    /// stall (NO SIGNAL, a prompt stop), not a call that returns at the next good frame.
    public func next(into pixels: UnsafeMutablePointer<UInt8>, timeoutMilliseconds: Int32) throws -> FrameStamp? {
        let deadline = MonotonicClock.nanoseconds() + Int64(timeoutMilliseconds) * 1_000_000
        var remaining = timeoutMilliseconds
        while true {
            guard let frame = try capture.next(timeoutMilliseconds: remaining) else { return nil }
            defer { try? capture.release(frame) }
            if convert(frame.data, into: pixels) {
                return FrameStamp(sequence: Int(frame.sequence), captureTime: frame.timestamp)
            }
            corruptFrames += 1  // a damaged MJPEG frame: skip it, keep the last good picture
            remaining = Int32(max(0, (deadline - MonotonicClock.nanoseconds()) / 1_000_000))
            if remaining == 0 { return nil }
        }
    }

    private func convert(_ data: UnsafeRawBufferPointer, into pixels: UnsafeMutablePointer<UInt8>) -> Bool {
        let source = data.bindMemory(to: UInt8.self)
        switch capture.format {
        case .grey:
            guard data.count >= capture.bytesPerLine * (height - 1) + width else { return false }
            for y in 0..<height {
                (pixels + y * width).update(from: source.baseAddress! + y * capture.bytesPerLine, count: width)
            }
        case .yuyv:
            guard data.count >= capture.bytesPerLine * (height - 1) + 2 * width else { return false }
            for y in 0..<height {
                let row = source.baseAddress! + y * capture.bytesPerLine
                let out = pixels + y * width
                for x in 0..<width { out[x] = row[2 * x] }
            }
        case .mjpeg:
            let out = UnsafeMutableRawBufferPointer(start: pixels, count: width * height)
            guard let decoded = try? JPEGCodec.decode(data, components: 1, into: out),
                  decoded.width == width, decoded.height == height, decoded.warnings == 0 else { return false }
        }
        return true
    }
}
