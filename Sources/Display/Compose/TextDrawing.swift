import MediaFormats

extension BitmapFont {
    /// Draws `text` at (x, y) (top-left), each font pixel `scale` screen pixels; returns the
    /// x after the text. Clipped to the canvas.
    @discardableResult
    public static func draw(_ text: String, into canvas: PixelCanvas, x: Int, y: Int, scale: Int, colour: UInt32) -> Int {
        var pen = x
        for character in text.utf8 { pen = drawGlyph(character, into: canvas, x: pen, y: y, scale: scale, colour: colour) }
        return pen
    }

    @discardableResult
    static func draw(_ text: StaticString, into canvas: PixelCanvas, x: Int, y: Int, scale: Int, colour: UInt32) -> Int {
        var pen = x
        text.withUTF8Buffer { bytes in
            for character in bytes { pen = drawGlyph(character, into: canvas, x: pen, y: y, scale: scale, colour: colour) }
        }
        return pen
    }

    /// A number with `decimals` digits after the point, without formatting strings.
    @discardableResult
    static func drawNumber(_ value: Float, decimals: Int, into canvas: PixelCanvas, x: Int, y: Int, scale: Int, colour: UInt32) -> Int {
        var pen = x
        var v = value.isFinite ? value : 0
        if v < 0 { pen = drawGlyph(UInt8(ascii: "-"), into: canvas, x: pen, y: y, scale: scale, colour: colour); v = -v }
        var factor: Float = 1
        for _ in 0..<decimals { factor *= 10 }
        let scaled = Int((v * factor).rounded())
        let whole = scaled / Int(factor), fraction = scaled % Int(factor)
        var divisor = 1
        while divisor * 10 <= whole { divisor *= 10 }
        var rest = whole
        while divisor > 0 {
            pen = drawGlyph(UInt8(48 + rest / divisor), into: canvas, x: pen, y: y, scale: scale, colour: colour)
            rest %= divisor
            divisor /= 10
        }
        if decimals > 0 {
            pen = drawGlyph(UInt8(ascii: "."), into: canvas, x: pen, y: y, scale: scale, colour: colour)
            var digitDivisor = Int(factor) / 10
            var remaining = fraction
            while digitDivisor > 0 {
                pen = drawGlyph(UInt8(48 + remaining / digitDivisor), into: canvas, x: pen, y: y, scale: scale, colour: colour)
                remaining %= digitDivisor
                digitDivisor /= 10
            }
        }
        return pen
    }

    private static func drawGlyph(_ character: UInt8, into canvas: PixelCanvas, x: Int, y: Int, scale: Int, colour: UInt32) -> Int {
        for row in 0..<glyphHeight {
            let bits = BitmapFont.row(character, row)
            if bits == 0 { continue }
            for column in 0..<glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                canvas.fillRect(x: x + column * scale, y: y + row * scale, width: scale, height: scale, colour: colour)
            }
        }
        return x + (glyphWidth + 1) * scale
    }
}
