/// Rasterises anatomy polygons into masks by scanline fill with the even-odd rule.
/// A pixel is inside when its centre (x + 0.5, y + 0.5) is; edges are half-open in y, so
/// polygons that share an edge never both claim a pixel.
public enum PolygonMask {
    /// Sets `value` in `mask` (row-major, `width` x `height`) for every pixel inside `polygon`
    /// ([[x, y], ...], closed implicitly). Points that are not two finite numbers are ignored.
    /// Allocates nothing for polygons of up to a few thousand points.
    public static func fill(_ polygon: [[Double]], width: Int, height: Int, value: UInt8,
                            into mask: UnsafeMutableBufferPointer<UInt8>) {
        precondition(mask.count >= width * height, "mask buffer smaller than \(width)x\(height)")
        let points = polygon.count
        guard points >= 3, width > 0, height > 0 else { return }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * points) { vertices in
            var count = 0
            for point in polygon where point.count >= 2 && point[0].isFinite && point[1].isFinite {
                vertices[2 * count] = point[0]
                vertices[2 * count + 1] = point[1]
                count += 1
            }
            guard count >= 3 else { return }
            var minY = Double.infinity, maxY = -Double.infinity
            for i in 0..<count { minY = min(minY, vertices[2 * i + 1]); maxY = max(maxY, vertices[2 * i + 1]) }
            let firstRow = max(0, clampedInt((minY - 0.5).rounded(.up), limit: height))
            let lastRow = min(height - 1, clampedInt((maxY - 0.5).rounded(.down), limit: height))
            guard firstRow <= lastRow else { return }
            withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { crossings in
                for row in firstRow...lastRow {
                    let y = Double(row) + 0.5
                    var found = 0
                    var previous = count - 1
                    for current in 0..<count {
                        let x0 = vertices[2 * previous], y0 = vertices[2 * previous + 1]
                        let x1 = vertices[2 * current], y1 = vertices[2 * current + 1]
                        if (y0 <= y && y < y1) || (y1 <= y && y < y0) {
                            crossings[found] = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
                            found += 1
                        }
                        previous = current
                    }
                    // Insertion sort: few crossings per row, and no allocation.
                    for i in 1..<max(found, 1) {
                        let key = crossings[i]
                        var j = i - 1
                        while j >= 0 && crossings[j] > key { crossings[j + 1] = crossings[j]; j -= 1 }
                        crossings[j + 1] = key
                    }
                    var pair = 0
                    while pair + 1 < found {
                        // Pixels whose centres lie in [left, right).
                        let left = max(0, clampedInt((crossings[pair] - 0.5).rounded(.up), limit: width))
                        let right = min(width, clampedInt((crossings[pair + 1] - 0.5).rounded(.up), limit: width))
                        if left < right {
                            let rowStart = row * width
                            for x in left..<right { mask[rowStart + x] = value }
                        }
                        pair += 2
                    }
                }
            }
        }
    }

    /// Int(value) traps beyond Int's range: coordinates far outside the image are clamped first.
    private static func clampedInt(_ value: Double, limit: Int) -> Int {
        Int(min(max(value, -1), Double(limit) + 1))
    }
}

extension AnatomyRegion {
    /// A gray mask of the region: 255 inside, 0 outside.
    public func mask(width: Int, height: Int) -> Image8 {
        var image = Image8(width: width, height: height, channels: 1)
        image.pixels.withUnsafeMutableBufferPointer { PolygonMask.fill(polygon, width: width, height: height, value: 255, into: $0) }
        return image
    }
}
