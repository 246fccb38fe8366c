import MediaFormats
import Testing
@testable import PhantomScan

@Suite struct VisualGazeTests {
    /// Fixations last 200-600 ms, saccades are short, and while a plane is held most
    /// fixation frames fall on the anatomy being attended to.
    @Test func gazeFixatesTheAttendedAnatomy() {
        let layout = ScreenLayout(width: 160, height: 120)
        let visit = PlaneVisit(plane: .kidneys, searchStart: 0, holdStart: 2, holdEnd: 8,
                               anatomy: PlaneAnatomy.names(for: .kidneys))
        let timeline = ScanTimeline(duration: 8, visits: [visit])
        let attention = [AttentionSpan(start: 2, end: 8, anatomy: "kidneys")]
        let gaze = GazeModel(seed: 1, timeline: timeline, attention: attention, layout: layout)
        var renderer = BModeRenderer(timeline: timeline, seed: 1, layout: layout)
        var image = renderer.makeImage()
        var runs: [Int] = [], run = 0, onKidneys = 0, heldFixations = 0
        for frame in 0..<renderer.frameCount {
            let label = renderer.render(frame: frame, into: &image)
            let point = gaze.gaze(frame: frame, regions: label.anatomy)
            #expect(point.x >= 0 && point.x <= 160 && point.y >= 0 && point.y <= 120)
            if point.fixation { run += 1 } else if run > 0 { runs.append(run); run = 0 }
            if label.holding && point.fixation {
                heldFixations += 1
                let inside = label.anatomy.contains { region in
                    region.name == "kidneys" && SceneShape(geometry: .polygon(region.polygon.map { Point2($0[0], $0[1]) }),
                                                           tissue: nil).distance(Point2(point.x, point.y)) < 0
                }
                if inside { onKidneys += 1 }
            }
        }
        #expect(!runs.isEmpty)
        // Whole frames at 30 fps: 200-600 ms is 6-18 frames, give or take one.
        #expect(runs.allSatisfy { $0 >= 5 && $0 <= 19 })
        #expect(Double(onKidneys) > 0.5 * Double(heldFixations))
    }

    @Test func defaultAttentionCyclesThroughEachHoldsAnatomy() {
        let timeline = ScanScriptGenerator(seed: 3).timeline(duration: 60)
        let spans = GazeModel.defaultAttention(timeline)
        for visit in timeline.visits {
            let inside = spans.filter { $0.start >= visit.holdStart && $0.end <= visit.holdEnd }
            #expect(!inside.isEmpty)
            #expect(inside.allSatisfy { visit.anatomy.contains($0.anatomy) })
        }
    }
}
