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
    private var sourceColumn: [Int32] = []   // [imageRect.width] frame x per screen x
    private var sourceRow: [Int32] = []      // [imageRect.height] frame y per screen y
    private var heatColumn: [Float] = []     // [imageRect.width] heatmap x (continuous)
    private var heatRow: [Float] = []        // [imageRect.height] heatmap y (continuous)
    private var heatSize = (width: 0, height: 0)
    private let lut = Colormap.inferno
    private var grayLUT: [UInt32] = (0..<256).map { UInt32($0) * 0x010101 }

    public init() {}

    /// Composes into `canvas`. `heatmap` (heatHeight × heatWidth, values in [0, 1]) is drawn
    /// with opacity `alpha` × value, so cold cells leave the image untouched.
    public func compose(into canvas: PixelCanvas,
                        frame: UnsafePointer<UInt8>, frameWidth: Int, frameHeight: Int,
                        heatmap: UnsafePointer<Float>?, heatWidth: Int, heatHeight: Int, alpha: Float,
                        status: StatusLine) {
        prepare(frameWidth: frameWidth, frameHeight: frameHeight, screenWidth: canvas.width, screenHeight: canvas.height,
                heatWidth: heatWidth, heatHeight: heatHeight)
        let r = imageRect
        // Letterbox bars.
        canvas.fillRect(x: 0, y: 0, width: canvas.width, height: r.y, colour: 0)
        canvas.fillRect(x: 0, y: r.y + r.height, width: canvas.width, height: canvas.height - Self.statusBarHeight - r.y - r.height, colour: 0)
        canvas.fillRect(x: 0, y: r.y, width: r.x, height: r.height, colour: 0)
        canvas.fillRect(x: r.x + r.width, y: r.y, width: canvas.width - r.x - r.width, height: r.height, colour: 0)

        let blend = heatmap != nil && alpha > 0.002
        sourceColumn.withUnsafeBufferPointer { columns in
        heatColumn.withUnsafeBufferPointer { heatX in
        lut.withUnsafeBufferPointer { colours in
        grayLUT.withUnsafeBufferPointer { grays in
            for y in 0..<r.height {
                let out = canvas.row(r.y + y) + r.x
                let source = frame + Int(sourceRow[y]) * frameWidth
                if !blend {
                    for x in 0..<r.width { out[x] = grays[Int(source[Int(columns[x])])] }
                    continue
                }
                // Bilinear rows of the heatmap for this screen row.
                let hy = heatRow[y]
                let y0 = Int(hy), y1 = min(y0 + 1, heatHeight - 1)
                let fy = hy - Float(y0)
                let row0 = heatmap! + y0 * heatWidth, row1 = heatmap! + y1 * heatWidth
                for x in 0..<r.width {
                    let gray = Float(source[Int(columns[x])])
                    let hx = heatX[x]
                    let x0 = Int(hx), x1 = min(x0 + 1, heatWidth - 1)
                    let fx = hx - Float(x0)
                    let top = row0[x0] + fx * (row0[x1] - row0[x0])
                    let bottom = row1[x0] + fx * (row1[x1] - row1[x0])
                    let heat = min(max(top + fy * (bottom - top), 0), 1)
                    let colour = colours[Int(heat * 255)]
                    let a = alpha * heat
                    let red = gray + a * (Float((colour >> 16) & 0xFF) - gray)
                    let green = gray + a * (Float((colour >> 8) & 0xFF) - gray)
                    let blue = gray + a * (Float(colour & 0xFF) - gray)
                    out[x] = UInt32(red) << 16 | UInt32(green) << 8 | UInt32(blue)
                }
            }
        }}}}
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
                         heatWidth hw: Int, heatHeight hh: Int) {
        if fw != frameWidth || fh != frameHeight || sw != screenWidth || sh != screenHeight {
            frameWidth = fw; frameHeight = fh; screenWidth = sw; screenHeight = sh
            let availableHeight = sh - Self.statusBarHeight
            // Fit with the frame's aspect ratio.
            var width = sw, height = sw * fh / max(fw, 1)
            if height > availableHeight { height = availableHeight; width = availableHeight * fw / max(fh, 1) }
            imageRect = ((sw - width) / 2, (availableHeight - height) / 2, width, height)
            sourceColumn = (0..<width).map { Int32(min(fw - 1, ($0 * fw + fw / 2) / max(width, 1))) }
            sourceRow = (0..<height).map { Int32(min(fh - 1, ($0 * fh + fh / 2) / max(height, 1))) }
            heatSize = (0, 0)
        }
        if hw != heatSize.width || hh != heatSize.height, hw > 0, hh > 0 {
            heatSize = (hw, hh)
            let r = imageRect
            // Cell centres at (i + 0.5) / hw of the image, clamped at the edges.
            heatColumn = (0..<r.width).map { min(max((Float($0) + 0.5) * Float(hw) / Float(r.width) - 0.5, 0), Float(hw - 1)) }
            heatRow = (0..<r.height).map { min(max((Float($0) + 0.5) * Float(hh) / Float(r.height) - 0.5, 0), Float(hh - 1)) }
        }
    }
}
