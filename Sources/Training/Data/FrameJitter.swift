import Platform

/// Random translation of a training frame (the frame moves by up to `maxShift` pixels on each
/// axis; the uncovered border becomes 0, the standardised mean). Without it the video branch
/// of a ten-scan dataset learns where things usually are on the screen, so its per-cell map
/// marks positions instead of structures; shifted copies make a structure's cells, wherever
/// they land, the only thing that keeps matching the words.
public struct FrameJitter: Sendable, Equatable {
    public var maxShift: Int

    public init(maxShift: Int) { self.maxShift = maxShift }

    /// frame: [side][side], shifted in place by (dy, dx) drawn uniformly from [-maxShift, maxShift].
    public func apply(_ frame: UnsafeMutablePointer<Float>, side: Int, random: inout RandomSource) {
        guard maxShift > 0, side > 2 * maxShift else { return }
        let dy = random.index(2 * maxShift + 1) - maxShift, dx = random.index(2 * maxShift + 1) - maxShift
        Self.shift(frame, side: side, dy: dy, dx: dx)
    }

    /// out[y][x] = in[y - dy][x - dx] (0 outside), in place.
    static func shift(_ frame: UnsafeMutablePointer<Float>, side: Int, dy: Int, dx: Int) {
        guard dy != 0 || dx != 0 else { return }
        // Rows are visited away from the direction of travel so each source row is read before it is overwritten.
        let rows = dy > 0 ? Array(stride(from: side - 1, through: 0, by: -1)) : Array(0..<side)
        for y in rows {
            let row = frame + y * side, sy = y - dy
            guard sy >= 0, sy < side else { row.update(repeating: 0, count: side); continue }
            let source = frame + sy * side
            if dx >= 0 {
                var x = side - 1
                while x >= dx { row[x] = source[x - dx]; x -= 1 }
                (row).update(repeating: 0, count: min(dx, side))
            } else {
                let k = -dx
                for x in 0..<(side - k) { row[x] = source[x + k] }
                (row + side - k).update(repeating: 0, count: k)
            }
        }
    }
}
