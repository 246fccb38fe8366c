import Foundation
import MediaFormats

/// A contact sheet of a session for checking it by eye: frames spread over the session, each
/// with its anatomy outlines (one colour per structure, named), the gaze point (filled while
/// fixating, hollow in a saccade), the plane and phase, and the words spoken around it.
public enum ContactSheet {
    public static func render(session: RecordedSession, columns: Int = 4, rows: Int = 3) throws -> Image8 {
        let labels = session.labels ?? []
        let words = session.transcript ?? []
        let video = session.video
        guard video.frameCount > 0 else { throw SessionError(path: session.folder.videoPath, problem: "no frames to show") }
        let tileWidth = 320, imageHeight = 240, captionLines = 5
        let tileHeight = imageHeight + captionLines * 9 + 6
        let gap = 6
        var sheet = RGBCanvas(width: columns * (tileWidth + gap) + gap, height: rows * (tileHeight + gap) + gap + 14)
        sheet.fill(r: 24, g: 24, b: 28)
        let title = "\(session.folder.path)  \(video.frameCount) frames  \(String(format: "%.1f", session.manifest.duration)) s  seed \(session.manifest.seed.map(String.init) ?? "-")"
        sheet.text(title, x: gap, y: 4, r: 230, g: 230, b: 230)

        let count = columns * rows
        var frame = Image8(width: video.info.width, height: video.info.height, channels: 1)
        for tile in 0..<count {
            let index = min(video.frameCount - 1, Int((Double(tile) + 0.5) / Double(count) * Double(video.frameCount)))
            try video.decodeFrame(index, into: &frame)
            let originX = gap + (tile % columns) * (tileWidth + gap)
            let originY = 14 + gap + (tile / columns) * (tileHeight + gap)
            let sx = Double(tileWidth) / Double(frame.width), sy = Double(imageHeight) / Double(frame.height)
            sheet.blitGray(frame, x: originX, y: originY, width: tileWidth, height: imageHeight)

            let time = video.time(ofFrame: index)
            var caption = [String(format: "%6.2f s  frame %d", time, index)]
            if index < labels.count {
                let label = labels[index]
                for region in label.anatomy {
                    let (r, g, b) = color(of: region.name)
                    let points = region.polygon.map { (originX + Int($0[0] * sx), originY + Int($0[1] * sy)) }
                    sheet.polyline(points, closed: true, r: r, g: g, b: b, clipX: originX, clipY: originY,
                                   clipWidth: tileWidth, clipHeight: imageHeight)
                    if let first = points.first { sheet.text(region.name, x: first.0, y: first.1 - 8, r: r, g: g, b: b) }
                }
                if let gaze = label.gaze {
                    sheet.marker(x: originX + Int(gaze.x * sx), y: originY + Int(gaze.y * sy), filled: gaze.fixation)
                }
                caption[0] += "  \(label.plane.rawValue)" + (label.frozen ? " FROZEN" : label.holding ? " held" : " searching")
            }
            let said = words.filter { $0.start < time + 1.5 && $0.end > time - 1.5 }
            var bySpeaker: [(String, String)] = []
            for word in said {
                let speaker = word.speaker ?? "?"
                if let last = bySpeaker.last, last.0 == speaker { bySpeaker[bySpeaker.count - 1].1 += " " + word.text }
                else { bySpeaker.append((speaker, word.text)) }
            }
            for (speaker, text) in bySpeaker { caption += wrap("\(speaker.prefix(5)): \(text)", columns: tileWidth / 6) }
            if said.isEmpty { caption.append("(silence)") }
            for (line, text) in caption.prefix(captionLines).enumerated() {
                sheet.text(text, x: originX, y: originY + imageHeight + 4 + line * 9,
                           r: line == 0 ? 255 : 200, g: line == 0 ? 255 : 220, b: line == 0 ? 255 : 160)
            }
        }
        return Image8(width: sheet.width, height: sheet.height, channels: 3, pixels: sheet.pixels)
    }

    /// A fixed colour per structure name, so one structure looks the same on every tile.
    static func color(of name: String) -> (UInt8, UInt8, UInt8) {
        let palette: [(UInt8, UInt8, UInt8)] = [(255, 80, 80), (80, 220, 80), (90, 150, 255), (255, 200, 40), (230, 90, 230),
                                                 (60, 220, 220), (255, 140, 40), (170, 255, 120), (255, 150, 190), (180, 140, 255)]
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return palette[Int(hash % UInt32(palette.count))]
    }

    static func wrap(_ text: String, columns: Int) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > columns { lines.append(line); line = "  " }
            line += (line.isEmpty || line == "  " ? "" : " ") + word
        }
        if !line.trimmingCharacters(in: .whitespaces).isEmpty { lines.append(line) }
        return lines
    }
}

/// An RGB drawing surface for the sheet (not on any hot path).
struct RGBCanvas {
    let width: Int, height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
    }

    mutating func fill(r: UInt8, g: UInt8, b: UInt8) {
        for i in stride(from: 0, to: pixels.count, by: 3) { pixels[i] = r; pixels[i + 1] = g; pixels[i + 2] = b }
    }

    mutating func set(_ x: Int, _ y: Int, _ r: UInt8, _ g: UInt8, _ b: UInt8) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = r; pixels[i + 1] = g; pixels[i + 2] = b
    }

    /// Area-averaged downscale of a gray image into the rectangle.
    mutating func blitGray(_ image: Image8, x: Int, y: Int, width w: Int, height h: Int) {
        for row in 0..<h {
            let y0 = row * image.height / h, y1 = max(y0 + 1, (row + 1) * image.height / h)
            for column in 0..<w {
                let x0 = column * image.width / w, x1 = max(x0 + 1, (column + 1) * image.width / w)
                var sum = 0
                for yy in y0..<y1 { for xx in x0..<x1 { sum += Int(image.pixels[yy * image.width + xx]) } }
                let v = UInt8(sum / ((y1 - y0) * (x1 - x0)))
                set(x + column, y + row, v, v, v)
            }
        }
    }

    mutating func polyline(_ points: [(Int, Int)], closed: Bool, r: UInt8, g: UInt8, b: UInt8,
                           clipX: Int, clipY: Int, clipWidth: Int, clipHeight: Int) {
        guard points.count > 1 else { return }
        let pairs = closed ? points.count : points.count - 1
        for k in 0..<pairs {
            let (x0, y0) = points[k], (x1, y1) = points[(k + 1) % points.count]
            let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
            for s in 0...steps {
                let x = x0 + (x1 - x0) * s / steps, y = y0 + (y1 - y0) * s / steps
                if x >= clipX, x < clipX + clipWidth, y >= clipY, y < clipY + clipHeight { set(x, y, r, g, b) }
            }
        }
    }

    mutating func marker(x: Int, y: Int, filled: Bool) {
        for dy in -5...5 {
            for dx in -5...5 {
                let d2 = dx * dx + dy * dy
                if filled ? d2 <= 16 : (d2 <= 25 && d2 >= 12) { set(x + dx, y + dy, 255, 255, 0) }
            }
        }
    }

    mutating func text(_ text: String, x: Int, y: Int, r: UInt8, g: UInt8, b: UInt8) {
        BitmapFont.forEachPixel(text, x: x, y: y) { px, py in set(px, py, r, g, b) }
    }
}
