import MediaFormats

/// Draws one screen: the live gray frame scaled to fit (aspect kept, letterboxed), the
/// heatmap upsampled bilinearly and alpha-blended in colour, and a status bar below.
///
/// Scaling tables are built when the frame or screen size changes, never per frame; the
/// per-frame work is one pass over the image area. Allocation-free in steady state.
public final class Compositor {
    public static let statusBarHeight = 24

    private var frameWidth = 0, frameHeight = 0
    private var screenWidth = 0, screenHeight = 0
    /// Where the frame lands on screen.
    public private(set) var imageRect = (x: 0, y: 0, width: 0, height: 0)
    private var heatSize = (width: 0, height: 0)
    private var heatShift: (x: Float, y: Float) = (0, 0)
    // Per-size tables, rebuilt only when a size changes (a replug, a new model).
    private var sourceColumn = Table<Int32>()  // [imageRect.width] frame x per screen x
    private var sourceRow = Table<Int32>()     // [imageRect.height] frame y per screen y
    private var heatX0 = Table<Int32>()        // [imageRect.width] left heat cell per screen x
    private var heatFX = Table<Int32>()        // [imageRect.width] weight of the right cell, 0...256
    private var heatY0 = Table<Int32>()        // [imageRect.height] upper heat row per screen y
    private var heatFY = Table<Float>()        // [imageRect.height] weight of the lower row, 0...1
    private var heatLine = Table<Int32>()      // [heatWidth + 1] one screen row's heat, 0...65535
    private let colours = Table<UInt32>(Colormap.inferno)
    private let grays = Table<UInt32>((0..<256).map { UInt32($0) * 0x010101 })

    public init() {}

    /// Composes into `canvas`. `heatmap` (heatHeight × heatWidth, values in [0, 1]) is drawn
    /// with opacity `alpha` × value, so cold cells leave the image untouched. Its cells divide
    /// the image evenly, moved right and down by `heatOffset` cells (a fraction: a map whose
    /// cells are centred where they look does not start on a cell boundary).
    ///
    /// The blend is fixed point: per screen row the two heat rows are interpolated once (heat
    /// resolution, float), then per pixel the horizontal interpolation, colour lookup and
    /// blend are integer operations. `Tests/DisplayTests` check it against the float formula
    /// (within 2 levels per channel).
    public func compose(into canvas: PixelCanvas,
                        frame: UnsafePointer<UInt8>, frameWidth: Int, frameHeight: Int,
                        heatmap: UnsafePointer<Float>?, heatWidth: Int, heatHeight: Int, heatOffset: (x: Float, y: Float) = (0, 0),
                        alpha: Float, status: StatusLine) {
        prepare(frameWidth: frameWidth, frameHeight: frameHeight, screenWidth: canvas.width, screenHeight: canvas.height,
                heatWidth: heatWidth, heatHeight: heatHeight, heatOffset: heatOffset)
        let r = imageRect
        // Letterbox bars.
        canvas.fillRect(x: 0, y: 0, width: canvas.width, height: r.y, colour: 0)
        canvas.fillRect(x: 0, y: r.y + r.height, width: canvas.width, height: canvas.height - Self.statusBarHeight - r.y - r.height, colour: 0)
        canvas.fillRect(x: 0, y: r.y, width: r.x, height: r.height, colour: 0)
        canvas.fillRect(x: r.x + r.width, y: r.y, width: canvas.width - r.x - r.width, height: r.height, colour: 0)

        let columns = sourceColumn.base, grays = grays.base
        let blend = heatmap != nil && alpha > 0.002 && heatWidth > 0 && heatHeight > 0
        let alpha256 = Int32((min(max(alpha, 0), 1) * 256).rounded())
        let x0s = heatX0.base, fxs = heatFX.base, line = heatLine.base, colours = colours.base
        for y in 0..<r.height {
            let out = canvas.row(r.y + y) + r.x
            let source = frame + Int(sourceRow.base[y]) * frameWidth
            guard blend, let heatmap else {
                for x in 0..<r.width { out[x] = grays[Int(source[Int(columns[x])])] }
                continue
            }
            // This row's heat at heat resolution (the last cell repeated for the right edge).
            let y0 = Int(heatY0.base[y]), y1 = min(y0 + 1, heatHeight - 1)
            let fy = heatFY.base[y]
            let row0 = heatmap + y0 * heatWidth, row1 = heatmap + y1 * heatWidth
            // Each cell clamped to [0, 1] before interpolating, NaN as 0 (min/max pass NaN
            // through, and Int32(NaN) traps): no map value, however absurd, can stop the loop.
            @inline(__always) func unit(_ v: Float) -> Float { v.isNaN ? 0 : min(max(v, 0), 1) }
            for i in 0..<heatWidth {
                let a = unit(row0[i]), b = unit(row1[i])
                line[i] = Int32((a + fy * (b - a)) * 65535)
            }
            line[heatWidth] = line[heatWidth - 1]
            for x in 0..<r.width {
                let gray = Int32(source[Int(columns[x])])
                let x0 = Int(x0s[x])
                let left = line[x0]
                let heat = (left + (((line[x0 + 1] - left) * fxs[x]) >> 8)) >> 8   // 0...255
                let colour = colours[Int(heat)]
                let a = (alpha256 * heat + 127) / 255                                  // 0...256
                let red = gray + (((Int32(colour >> 16) & 0xFF) - gray) * a) >> 8
                let green = gray + (((Int32(colour >> 8) & 0xFF) - gray) * a) >> 8
                let blue = gray + (((Int32(colour) & 0xFF) - gray) * a) >> 8
                out[x] = UInt32(red) << 16 | UInt32(green) << 8 | UInt32(blue)
            }
        }
        status.draw(into: canvas, y: canvas.height - Self.statusBarHeight, height: Self.statusBarHeight)
    }

