/// Maps the polar image (samples x beams, log-compressed) onto the screen fan by bilinear
/// interpolation, as a scanner's scan converter does. The pixel-to-polar table is built once,
/// so a frame costs four loads and a few multiplies per pixel.
struct ScanConverter: Sendable {
    /// Row stride of the polar image: one spare beam so the right neighbour always exists.
    let polarStride: Int
    /// Polar image size including one spare row and column.
    let polarCount: Int
    private var screenIndex: [Int32] = []
    private var polarIndex: [Int32] = []
    /// Interpolation weights in 1/256: beam fraction in the low byte, sample fraction high.
    private var weights: [UInt16] = []

    init(layout: ScreenLayout) {
        polarStride = layout.beamCount + 1
        polarCount = polarStride * (layout.sampleCount + 1)
        let beamScale = Double(layout.beamCount - 1) / (2 * layout.halfAngle)
        let sampleScale = Double(layout.sampleCount - 1) / (layout.outerRadius - layout.innerRadius)
        for y in 0..<layout.height {
            for x in 0..<layout.width {
                let (r, a) = layout.polar(x: Double(x) + 0.5, y: Double(y) + 0.5)
                guard r >= layout.innerRadius, r <= layout.outerRadius, abs(a) <= layout.halfAngle else { continue }
                let beam = min((a + layout.halfAngle) * beamScale, Double(layout.beamCount - 1))
                let sample = min((r - layout.innerRadius) * sampleScale, Double(layout.sampleCount - 1))
                let b0 = Int(beam), s0 = Int(sample)
                screenIndex.append(Int32(y * layout.width + x))
                polarIndex.append(Int32(s0 * polarStride + b0))
                let wb = UInt16(min(255, Int((beam - Double(b0)) * 256)))
                let ws = UInt16(min(255, Int((sample - Double(s0)) * 256)))
                weights.append(wb | ws << 8)
            }
        }
    }

    /// Screen pixels covered by the fan.
    var pixelCount: Int { screenIndex.count }

    func convert(polar: UnsafePointer<UInt8>, screen: UnsafeMutablePointer<UInt8>) {
        let stride = polarStride
        screenIndex.withUnsafeBufferPointer { targets in
            polarIndex.withUnsafeBufferPointer { sources in
                weights.withUnsafeBufferPointer { weights in
                    for k in 0..<targets.count {
                        let p = polar + Int(sources[k])
                        let w = Int(weights[k])
                        let wb = w & 0xFF, ws = w >> 8
                        let top = Int(p[0]) * (256 - wb) + Int(p[1]) * wb
                        let bottom = Int(p[stride]) * (256 - wb) + Int(p[stride + 1]) * wb
                        screen[Int(targets[k])] = UInt8(truncatingIfNeeded: (top * (256 - ws) + bottom * ws) >> 16)
                    }
                }
            }
        }
    }
}
