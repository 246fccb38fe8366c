import MediaFormats
import Platform
import Training

/// A picture a person can judge: the stored frame, the localisation map over the part of the
/// frame it covers (the 224 centre crop, its cells starting at crop x = y = `cellOrigin`:
/// `CellCentres`), the map's maximum boxed, the named anatomy's mask outlined in green, and a
/// caption (anatomy, HIT/MISS, words).
public enum Overlay {
    public static func render(frame: [UInt8], side: Int, map: [Float], mapSide: Int, window: PointingGame.Window,
                              trial: PointingGame.Trial, caption: String, crop: Int = 224, cellOrigin: Double = 0) -> Image8 {
        let scale = 2, width = side * scale, height = side * scale + 24
        var image = Image8(width: width, height: height, channels: 3, fill: 0)
        let low = map.min() ?? 0, high = max(map.max() ?? 1, low + 1e-6)
        let margin = (side - crop) / 2
        // The cell of each crop pixel's centre (nil past the map's cells).
        let cellOf = (0..<crop).map { p -> Int? in
            let i = Int(((Double(p) + 0.5 - cellOrigin) * Double(mapSide) / Double(crop)).rounded(.down))
            return i >= 0 && i < mapSide ? i : nil
        }
        func maskAt(_ x: Int, _ y: Int) -> Bool {
            let fx = min(x * window.frameWidth / side, window.frameWidth - 1), fy = min(y * window.frameHeight / side, window.frameHeight - 1)
            return window.mask[fy * window.frameWidth + fx] != 0
        }
        for y in 0..<side {
            for x in 0..<side {
                let gray = Float(frame[y * side + x])
                var (r, g, b) = (gray, gray, gray)
                if x >= margin && x < margin + crop && y >= margin && y < margin + crop,
                   let row = cellOf[y - margin], let column = cellOf[x - margin] {
                    let cell = row * mapSide + column
                    let heat = (map[cell] - low) / (high - low)
                    // Blend towards a red-yellow ramp where the map is high.
                    let alpha = 0.6 * heat
                    r = r * (1 - alpha) + 255 * alpha
                    g = g * (1 - alpha) + 255 * heat * heat * alpha
                    b = b * (1 - alpha)
                }
                let edge = maskAt(x, y) && (x == 0 || y == 0 || x == side - 1 || y == side - 1 || !maskAt(x - 1, y) || !maskAt(x + 1, y) || !maskAt(x, y - 1) || !maskAt(x, y + 1))
                if edge { (r, g, b) = (40, 255, 40) }
                for dy in 0..<scale {
                    for dx in 0..<scale {
                        let i = ((y * scale + dy) * width + x * scale + dx) * 3
                        image.pixels[i] = UInt8(min(max(r, 0), 255)); image.pixels[i + 1] = UInt8(min(max(g, 0), 255)); image.pixels[i + 2] = UInt8(min(max(b, 0), 255))
                    }
                }
            }
        }
        // The maximum cell, boxed in cyan.
        let cellSize = crop * scale / mapSide
        let shift = Int((cellOrigin * Double(scale)).rounded())
        let x0 = max(0, margin * scale + shift + (trial.cell % mapSide) * cellSize), y0 = max(0, margin * scale + shift + (trial.cell / mapSide) * cellSize)
        for k in 0..<cellSize {
            for (x, y) in [(x0 + k, y0), (x0 + k, y0 + cellSize - 1), (x0, y0 + k), (x0 + cellSize - 1, y0 + k)] where x < width && y < height {
                let i = (y * width + x) * 3
                image.pixels[i] = 0; image.pixels[i + 1] = 255; image.pixels[i + 2] = 255
            }
        }
        let text = ((trial.hit ? "HIT " : "MISS ") + window.anatomy + ": " + caption).uppercased()
        for (k, character) in text.utf8.prefix(width / 6 - 1).enumerated() {
            for row in 0..<BitmapFont.glyphHeight {
                let bits = BitmapFont.row(character, row)
                for column in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                    let i = ((side * scale + 8 + row) * width + 4 + k * 6 + column) * 3
                    image.pixels[i] = 255; image.pixels[i + 1] = 255; image.pixels[i + 2] = 255
                }
            }
        }
        return image
    }
}
