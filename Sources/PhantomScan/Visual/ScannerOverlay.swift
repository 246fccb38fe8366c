import MediaFormats
/// The machine's screen furniture around the image: header, acquisition parameters, depth
/// scale with centimetre ticks, focus marker, orientation mark and grey bar, as on a real
/// B-mode monitor (and as a network must learn to ignore).
enum ScannerOverlay {
    static func draw(into pixels: UnsafeMutableBufferPointer<UInt8>, layout: ScreenLayout,
                     settings: MachineSettings, frozen: Bool) {
        let w = layout.width, h = layout.height
        let scale = max(1, Int(layout.scale.rounded()))
        let text = UInt8(200), dim = UInt8(150)
        func put(_ x: Int, _ y: Int, _ gray: UInt8) {
            if x >= 0, x < w, y >= 0, y < h { pixels[y * w + x] = gray }
        }
        func write(_ string: String, _ x: Double, _ y: Double, _ gray: UInt8 = text) {
            BitmapFont.draw(string, x: Int(x * layout.scale), y: Int(y * layout.scale), scale: scale,
                            gray: gray, into: pixels, width: w, height: h)
        }
        write("SHOWTELL US", 8, 6)
        write("OB 20W  C5-2", 8, 16, dim)
        write("MI 0.9", 560, 6, dim)
        write("TIS 0.3", 560, 16, dim)

        let gain = Int((50 + settings.gainDecibels * 2).rounded())
        let depthMillimetres = Int(settings.depthMillimetres.rounded())
        write("B", 8, 120)
        write("GN \(gain)", 8, 132, dim)
        write("DR \(Int(settings.dynamicRangeDecibels))", 8, 144, dim)
        write("D \(depthMillimetres / 10).\(depthMillimetres % 10)CM", 8, 156, dim)
        write("FR 30HZ", 8, 168, dim)
        write("3.5MHZ", 8, 180, dim)
        if frozen { write("FREEZE", 8, 210, 255) }

        // Grey bar, bottom left.
        let barX = Int(12 * layout.scale), barTop = Int(330 * layout.scale), barBottom = Int(450 * layout.scale)
        for y in barTop..<barBottom {
            let gray = UInt8(255 * (barBottom - 1 - y) / max(1, barBottom - barTop - 1))
            for x in barX..<(barX + max(2, Int(6 * layout.scale))) { put(x, y, gray) }
        }

        // Depth scale along the right edge of the fan: small tick per cm, long tick and label
        // every 5 cm, measured along the central beam.
        let pixelsPerMillimetre = settings.pixelsPerMillimetre(layout)
        let scaleX = Int(layout.apexX + layout.outerRadius * 0.565 + 14 * layout.scale)
        let top = layout.apexY + layout.innerRadius
        var centimetre = 0
        while Double(centimetre) * 10 <= settings.depthMillimetres + 0.01 {
            let y = Int(top + Double(centimetre) * 10 * pixelsPerMillimetre)
            let long = centimetre % 5 == 0
            for x in scaleX..<(scaleX + (long ? 7 : 4) * scale) { put(x, y, text) }
            if long { write("\(centimetre)", Double(scaleX) / layout.scale + 10, Double(y) / layout.scale - 3, dim) }
            centimetre += 1
        }
        // Focus marker: a small triangle pointing at the fan.
        let focusY = Int(top + settings.focusMillimetres * pixelsPerMillimetre)
        for row in -3...3 {
            for x in (scaleX - 8 * scale)..<(scaleX - 8 * scale + (4 - abs(row)) * scale) { put(x, focusY + row, text) }
        }
        // Orientation mark beside the probe's left edge.
        let (markX, markY) = layout.screenPoint(radius: layout.innerRadius, angle: -layout.halfAngle)
        for dy in 0..<(4 * scale) {
            for dx in 0..<(4 * scale) { put(Int(markX) - 10 * scale + dx, Int(markY) + dy, text) }
        }
    }
}
