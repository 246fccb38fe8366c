import Foundation
import MediaFormats

/// A gallery of heatmap overlays (the paper's Figures 5c and 7a/b): per tile, the part of
/// the screen the model sees (the centre crop) with the map upsampled bilinearly and
/// blended in inferno colours (opacity 0.65 × value, so cold cells leave the image alone),
/// the gaze fixations as cyan crosses, the spoken structure's outline in green, and below
/// it the words spoken in the audio window and the tile's scores.
public struct HeatmapGallery {
    public struct Tile {
        /// The recorded frame, gray, full screen.
        public var frame: Image8
        /// The model's map (any range: min-max normalised for display).
        public var map: GridMap
        public var fixations: [GazeSaliency.Fixation]
        /// Outlines to draw (screen pixels), e.g. the spoken anatomy's polygons.
        public var outlines: [[[Double]]]
        /// Words in the audio window, as spoken.
        public var words: String
        /// One line of scores or labels.
        public var caption: String

        public init(frame: Image8, map: GridMap, fixations: [GazeSaliency.Fixation] = [], outlines: [[[Double]]] = [],
                    words: String, caption: String) {
            self.frame = frame
            self.map = map
            self.fixations = fixations
            self.outlines = outlines
            self.words = words
            self.caption = caption
        }
    }

    public var title: String
    public var subtitle: String
    public var geometry: ScreenGeometry
    public var tiles: [Tile]
    public var columns: Int
    public var tileWidth = 320

    public init(title: String, subtitle: String = "", geometry: ScreenGeometry, tiles: [Tile], columns: Int = 3) {
        self.title = title
        self.subtitle = subtitle
        self.geometry = geometry
        self.tiles = tiles
        self.columns = max(1, columns)
    }

    public static let opacity = 0.65
    static let captionLines = 3

    public func render() -> Picture {
        let crop = geometry.cropRect
        let tileHeight = Int((Double(tileWidth) * (crop.y1 - crop.y0) / (crop.x1 - crop.x0)).rounded())
        let textHeight = 12 + Self.captionLines * 12 + 12
        let pad = 16, top = 72
        let rows = (tiles.count + columns - 1) / columns
        let width = pad + columns * (tileWidth + pad)
        let height = top + max(rows, 1) * (tileHeight + textHeight + pad)
        let picture = Picture(width: width, height: height)
        picture.text(title, x: pad, y: 14, scale: 3)
        picture.text(subtitle, x: pad, y: 46, scale: 2, colour: 0x606060)
        for (index, tile) in tiles.enumerated() {
            let x0 = pad + (index % columns) * (tileWidth + pad)
            let y0 = top + (index / columns) * (tileHeight + textHeight + pad)
            draw(tile, into: picture, x0: x0, y0: y0, height: tileHeight)
            var lines = Self.wrap("\"" + tile.words + "\"", width: tileWidth / Picture.glyphAdvance / 1)
            lines = Array(lines.prefix(Self.captionLines - 1))
            var y = y0 + tileHeight + 8
            for line in lines {
                picture.text(line, x: x0, y: y, scale: 1, colour: 0x202020)
                y += 12
            }
            picture.text(String(tile.caption.prefix(tileWidth / Picture.glyphAdvance)), x: x0, y: y, scale: 1, colour: 0x0050A0)
        }
        return picture
    }

    private func draw(_ tile: Tile, into picture: Picture, x0: Int, y0: Int, height: Int) {
        let crop = geometry.cropRect
        let sx = (crop.x1 - crop.x0) / Double(tileWidth), sy = (crop.y1 - crop.y0) / Double(height)
        let heat = tile.map.minMaxNormalised()
        let shift = geometry.cellOrigin / geometry.cellSize  // cells the map starts past the crop's corner
        let frame = tile.frame
        for ty in 0..<height {
            let screenY = crop.y0 + (Double(ty) + 0.5) * sy
            // Map coordinates (cell centres at i + 0.5 after the cells' origin), bilinear, clamped at the edges.
            let my = min(max((Double(ty) + 0.5) / Double(height) * Double(heat.height) - 0.5 - shift, 0), Double(heat.height - 1))
            let r0 = Int(my), r1 = min(r0 + 1, heat.height - 1), fy = my - Double(r0)
            for tx in 0..<tileWidth {
                let screenX = crop.x0 + (Double(tx) + 0.5) * sx
                let px = min(max(Int(screenX), 0), frame.width - 1), py = min(max(Int(screenY), 0), frame.height - 1)
                let gray = Double(frame.pixels[(py * frame.width + px) * frame.channels])
                let mx = min(max((Double(tx) + 0.5) / Double(tileWidth) * Double(heat.width) - 0.5 - shift, 0), Double(heat.width - 1))
                let c0 = Int(mx), c1 = min(c0 + 1, heat.width - 1), fx = mx - Double(c0)
                let top = heat[c0, r0] + fx * (heat[c1, r0] - heat[c0, r0])
                let bottom = heat[c0, r1] + fx * (heat[c1, r1] - heat[c0, r1])
                let v = top + fy * (bottom - top)
                let colour = Picture.inferno(v), a = Self.opacity * v
                func mix(_ shift: UInt32) -> UInt32 {
                    let c = Double(colour >> shift & 0xFF)
                    return UInt32((gray + (c - gray) * a).rounded()) << shift
                }
                picture.set(x0 + tx, y0 + ty, mix(16) | mix(8) | mix(0))
            }
        }
        func toTile(_ x: Double, _ y: Double) -> (Int, Int) {
            (x0 + Int(((x - crop.x0) / sx).rounded()), y0 + Int(((y - crop.y0) / sy).rounded()))
        }
        for outline in tile.outlines where outline.count >= 3 {
            for i in 0..<outline.count {
                let a = outline[i], b = outline[(i + 1) % outline.count]
                guard a.count >= 2, b.count >= 2 else { continue }
                let p = toTile(a[0], a[1]), q = toTile(b[0], b[1])
                clippedLine(picture, p, q, x0: x0, y0: y0, height: height, colour: 0x30E030)
            }
        }
        for f in tile.fixations {
            let (x, y) = toTile(f.x, f.y)
            guard x >= x0 + 3, y >= y0 + 3, x < x0 + tileWidth - 3, y < y0 + height - 3 else { continue }
            picture.line(x - 3, y, x + 3, y, colour: 0x00E0FF)
            picture.line(x, y - 3, x, y + 3, colour: 0x00E0FF)
        }
        picture.frame(x: x0 - 1, y: y0 - 1, width: tileWidth + 2, height: height + 2, colour: 0x404040)
    }

    /// Lines are drawn point by point, keeping only the tile's pixels.
    private func clippedLine(_ picture: Picture, _ p: (Int, Int), _ q: (Int, Int), x0: Int, y0: Int, height: Int, colour: UInt32) {
        let steps = max(abs(q.0 - p.0), abs(q.1 - p.1), 1)
        for s in 0...steps {
            let x = p.0 + (q.0 - p.0) * s / steps, y = p.1 + (q.1 - p.1) * s / steps
            guard x >= x0, y >= y0, x < x0 + tileWidth - 1, y < y0 + height - 1 else { continue }
            picture.rect(x: x, y: y, width: 2, height: 2, colour: colour)
        }
    }

    /// Greedy word wrap to `width` characters.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ") {
            if current.isEmpty { current = String(word) } else if current.count + 1 + word.count <= width { current += " " + word } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
