import MediaFormats

extension BitmapFont {
    /// Calls `plot(x, y)` for every lit screen pixel of `text` with its top-left corner at
    /// (x, y), each font pixel `scale` screen pixels. The caller clips.
    static func forEachPixel(_ text: String, x: Int, y: Int, scale: Int = 1, _ plot: (Int, Int) -> Void) {
        var penX = x
        for character in text.utf8 {
            for row in 0..<glyphHeight {
                let bits = BitmapFont.row(character, row)
                guard bits != 0 else { continue }
                for column in 0..<glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                    for dy in 0..<scale {
                        for dx in 0..<scale { plot(penX + column * scale + dx, y + row * scale + dy) }
                    }
                }
            }
            penX += (glyphWidth + 1) * scale
        }
    }

    /// Draws `text` into an 8-bit gray buffer (the scanner's on-screen text), clipped.
    static func draw(_ text: String, x: Int, y: Int, scale: Int = 1, gray: UInt8,
                     into pixels: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int) {
        forEachPixel(text, x: x, y: y, scale: scale) { px, py in
            if px >= 0, px < width, py >= 0, py < height { pixels[py * width + px] = gray }
        }
    }

    /// Width in pixels of `text` at `scale`.
    static func width(of text: String, scale: Int = 1) -> Int { text.utf8.count * (glyphWidth + 1) * scale }
}
