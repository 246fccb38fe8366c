import MediaFormats
import Platform
import Testing
@testable import PhantomScan

private let medium = ScreenLayout(width: 320, height: 240)

/// Visible area (px²) of each named structure in a frame's labels.
private func areas(_ label: FrameLabel) -> [String: Double] {
    var out: [String: Double] = [:]
    for region in label.anatomy {
        let p = region.polygon
        var sum = 0.0
        for k in p.indices {
            let a = p[k], b = p[(k + 1) % p.count]
            sum += a[0] * b[1] - b[0] * a[1]
        }
        out[region.name, default: 0] += abs(sum) / 2
    }
    return out
}

private func heldLabel(_ plane: PlaneClass, closeUp: String?, seed: UInt64,
                       zooms: CloseUpZooms = .standard) -> FrameLabel {
    let anatomy = closeUp.map { [$0] } ?? PlaneAnatomy.names(for: plane)
    let timeline = ScanTimeline(duration: 10, visits: [PlaneVisit(plane: plane, searchStart: 0, holdStart: 3, holdEnd: 9,
                                                                  anatomy: anatomy, closeUp: closeUp)])
    var renderer = BModeRenderer(timeline: timeline, seed: seed, layout: medium, closeUpZooms: zooms)
    var image = renderer.makeImage()
    return renderer.render(frame: 150, into: &image)
}

