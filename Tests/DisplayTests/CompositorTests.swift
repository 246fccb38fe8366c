import Testing
@testable import Display

@Suite struct CompositorTests {
    /// A 64×48 gradient frame composed onto a 200×150 null screen.
    func compose(heat: [Float]?, heatWidth: Int = 4, heatHeight: Int = 3, heatOffset: (x: Float, y: Float) = (0, 0),
                 alpha: Float) -> (NullScreen, Compositor) {
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
                                       heatmap: h.baseAddress!, heatWidth: heatWidth, heatHeight: heatHeight, heatOffset: heatOffset,
                                       alpha: alpha, status: status)
                }
            } else {
                compositor.compose(into: screen.beginFrame(), frame: pixels.baseAddress!, frameWidth: 64, frameHeight: 48,
                                   heatmap: nil, heatWidth: 0, heatHeight: 0, alpha: 0, status: status)
            }
        }
        return (screen, compositor)
    }

    /// A model with absurd weights can produce any map: NaN, ±Inf, ±3e38. Converting those
    /// to Int32 trapped; now NaN reads as no heat and everything else clamps to [0, 1].
    @Test func absurdMapValuesNeverTrapAndClamp() {
        let hostile: [Float] = [.nan, .infinity, -.infinity, 3e38, -3e38, .nan, 1e30, -1e30, 0.5, .nan, 3e38, -.infinity]
        let (screen, compositor) = compose(heat: hostile, alpha: 1)
        let (nothing, _) = compose(heat: [Float](repeating: 0, count: 12), alpha: 1)
        let (full, _) = compose(heat: [Float](repeating: 1, count: 12), alpha: 1)
        let r = compositor.imageRect
        // Top-left cell is NaN (no heat: as a zero map), top-right 3e38 (as a full map).
        let y = r.y + 2
        #expect(screen.canvas.row(y)[r.x + 2] == nothing.canvas.row(y)[r.x + 2])
        let x = r.x + r.width - 2
        #expect(screen.canvas.row(y)[x] == full.canvas.row(y)[x])
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

    /// A map whose cells are centred where they look starts part of a cell off the even
    /// division: the hot column's brightest screen column moves by that fraction.
    @Test func heatOffsetMovesTheCellCentres() {
        var heat = [Float](repeating: 0, count: 12)
        for row in 0..<3 { heat[row * 4 + 1] = 1 }  // column 1 of a 4×3 map
        let (plain, compositor) = compose(heat: nil, alpha: 0)
        let r = compositor.imageRect, y = r.y + r.height / 2
        func hottest(_ offset: (x: Float, y: Float)) -> Int {
            let (screen, _) = compose(heat: heat, heatOffset: offset, alpha: 1)
            let change = (0..<r.width).map { x -> Int in
                let a = screen.canvas.row(y)[r.x + x], b = plain.canvas.row(y)[r.x + x]
                return abs(Int(a >> 16 & 0xFF) - Int(b >> 16 & 0xFF)) + abs(Int(a & 0xFF) - Int(b & 0xFF))
            }
            return change.indices.max { change[$0] < change[$1] }!
        }
        let cell = Double(r.width) / 4
        #expect(abs(Double(hottest((0, 0))) + 0.5 - 1.5 * cell) <= 1)
        #expect(abs(Double(hottest((-0.4375, 0))) + 0.5 - (1.5 - 0.4375) * cell) <= 1)
        #expect(abs(Double(hottest((0.25, 0.25))) + 0.5 - 1.75 * cell) <= 1)
    }

    /// The fixed-point blend against the float formula it implements (nearest-neighbour frame,
    /// bilinear heat between cell centres, inferno colour, opacity alpha × heat).
    @Test(arguments: [Float(1), 0.6, 0.25])
    func blendMatchesTheFloatReference(alpha: Float) {
        let heatWidth = 5, heatHeight = 4
        var random: UInt64 = 0x1234_5678
        let heat = (0..<(heatWidth * heatHeight)).map { _ -> Float in
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(random >> 40) / Float(1 << 24)
        }
        let (screen, compositor) = compose(heat: heat, heatWidth: heatWidth, heatHeight: heatHeight, alpha: alpha)
        let r = compositor.imageRect
        var worst = 0
        for y in 0..<r.height {
            for x in 0..<r.width {
                let gray = Float((min(63, (x * 64 + 32) / r.width)) * 4)
                let hx = min(max((Float(x) + 0.5) * Float(heatWidth) / Float(r.width) - 0.5, 0), Float(heatWidth - 1))
                let hy = min(max((Float(y) + 0.5) * Float(heatHeight) / Float(r.height) - 0.5, 0), Float(heatHeight - 1))
                let x0 = Int(hx), y0 = Int(hy), x1 = min(x0 + 1, heatWidth - 1), y1 = min(y0 + 1, heatHeight - 1)
                let fx = hx - Float(x0), fy = hy - Float(y0)
                func h(_ i: Int, _ j: Int) -> Float { heat[j * heatWidth + i] }
                let top = h(x0, y0) + fx * (h(x1, y0) - h(x0, y0))
                let bottom = h(x0, y1) + fx * (h(x1, y1) - h(x0, y1))
                let value = top + fy * (bottom - top)
                let colour = Colormap.inferno[Int(value * 255)]
                let a = alpha * value
                let got = screen.canvas.row(r.y + y)[r.x + x]
                for shift in [16, 8, 0] {
                    let expected = gray + a * (Float((colour >> UInt32(shift)) & 0xFF) - gray)
                    worst = max(worst, abs(Int((got >> UInt32(shift)) & 0xFF) - Int(expected)))
                }
            }
        }
        #expect(worst <= 3, "largest channel difference \(worst)")
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
