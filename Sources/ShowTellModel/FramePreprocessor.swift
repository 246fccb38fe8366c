/// The video branch's input (DESIGN.md §3, the paper's "scaled to 256×256 and centre
/// cropped to 224×224"): gray8 frame [height][width] -> bilinear resize to 256×256 ->
/// centre crop 224×224 -> (pixel / 255 - mean) / std, written as [224][224] floats.
///
/// Resize and crop are one pass: only the 224×224 cropped pixels of the resized image are
/// computed. Bilinear with half-pixel centres and no antialiasing, i.e. torch
/// `interpolate(mode='bilinear', align_corners=False, antialias=False)` and cv2 INTER_LINEAR:
/// output pixel o reads source position s = (o + 0.5)·in/out - 0.5, clamped at 0, between
/// floor(s) and floor(s)+1 (clamped to the last pixel). Training must prepare frames with
/// this same type so the float model sees what it was trained on.
///
/// Tables are sized once in `init`; a new frame size recomputes them in place (no allocation).
public final class FramePreprocessor: @unchecked Sendable {
    public static let interpolation = "bilinear, half-pixel centres (align_corners=False), no antialias; crop after resize"
    public let resize: Int
    public let crop: Int
    /// Per output column/row: first source index, second source index, weight of the second.
    private let columns0, columns1, rows0, rows1: UnsafeMutablePointer<Int>
    private let columnWeights, rowWeights: UnsafeMutablePointer<Float>
    /// Masks screen furniture out of each output frame (bundles trained with a live-image mask).
    public private(set) var liveImage: LiveImageTracker?
    private var tableWidth = 0, tableHeight = 0
    private let scale: Float, offset: Float, std: Float

    public init(resize: Int = ShowTellNetwork.frameResize, crop: Int = ShowTellNetwork.frameSize,
                mean: Float = ShowTellNetwork.pixelMean, std: Float = ShowTellNetwork.pixelStd) {
        precondition(crop <= resize, "crop larger than the resized frame")
        self.resize = resize
        self.crop = crop
        columns0 = .allocate(capacity: crop); columns1 = .allocate(capacity: crop)
        rows0 = .allocate(capacity: crop); rows1 = .allocate(capacity: crop)
        columnWeights = .allocate(capacity: crop); rowWeights = .allocate(capacity: crop)
        scale = 1 / (255 * std)
        offset = -mean / std
        self.std = std
    }

    /// From now on, mask screen furniture out of every output frame, learning the mask from
    /// the frames themselves (`LiveImageTracker` over the crop, in this preprocessor's units).
    public func maskScreenFurniture(_ spec: LiveImageMask) {
        liveImage = LiveImageTracker(spec: spec, side: crop, pixelStd: std)
    }

    deinit {
        columns0.deallocate(); columns1.deallocate(); rows0.deallocate(); rows1.deallocate()
        columnWeights.deallocate(); rowWeights.deallocate()
    }

    /// Source position of resized pixel `o` (align_corners=False), before clamping.
    @inline(__always)
    public static func sourcePosition(_ o: Int, input: Int, output: Int) -> Float {
        (Float(o) + 0.5) * Float(input) / Float(output) - 0.5
    }

    /// Fills one axis's table for the crop window [margin, margin + crop) of the resized axis.
    private func fill(_ i0: UnsafeMutablePointer<Int>, _ i1: UnsafeMutablePointer<Int>, _ weights: UnsafeMutablePointer<Float>, input: Int) {
        let margin = (resize - crop) / 2
        for o in 0..<crop {
            let s = max(Self.sourcePosition(o + margin, input: input, output: resize), 0)
            let first = min(Int(s), input - 1)
            i0[o] = first
            i1[o] = min(first + 1, input - 1)
            weights[o] = s - Float(first)
        }
    }

    /// frame: [height][width] gray8 -> output: [crop][crop] normalised floats.
    public func run(_ frame: UnsafePointer<UInt8>, width: Int, height: Int, into output: UnsafeMutablePointer<Float>) {
        precondition(width > 0 && height > 0, "empty frame")
        if width != tableWidth {
            fill(columns0, columns1, columnWeights, input: width)
            tableWidth = width
        }
        if height != tableHeight {
            fill(rows0, rows1, rowWeights, input: height)
            tableHeight = height
        }
        let n = crop, scale = scale, offset = offset
        for y in 0..<n {
            let top = frame + rows0[y] * width, bottom = frame + rows1[y] * width
            let wy = rowWeights[y]
            let row = output + y * n
            for x in 0..<n {
                let x0 = columns0[x], x1 = columns1[x], wx = columnWeights[x]
                let upper = Float(top[x0]) + wx * (Float(top[x1]) - Float(top[x0]))
                let lower = Float(bottom[x0]) + wx * (Float(bottom[x1]) - Float(bottom[x0]))
                row[x] = (upper + wy * (lower - upper)) * scale + offset
            }
        }
        liveImage?.apply(output)
    }
}
