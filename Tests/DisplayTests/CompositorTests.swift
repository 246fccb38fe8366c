import Testing
@testable import Display

@Suite struct CompositorTests {
    /// A 64×48 gradient frame composed onto a 200×150 null screen.
    func compose(heat: [Float]?, heatWidth: Int = 4, heatHeight: Int = 3, alpha: Float) -> (NullScreen, Compositor) {
        let screen = NullScreen(width: 200, height: 150)
        let frame = (0..<(64 * 48)).map { UInt8(($0 % 64) * 4) }
        let compositor = Compositor()
        var status = StatusLine()
        status.fps = 29.97
        status.latencyMilliseconds = 12.5
        status.listening = .speech
        frame.withUnsafeBufferPointer { pixels in
            if let heat {
                heat.withUnsafeBufferPointer { h in
                    compositor.compose(into: screen.beginFrame(), frame: pixels.baseAddress!, frameWidth: 64, frameHeight: 48,
                                       heatmap: h.baseAddress!, heatWidth: heatWidth, heatHeight: heatHeight, alpha: alpha, status: status)
                }
            } else {
                compositor.compose(into: screen.beginFrame(), frame: pixels.baseAddress!, frameWidth: 64, frameHeight: 48,
                                   heatmap: nil, heatWidth: 0, heatHeight: 0, alpha: 0, status: status)
            }
        }
        return (screen, compositor)
    }

    @Test func frameKeepsItsAspectAndIsLetterboxed() {
        let (screen, compositor) = compose(heat: nil, alpha: 0)
        let r = compositor.imageRect
        // 4:3 into 200×126 (150 minus the status bar): height-limited, 168×126, centred.
        #expect(r.height == 126 && r.width == 168 && r.x == 16 && r.y == 0)
        let canvas = screen.canvas
        #expect(canvas.row(60)[5] == 0)              // left bar
        #expect(canvas.row(60)[195] == 0)            // right bar
        let left = canvas.row(60)[r.x] & 0xFF, right = canvas.row(60)[r.x + r.width - 1] & 0xFF
        #expect(left < 10 && right > 240)            // the gradient runs left to right
        let p = canvas.row(60)[100]
        #expect(p >> 16 == p & 0xFF && (p >> 8) & 0xFF == p & 0xFF)  // gray
    }

    @Test func coldHeatmapLeavesTheImageAlone() {
        let (plain, _) = compose(heat: nil, alpha: 0)
        let (cold, _) = compose(heat: [Float](repeating: 0, count: 12), alpha: 1)
        for y in 0..<126 { for x in 0..<200 { #expect(plain.canvas.row(y)[x] == cold.canvas.row(y)[x]) } }
    }

    @Test func hotCellColoursItsRegionOnly() {
        var heat = [Float](repeating: 0, count: 12)
        heat[0] = 1  // top-left cell of a 4×3 map
        let (screen, compositor) = compose(heat: heat, alpha: 1)
        let r = compositor.imageRect
        let hot = screen.canvas.row(r.y + 5)[r.x + 5]
        let cold = screen.canvas.row(r.y + r.height - 5)[r.x + r.width - 5]
        #expect(hot == Colormap.inferno[255] || (hot >> 16) > (hot & 0xFF) + 40)  // coloured (not gray)
        #expect(cold >> 16 == cold & 0xFF)                                       // untouched gray
    }

    @Test func statusBarShowsText() {
        let (screen, _) = compose(heat: nil, alpha: 0)
        var distinct = Set<UInt32>()
        for y in 126..<150 { for x in 0..<200 { distinct.insert(screen.canvas.row(y)[x]) } }
        #expect(distinct.count >= 3)  // background plus label and value colours
    }

    @Test func colormapRunsDarkToBright() {
        func luminance(_ c: UInt32) -> Int { Int((c >> 16) & 0xFF) * 3 + Int((c >> 8) & 0xFF) * 6 + Int(c & 0xFF) }
        #expect(Colormap.inferno.count == 256)
        for i in stride(from: 0, to: 255, by: 15) { #expect(luminance(Colormap.inferno[i]) <= luminance(Colormap.inferno[i + 15])) }
    }
}