    /// "NO SIGNAL" (or another message) on a dark screen, with the status bar.
    public func composeMessage(into canvas: PixelCanvas, message: String, status: StatusLine) {
        canvas.fillRect(x: 0, y: 0, width: canvas.width, height: canvas.height - Self.statusBarHeight, colour: 0x101018)
        let scale = max(2, canvas.width / 160)
        let textWidth = message.utf8.count * (BitmapFont.glyphWidth + 1) * scale
        BitmapFont.draw(message, into: canvas, x: (canvas.width - textWidth) / 2,
                        y: (canvas.height - Self.statusBarHeight) / 2 - BitmapFont.glyphHeight * scale / 2,
                        scale: scale, colour: 0xE0E0E0)
        status.draw(into: canvas, y: canvas.height - Self.statusBarHeight, height: Self.statusBarHeight)
    }

    private func prepare(frameWidth fw: Int, frameHeight fh: Int, screenWidth sw: Int, screenHeight sh: Int,
                         heatWidth hw: Int, heatHeight hh: Int, heatOffset: (x: Float, y: Float)) {
        if fw != frameWidth || fh != frameHeight || sw != screenWidth || sh != screenHeight {
            frameWidth = fw; frameHeight = fh; screenWidth = sw; screenHeight = sh
            let availableHeight = sh - Self.statusBarHeight
            // Fit with the frame's aspect ratio.
            var width = sw, height = sw * fh / max(fw, 1)
            if height > availableHeight { height = availableHeight; width = availableHeight * fw / max(fh, 1) }
            imageRect = ((sw - width) / 2, (availableHeight - height) / 2, width, height)
            sourceColumn.fill((0..<width).map { Int32(min(fw - 1, ($0 * fw + fw / 2) / max(width, 1))) })
            sourceRow.fill((0..<height).map { Int32(min(fh - 1, ($0 * fh + fh / 2) / max(height, 1))) })
            heatSize = (0, 0)
        }
        if hw != heatSize.width || hh != heatSize.height || heatOffset != heatShift, hw > 0, hh > 0 {
            heatSize = (hw, hh)
            heatShift = heatOffset
            let r = imageRect
            // Cell centres at (i + 0.5 + offset) / hw of the image, clamped at the edges.
            let hx = (0..<r.width).map { min(max((Float($0) + 0.5) * Float(hw) / Float(r.width) - 0.5 - heatOffset.x, 0), Float(hw - 1)) }
            let hy = (0..<r.height).map { min(max((Float($0) + 0.5) * Float(hh) / Float(r.height) - 0.5 - heatOffset.y, 0), Float(hh - 1)) }
            heatX0.fill(hx.map { Int32($0) })
            heatFX.fill(hx.map { Int32((($0 - $0.rounded(.down)) * 256).rounded()) })
            heatY0.fill(hy.map { Int32($0) })
            heatFY.fill(hy.map { $0 - $0.rounded(.down) })
            heatLine.fill([Int32](repeating: 0, count: hw + 1))
        }
    }
}

/// A fixed-size buffer for the compositor's tables: plain pointers, so the per-pixel loops
/// carry no bounds checks or copy-on-write checks. Refilled only when a size changes.
final class Table<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count: Int

    init(_ values: [Element] = []) {
        count = values.count
        base = .allocate(capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { if let v = $0.baseAddress { base.initialize(from: v, count: values.count) } }
    }

    func fill(_ values: [Element]) {
        base.deinitialize(count: count)
        base.deallocate()
        count = values.count
        base = .allocate(capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { if let v = $0.baseAddress { base.initialize(from: v, count: values.count) } }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
