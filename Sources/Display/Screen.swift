/// Where a composed frame is drawn: XRGB8888 pixels (0x00RRGGBB), `stride` pixels per row.
public struct PixelCanvas {
    public let pixels: UnsafeMutablePointer<UInt32>
    public let width: Int
    public let height: Int
    public let stride: Int

    public init(pixels: UnsafeMutablePointer<UInt32>, width: Int, height: Int, stride: Int) {
        self.pixels = pixels
        self.width = width
        self.height = height
        self.stride = stride
    }

    @inline(__always)
    public func row(_ y: Int) -> UnsafeMutablePointer<UInt32> { pixels + y * stride }

    public func fill(_ colour: UInt32) {
        for y in 0..<height { row(y).update(repeating: colour, count: width) }
    }

    public func fillRect(x: Int, y: Int, width w: Int, height h: Int, colour: UInt32) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x1 > x0 else { return }
        for yy in y0..<max(y0, y1) { (row(yy) + x0).update(repeating: colour, count: x1 - x0) }
    }
}

/// A display the real-time loop presents to: draw into `beginFrame()`, then `present()`.
/// Implementations never allocate per frame.
public protocol Screen: AnyObject {
    var width: Int { get }
    var height: Int { get }
    /// A human-readable description for status and diagnostics ("DRM bochs-drm 1024x768 ...").
    var summary: String { get }
    func beginFrame() -> PixelCanvas
    func present() throws
}

/// Draws nowhere: for benchmarks and headless replay.
public final class NullScreen: Screen {
    public let width: Int
    public let height: Int
    private let buffer: UnsafeMutablePointer<UInt32>
    public private(set) var presented = 0

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        buffer = .allocate(capacity: width * height)
        buffer.initialize(repeating: 0, count: width * height)
    }

    deinit { buffer.deallocate() }

    public var summary: String { "null \(width)x\(height)" }
    public func beginFrame() -> PixelCanvas { PixelCanvas(pixels: buffer, width: width, height: height, stride: width) }
    public func present() { presented += 1 }

    /// The last drawn frame (tests, snapshots).
    public var canvas: PixelCanvas { beginFrame() }
}
