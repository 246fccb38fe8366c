import MediaFormats
import Platform

/// losses.png: each loss term of losses.csv against the step, on one linear axis, with a
/// legend in the bitmap font. Written atomically.
public enum LossPlot {
    static let width = 720, height = 400, left = 56, right = 150, top = 20, bottom = 36
    static let colours: [(UInt8, UInt8, UInt8)] = [(230, 230, 230), (80, 160, 255), (255, 140, 60), (90, 220, 110), (230, 80, 200), (240, 220, 70)]

    public static func write(csvRows: [String], to path: String) throws {
        var image = Image8(width: width, height: height, channels: 3, fill: 16)
        let header = ["total"] + LossTerms.names
        // Columns 3 (total) and 4... of each row; empty fields are absent terms.
        var series = [[(Double, Double)]](repeating: [], count: header.count)
        for row in csvRows {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 4 + LossTerms.names.count, let step = Double(fields[0]) else { continue }
            for k in 0..<header.count { if let value = Double(fields[3 + k]), value.isFinite { series[k].append((step, value)) } }
        }
        let all = series.flatMap { $0 }
        let maxStep = max(all.map(\.0).max() ?? 1, 1)
        let low = min(all.map(\.1).min() ?? 0, 0), high = max(all.map(\.1).max() ?? 1, low + 1e-3)
        let plotW = width - left - right, plotH = height - top - bottom
        func point(_ step: Double, _ value: Double) -> (Int, Int) {
            (left + Int(Double(plotW) * step / maxStep), top + plotH - Int(Double(plotH) * (value - low) / (high - low)))
        }
        func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = (y * width + x) * 3
            image.pixels[i] = c.0; image.pixels[i + 1] = c.1; image.pixels[i + 2] = c.2
        }
        func text(_ string: String, _ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            for (k, character) in string.utf8.enumerated() {
                for row in 0..<BitmapFont.glyphHeight {
                    let bits = BitmapFont.row(character, row)
                    for column in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                        set(x + k * (BitmapFont.glyphWidth + 1) + column, y + row, c)
                    }
                }
            }
        }
        let grey: (UInt8, UInt8, UInt8) = (90, 90, 90)
        for x in left...(left + plotW) { set(x, top + plotH, grey) }
        for y in top...(top + plotH) { set(left, y, grey) }
        for k in 0...4 {
            let value = low + (high - low) * Double(k) / 4
            let (_, y) = point(0, value)
            for x in stride(from: left, to: left + plotW, by: 4) { set(x, y, (40, 40, 40)) }
            text(formatted(value, digits: 2), 4, y - 3, grey)
        }
        text("STEP \(Int(maxStep))", left + plotW - 60, top + plotH + 10, grey)
        text("0", left, top + plotH + 10, grey)
        for (k, points) in series.enumerated() where !points.isEmpty {
            let colour = colours[k % colours.count]
            var previous: (Int, Int)?
            for (step, value) in points {
                let p = point(step, value)
                if let q = previous {
                    let steps = max(abs(p.0 - q.0), abs(p.1 - q.1), 1)
                    for s in 0...steps { set(q.0 + (p.0 - q.0) * s / steps, q.1 + (p.1 - q.1) * s / steps, colour) }
                }
                previous = p
            }
            text(header[k].uppercased(), width - right + 12, top + 12 * k, colour)
        }
        try FileIO.writeAtomically(path, ImageFiles.pngData(image))
    }
}
