import MediaFormats

/// Records every presented frame as MJPEG into an AVI (the composed screen: image, overlay
/// and status bar), optionally while also showing it on another screen. Buffers are
/// allocated once; each frame costs one XRGB->RGB pass and a libjpeg encode.
/// `finish()` (also on deinit) writes the index, so the file stays playable; an
/// interrupted recording is still readable up to its last header refresh (1 s).
public final class RecordingScreen: Screen {
    public let width: Int
    public let height: Int
    public let path: String
    private let inner: Screen?
    private let writer: AVIWriter
    private let own: UnsafeMutablePointer<UInt32>?
    private let rgb: UnsafeMutablePointer<UInt8>
    private let jpeg: UnsafeMutableRawBufferPointer
    private let quality: Int
    private var current: PixelCanvas?
    public private(set) var recorded = 0

    public init(path: String, width: Int, height: Int, framesPerSecond: Int = 30, quality: Int = 80, showingOn inner: Screen? = nil) throws {
        self.path = path
        self.inner = inner
        self.width = inner?.width ?? width
        self.height = inner?.height ?? height
        self.quality = quality
        writer = try AVIWriter(path: path, width: self.width, height: self.height, frameRate: FrameRate(framesPerSecond))
        if inner == nil {
            let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: self.width * self.height)
            buffer.initialize(repeating: 0, count: self.width * self.height)
            own = buffer
        } else {
            own = nil
        }
        rgb = .allocate(capacity: self.width * self.height * 3)
        jpeg = .allocate(byteCount: JPEGCodec.maxEncodedSize(width: self.width, height: self.height, components: 3), alignment: 16)
    }

    deinit {
        try? writer.finish()
        own?.deallocate()
        rgb.deallocate()
        jpeg.deallocate()
    }

    public var summary: String { "recording \(path) \(width)x\(height)" + (inner.map { " + \($0.summary)" } ?? "") }

    public func beginFrame() -> PixelCanvas {
        let canvas = inner?.beginFrame() ?? PixelCanvas(pixels: own!, width: width, height: height, stride: width)
        current = canvas
        return canvas
    }

    public func present() throws {
        if let canvas = current {
            for y in 0..<height {
                let row = canvas.row(y)
                let out = rgb + y * width * 3
                for x in 0..<width {
                    let p = row[x]
                    out[3 * x] = UInt8(truncatingIfNeeded: p >> 16)
                    out[3 * x + 1] = UInt8(truncatingIfNeeded: p >> 8)
                    out[3 * x + 2] = UInt8(truncatingIfNeeded: p)
                }
            }
            let count = try JPEGCodec.encode(UnsafeRawBufferPointer(start: rgb, count: width * height * 3), width: width, height: height,
                                             components: 3, quality: quality, into: jpeg)
            try writer.append(jpeg: UnsafeRawBufferPointer(rebasing: jpeg[0..<count]))
            recorded += 1
        }
        try inner?.present()
    }

    /// Writes the index and final sizes.
    public func finish() throws { try writer.finish() }
}
