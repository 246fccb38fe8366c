import Display
import MediaFormats

/// An RGB picture for reports, drawn with the appliance's own tools: Display's
/// `PixelCanvas` (XRGB8888), its `BitmapFont` text and the `Colormap.inferno` ramp;
/// written as PNG through MediaFormats.
public final class Picture {
    public let width: Int
    public let height: Int
    private let buffer: UnsafeMutablePointer<UInt32>
    public let canvas: PixelCanvas

    public init(width: Int, height: Int, background: UInt32 = 0xFFFFFF) {
        precondition(width > 0 && height > 0, "empty picture")
        self.width = width
        self.height = height
        buffer = .allocate(capacity: width * height)
        buffer.initialize(repeating: background, count: width * height)
        canvas = PixelCanvas(pixels: buffer, width: width, height: height, stride: width)
    }

    deinit { buffer.deallocate() }

    public static let glyphAdvance = BitmapFont.glyphWidth + 1

    /// Width in pixels of `text` at `scale`.
    public static func textWidth(_ text: String, scale: Int) -> Int { text.utf8.count * glyphAdvance * scale }

    public func text(_ text: String, x: Int, y: Int, scale: Int = 2, colour: UInt32 = 0x202020) {
        BitmapFont.draw(text, into: canvas, x: x, y: y, scale: scale, colour: colour)
    }

    public func centredText(_ text: String, centreX: Int, y: Int, scale: Int = 2, colour: UInt32 = 0x202020) {
        self.text(text, x: centreX - Self.textWidth(text, scale: scale) / 2, y: y, scale: scale, colour: colour)
    }

    public func rightText(_ text: String, right: Int, y: Int, scale: Int = 2, colour: UInt32 = 0x202020) {
        self.text(text, x: right - Self.textWidth(text, scale: scale), y: y, scale: scale, colour: colour)
    }

    /// Text turned 90° anticlockwise (reading upwards), its baseline's start at (x, bottom).
    public func verticalText(_ text: String, x: Int, bottom: Int, scale: Int = 2, colour: UInt32 = 0x202020) {
        var pen = bottom
        for character in text.utf8 {
            for row in 0..<BitmapFont.glyphHeight {
                let bits = BitmapFont.row(character, row)
                for column in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                    rect(x: x + row * scale, y: pen - (column + 1) * scale, width: scale, height: scale, colour: colour)
                }
            }
            pen -= Self.glyphAdvance * scale
        }
    }

    public func rect(x: Int, y: Int, width: Int, height: Int, colour: UInt32) {
        canvas.fillRect(x: x, y: y, width: width, height: height, colour: colour)
    }

    public func frame(x: Int, y: Int, width: Int, height: Int, colour: UInt32, thickness: Int = 1) {
        rect(x: x, y: y, width: width, height: thickness, colour: colour)
        rect(x: x, y: y + height - thickness, width: width, height: thickness, colour: colour)
        rect(x: x, y: y, width: thickness, height: height, colour: colour)
        rect(x: x + width - thickness, y: y, width: thickness, height: height, colour: colour)
    }

    public func set(_ x: Int, _ y: Int, _ colour: UInt32) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        canvas.row(y)[x] = colour
    }

    public func get(_ x: Int, _ y: Int) -> UInt32 { canvas.row(y)[x] }

    /// A straight line (Bresenham), `thickness` pixels square pen.
    public func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, colour: UInt32, thickness: Int = 1) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var error = dx + dy
        while true {
            rect(x: x - thickness / 2, y: y - thickness / 2, width: thickness, height: thickness, colour: colour)
            if x == x1 && y == y1 { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
        }
    }

    /// The inferno colour of `value` in [0, 1] (clamped).
    public static func inferno(_ value: Double) -> UInt32 {
        Colormap.inferno[Int((min(max(value.isFinite ? value : 0, 0), 1) * 255).rounded())]
    }

    /// Black or white, whichever reads better on `background`.
    public static func textColour(on background: UInt32) -> UInt32 {
        let r = Double(background >> 16 & 0xFF), g = Double(background >> 8 & 0xFF), b = Double(background & 0xFF)
        return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? 0x000000 : 0xFFFFFF
    }

    public func image() -> Image8 {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            let v = buffer[i]
            pixels[3 * i] = UInt8(v >> 16 & 0xFF)
            pixels[3 * i + 1] = UInt8(v >> 8 & 0xFF)
            pixels[3 * i + 2] = UInt8(v & 0xFF)
        }
        return Image8(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// PNG, written atomically.
    public func writePNG(_ path: String) throws { try ImageFiles.write(image(), to: path) }
}