@Suite struct CloseUpTests {
    @Test(arguments: [3, 17, 100] as [UInt64])
    func closeUpsChangeOnlyTheFramingAndNaming(seed: UInt64) {
        let standard = ScanScriptGenerator(seed: seed).timeline(duration: 600)
        let zoomed = ScanScriptGenerator(seed: seed, closeUpShare: 1).timeline(duration: 600)
        #expect(standard.visits.allSatisfy { $0.closeUp == nil })
        #expect(standard.visits.count == zoomed.visits.count)
        var closeUps = 0
        for (a, b) in zip(standard.visits, zoomed.visits) {
            #expect(a.plane == b.plane && a.searchStart == b.searchStart && a.holdStart == b.holdStart
                    && a.holdEnd == b.holdEnd && a.freezes == b.freezes)
            let targets = PlaneAnatomy.closeUpTargets(for: a.plane)
            if targets.isEmpty {
                #expect(a == b)
            } else {
                let focus = try! #require(b.closeUp)
                #expect(targets.contains(focus) && b.anatomy == [focus])
                closeUps += 1
            }
        }
        #expect(closeUps > 0)
        let half = ScanScriptGenerator(seed: seed, closeUpShare: 0.5).timeline(duration: 600)
        let halfCount = half.visits.filter { $0.closeUp != nil }.count
        #expect(halfCount > 0 && halfCount < closeUps)
    }

    /// The point of a close-up: the named structure fills more of the picture, and the
    /// partners it is always seen with in the standard view are (almost) gone from it.
    @Test(arguments: [(PlaneClass.lips, "nose"), (.lips, "lips"), (.profile, "nose"), (.profile, "lips"),
                      (.abdomen, "stomach"), (.abdomen, "umbilical_vein"), (.abdomen, "ribs")])
    func aCloseUpShowsItsStructureWithoutItsPartners(plane: PlaneClass, focus: String) {
        for seed in [4, 9] as [UInt64] {
            let wide = areas(heldLabel(plane, closeUp: nil, seed: seed))
            let close = areas(heldLabel(plane, closeUp: focus, seed: seed))
            let partners = PlaneAnatomy.closeUpTargets(for: plane).filter { $0 != focus }
            let widePartners = partners.reduce(0.0) { $0 + (wide[$1] ?? 0) }
            let closePartners = partners.reduce(0.0) { $0 + (close[$1] ?? 0) }
            let focusArea = close[focus] ?? 0
            #expect(focusArea > 1.3 * (wide[focus] ?? 0), "\(plane) \(focus) seed \(seed): \(close) against \(wide)")
            #expect(closePartners < 0.15 * focusArea, "\(plane) \(focus) seed \(seed): \(close)")
            #expect(widePartners > 0.3 * (wide[focus] ?? 0), "the standard view shows the partners: \(wide)")
        }
    }

    /// Zooms near 1: the structure at about the standard view's size, with less of its partners.
    @Test(arguments: [(PlaneClass.lips, "nose"), (.lips, "lips"), (.profile, "nose"), (.profile, "lips"),
                      (.abdomen, "stomach"), (.abdomen, "umbilical_vein"), (.abdomen, "ribs")])
    func aPanAtTheStandardScaleShowsLessOfThePartners(plane: PlaneClass, focus: String) throws {
        let zooms = try CloseUpZooms(parsing: "1.2,1,1.4")
        for seed in [4, 9] as [UInt64] {
            let wide = areas(heldLabel(plane, closeUp: nil, seed: seed))
            let close = areas(heldLabel(plane, closeUp: focus, seed: seed, zooms: zooms))
            let partners = PlaneAnatomy.closeUpTargets(for: plane).filter { $0 != focus }
            let wideShare = partners.reduce(0.0) { $0 + (wide[$1] ?? 0) } / (wide[focus] ?? 1)
            let closeShare = partners.reduce(0.0) { $0 + (close[$1] ?? 0) } / (close[focus] ?? 1)
            let growth = (close[focus] ?? 0) / (wide[focus] ?? 1)
            // No zoom above 1.4: the structure's area grows by at most 1.4² (it may shrink where
            // a pan cuts it at the fan's edge, as the ribs' largest piece).
            #expect(growth < 1.4 * 1.4 * 1.05, "\(plane) \(focus) seed \(seed): \(close) against \(wide)")
            #expect(closeShare < 0.5 * wideShare, "\(plane) \(focus) seed \(seed): partners \(closeShare) of the structure, \(wideShare) in the standard view")
        }
    }

    @Test func closeUpZoomsAreParsedAndNamed() throws {
        #expect(CloseUpZooms.standard.description == "2.2,1.8,2.6,3,3.5")
        #expect(try CloseUpZooms(parsing: CloseUpZooms.standard.description) == .standard)
        let pan = try CloseUpZooms(parsing: " 1.2, 1 ,1.4")
        #expect(pan.preferred == 1.2 && pan.candidates == [1.2, 1, 1.4])
        for bad in ["", "0.5", "1.2,,1.4", "5", "a", "1,1,1,1,1,1,1,1,1"] {
            #expect(throws: CloseUpZoomsError.self) { try CloseUpZooms(parsing: bad) }
        }
        #expect(SessionGenerator.generatorName(closeUpShare: 1) == "showtell synth 1, close-ups 1.00")
        #expect(SessionGenerator.generatorName(closeUpShare: 1, closeUpZooms: pan) == "showtell synth 1, close-ups 1.00 at zooms 1.2,1,1.4")
        #expect(SessionGenerator.generatorName(closeUpShare: 0, closeUpZooms: pan) == SessionGenerator.generatorName)
    }

    @Test func theFramingPutsTheStructureWhereAsked() {
        var rng = SplitMix64(seed: 1, stream: 0)
        let settings = MachineSettings(layout: medium, seed: 2, visit: 0, plane: .lips)
        let scene = SceneInstance(key: 1, plane: .lips, layout: medium, seed: 2, speckleSize: 256)
        for _ in 0..<5 {
            let centre = SIMD2(rng.uniform(-10, 10), rng.uniform(-10, 10))
            let point = SIMD2(rng.uniform(100, 220), rng.uniform(60, 200))
            let zoom = rng.uniform(1.5, 3)
            let probe = CloseUpFraming.placing(centre, atScreen: point, zoom: zoom, scene: scene, layout: medium,
                                               settings: settings)
            let view = ViewTransform(layout: medium, scene: scene, settings: settings, probe: probe)
            let back = view.screen(tissue: centre)
            #expect(abs(back.x - point.x) < 1e-9 && abs(back.y - point.y) < 1e-9)
        }
    }

    @Test func aCloseUpRemarkNamesOnlyItsStructure() {
        var random = RandomSource(seed: 1, stream: 0)
        var standardSaysBoth = false
        for _ in 0..<200 {
            #expect(!NarrationPhrases.remark(on: "nose", plane: .lips, closeUp: true, &random).contains("lips"))
            standardSaysBoth = standardSaysBoth || NarrationPhrases.remark(on: "nose", plane: .lips, &random).contains("lips")
        }
        #expect(standardSaysBoth)
    }
}
