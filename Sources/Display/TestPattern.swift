/// Eight vertical colour bars (white, yellow, cyan, green, magenta, red, blue, black) over
/// the top two thirds, a grey ramp below, and a moving marker so a frozen screen shows.
public enum TestPattern {
    public static let bars: [UInt32] = [0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00, 0xFF00FF, 0xFF0000, 0x0000FF, 0x000000]

    public static func colourBars(_ canvas: PixelCanvas, frame: Int) {
        let barsHeight = canvas.height * 2 / 3
        for y in 0..<canvas.height {
            let row = canvas.row(y)
            for x in 0..<canvas.width {
                if y < barsHeight {
                    row[x] = bars[min(7, x * 8 / canvas.width)]
                } else {
                    let level = UInt32(x * 255 / max(1, canvas.width - 1))
                    row[x] = level << 16 | level << 8 | level
                }
            }
        }
        let markerX = (frame * 8) % max(1, canvas.width - 16)
        canvas.fillRect(x: markerX, y: barsHeight - 24, width: 16, height: 16, colour: 0x808080)
    }
}
