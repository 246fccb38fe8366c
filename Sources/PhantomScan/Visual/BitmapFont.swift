import MediaFormats

extension BitmapFont {
    /// Draws `text` into an 8-bit gray buffer with its top-left corner at (x, y), each font
    /// pixel `scale` screen pixels (the scanner's on-screen text). Clipped to the buffer.
    static func draw(_ text: String, x: Int, y: Int, scale: Int = 1, gray: UInt8,
                     into pixels: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int) {
        var penX = x
        for character in text.utf8 {
            for row in 0..<glyphHeight {
                let bits = BitmapFont.row(character, row)
                guard bits != 0 else { continue }
                for column in 0..<glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let px = penX + column * scale + dx, py = y + row * scale + dy
                            if px >= 0, px < width, py >= 0, py < height { pixels[py * width + px] = gray }
                        }
                    }
                }
            }
            penX += (glyphWidth + 1) * scale
        }
    }
}
