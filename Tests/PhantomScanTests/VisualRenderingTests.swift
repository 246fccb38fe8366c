import MediaFormats
import Testing
@testable import PhantomScan

/// Small screens keep the debug-build tests fast; the geometry scales with the size.
private let small = ScreenLayout(width: 160, height: 120)

private func holdTimeline(_ plane: PlaneClass, freezes: [ClosedRange<Double>] = []) -> ScanTimeline {
    ScanTimeline(duration: 10, visits: [PlaneVisit(plane: plane, searchStart: 0, holdStart: 3, holdEnd: 9,
                                                   freezes: freezes, anatomy: PlaneAnatomy.names(for: plane))])
}

private func render(_ timeline: ScanTimeline, seed: UInt64, frame: Int, layout: ScreenLayout = small) -> (Image8, FrameLabel) {
    var renderer = BModeRenderer(timeline: timeline, seed: seed, layout: layout)
    var image = renderer.makeImage()
    let label = renderer.render(frame: frame, into: &image)
    return (image, label)
}

/// Mean grey of the pixels whose signed distance (px, negative inside) to `polygon` passes
/// `band`; only pixels within `reach` px of the polygon's bounding box are considered.
private func meanGrey(_ image: Image8, _ polygon: [[Double]], reach: Double = 14,
                      band: (Double) -> Bool = { $0 < -1 }) -> Double {
    let outline = SceneShape(geometry: .polygon(polygon.map { Point2($0[0], $0[1]) }), tissue: nil)
    let xs = polygon.map { $0[0] }, ys = polygon.map { $0[1] }
    let x0 = max(0, Int(xs.min()! - reach)), x1 = min(image.width - 1, Int(xs.max()! + reach))
    let y0 = max(0, Int(ys.min()! - reach)), y1 = min(image.height - 1, Int(ys.max()! + reach))
    var sum = 0.0, count = 0
    for y in y0...y1 {
        for x in x0...x1 where band(outline.distance(Point2(Double(x) + 0.5, Double(y) + 0.5))) {
            sum += Double(image.pixels[y * image.width + x])
            count += 1
        }
    }
    return count > 0 ? sum / Double(count) : .nan
}

private let medium = ScreenLayout(width: 320, height: 240)

@Suite struct VisualRenderingTests {
    @Test func sameSeedSamePixelsOtherSeedOtherPixels() {
        let timeline = ScanScriptGenerator(seed: 11).timeline(duration: 30)
        let (a, labelA) = render(timeline, seed: 11, frame: 200)
        let (b, labelB) = render(timeline, seed: 11, frame: 200)
        let (c, _) = render(timeline, seed: 12, frame: 200)
        #expect(a == b)
        #expect(labelA == labelB)
        #expect(a != c)
    }

    @Test func anyFrameRendersTheSameWhateverWasRenderedBefore() {
        let timeline = ScanScriptGenerator(seed: 4).timeline(duration: 30)
        var renderer = BModeRenderer(timeline: timeline, seed: 4, layout: small)
        var image = renderer.makeImage()
        _ = renderer.render(frame: 400, into: &image)
        _ = renderer.render(frame: 90, into: &image)
        let (fresh, _) = render(timeline, seed: 4, frame: 90)
        #expect(image == fresh)
    }

    @Test func frozenFramesAreIdenticalAndHeldFramesMove() {
        let timeline = holdTimeline(.abdomen, freezes: [5...7])
        let (first, label) = render(timeline, seed: 2, frame: 155)
        let (later, _) = render(timeline, seed: 2, frame: 200)
        #expect(label.frozen && label.holding && label.plane == .abdomen)
        #expect(first == later)
        let (heldA, _) = render(timeline, seed: 2, frame: 100)
        let (heldB, heldLabel) = render(timeline, seed: 2, frame: 101)
        #expect(!heldLabel.frozen)
        #expect(heldA != heldB)
    }

    @Test func searchingChangesThePictureMoreThanHolding() {
        var renderer = BModeRenderer(timeline: holdTimeline(.kidneys), seed: 6, layout: small)
        var a = renderer.makeImage(), b = renderer.makeImage()
        func change(_ first: Int, _ second: Int) -> Double {
            _ = renderer.render(frame: first, into: &a)
            _ = renderer.render(frame: second, into: &b)
            return zip(a.pixels, b.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(a.pixels.count)
        }
        let searching = change(15, 21), holding = change(150, 156)
        #expect(searching > 1.5 * holding, "searching \(searching), holding \(holding)")
    }

    @Test(arguments: PlaneClass.allCases)
    func masksLieInsideTheSectorAndNameThePlannedAnatomy(plane: PlaneClass) {
        let timeline = holdTimeline(plane)
        var renderer = BModeRenderer(timeline: timeline, seed: 21, layout: small)
        var image = renderer.makeImage()
        for frame in [60, 150, 250] {
            let label = renderer.render(frame: frame, into: &image)
            for region in label.anatomy {
                #expect(AnatomyName.all.contains(region.name))
                for vertex in region.polygon {
                    #expect(small.sectorContains(x: vertex[0], y: vertex[1], tolerance: 1))
                }
            }
            if label.holding {
                let names = Set(label.anatomy.map(\.name))
                #expect(names.isSubset(of: Set(PlaneAnatomy.names(for: plane))))
                if plane != .background { #expect(!names.isEmpty) }
            } else {
                #expect(label.plane == .background)
            }
        }
    }

    @Test func femurIsBrighterAndStomachDarkerThanSurroundings() {
        let (femurImage, femurLabel) = render(holdTimeline(.femur), seed: 5, frame: 150, layout: medium)
        let femur = femurLabel.anatomy.filter { $0.name == "femur" }
        #expect(femur.count == 2)
        for half in femur {
            #expect(meanGrey(femurImage, half.polygon) > meanGrey(femurImage, half.polygon, band: { $0 > 3 && $0 < 12 }) + 40)
        }
        let (abdomenImage, abdomenLabel) = render(holdTimeline(.abdomen), seed: 5, frame: 150, layout: medium)
        let stomach = abdomenLabel.anatomy.first { $0.name == "stomach" }!
        #expect(meanGrey(abdomenImage, stomach.polygon) + 30
                < meanGrey(abdomenImage, stomach.polygon, band: { $0 > 3 && $0 < 10 }))
    }

    @Test func skullIsBrightAndCardiacChambersDark() {
        let (head, headLabel) = render(holdTimeline(.brainTransventricular), seed: 8, frame: 150, layout: medium)
        let skull = headLabel.anatomy.first { $0.name == "skull" }!
        let skullRing = meanGrey(head, skull.polygon, band: { $0 > -2.5 && $0 < -0.5 })
        #expect(skullRing > meanGrey(head, skull.polygon, band: { $0 < -8 }) + 40)
        let (heart, heartLabel) = render(holdTimeline(.fourChamber), seed: 8, frame: 150, layout: medium)
        let outline = heartLabel.anatomy.first { $0.name == "heart" }!
        let chamber = heartLabel.anatomy.first { $0.name == "ventricle" }!
        #expect(meanGrey(heart, chamber.polygon) + 25 < meanGrey(heart, outline.polygon))
    }
}
