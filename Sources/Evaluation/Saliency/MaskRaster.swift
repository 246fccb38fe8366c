import MediaFormats

/// An anatomy polygon (screen pixels, from labels.jsonl) at the model's map resolution.
/// The polygon is moved into crop coordinates (`ScreenGeometry`), filled at crop
/// resolution with `PolygonMask` (a pixel is inside when its centre is, even-odd rule), and
/// each cell's coverage is the share of its crop pixels inside (16×16 = 256 samples per cell
/// for 224 -> 14; fewer for a cell that starts before the crop, `ScreenGeometry.cellOrigin`). The binary mask is coverage ≥ 0.5; a structure too small to cover half
/// of any cell is represented by its best-covered cell(s) instead of vanishing.
public enum MaskRaster {
    public static let binaryCoverage = 0.5

    public static func coverage(_ polygon: [[Double]], geometry g: ScreenGeometry) -> GridMap {
        coverage([polygon], geometry: g)
    }

    /// The union of several polygons (a structure labelled in parts, e.g. both kidneys).
    public static func coverage(_ polygons: [[[Double]]], geometry g: ScreenGeometry) -> GridMap {
        let c = g.crop, n = g.mapSize
        var pixels = [UInt8](repeating: 0, count: c * c)
        for polygon in polygons {
            let moved = polygon.compactMap { point -> [Double]? in
                guard point.count >= 2 else { return nil }
                let p = g.cropPoint(x: point[0], y: point[1])
                return [p.x, p.y]
            }
            pixels.withUnsafeMutableBufferPointer { PolygonMask.fill(moved, width: c, height: c, value: 1, into: $0) }
        }
        var map = GridMap(width: n, height: n)
        var samples = GridMap(width: n, height: n)
        let cells = (0..<c).map { g.cellIndex(cropPixel: $0) }
        for y in 0..<c {
            guard let row = cells[y] else { continue }
            for x in 0..<c {
                guard let column = cells[x] else { continue }
                samples[column, row] += 1
                if pixels[y * c + x] != 0 { map[column, row] += 1 }
            }
        }
        for i in 0..<map.count { map.values[i] /= samples.values[i] }
        return map
    }

    /// The polygons' union at the screen's own resolution (`ScreenGeometry`'s screen pixels; a
    /// pixel is inside when its centre is, even-odd rule per polygon), row-major, 1 inside.
    public static func screen(_ polygons: [[[Double]]], geometry g: ScreenGeometry) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: g.screenWidth * g.screenHeight)
        for polygon in polygons {
            pixels.withUnsafeMutableBufferPointer { PolygonMask.fill(polygon, width: g.screenWidth, height: g.screenHeight, value: 1, into: $0) }
        }
        return pixels
    }

    /// 1 where coverage ≥ 0.5 (or, when no cell reaches it, where coverage is largest), else 0.
    public static func binary(_ coverage: GridMap) -> GridMap {
        let peak = coverage.values.max() ?? 0
        guard peak > 0 else { return GridMap(width: coverage.width, height: coverage.height) }
        let cut = min(binaryCoverage, peak)
        return GridMap(width: coverage.width, height: coverage.height, values: coverage.values.map { $0 >= cut ? 1 : 0 })
    }
}
