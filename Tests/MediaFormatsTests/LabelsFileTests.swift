import Foundation
import Testing
@testable import MediaFormats
import TestSupport

@Suite struct LabelsFileTests {
    static let labels = [
        FrameLabel(frame: 0, time: 0, plane: .fourChamber, holding: true, frozen: false,
                   anatomy: [AnatomyRegion(name: "heart", polygon: [[10, 10], [30, 10], [20, 25.5]])],
                   gaze: GazePoint(x: 20.5, y: 15, fixation: true)),
        FrameLabel(frame: 1, time: 1.0 / 30, plane: .background, holding: false, frozen: true, anatomy: [], gaze: nil),
    ]

    @Test func roundTripOneSortedObjectPerLine() throws {
        let bytes = try LabelsFile.encode(Self.labels)
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1].hasPrefix(#"{"anatomy":[],"frame":1,"frozen":true,"holding":false,"plane":"background","time":0.0333"#))
        #expect(try LabelsFile.decode(bytes) == Self.labels)

        let directory = ScratchFolder("mediaformats")
        let path = directory.file("labels.jsonl")
        try LabelsFile.write(Self.labels, to: path)
        #expect(try LabelsFile.read(path) == Self.labels)
    }

    @Test(arguments: [
        (#"{"frame":0}"#, "missing key"),
        (#"{"anatomy":[],"frame":0,"frozen":false,"holding":false,"plane":"4CH","time":"x"}"#, "time"),
        (#"{"anatomy":[],"frame":0,"frozen":false,"holding":false,"plane":"nonsense","time":0}"#, "plane"),
        ("not json", "not valid JSON"),
    ])
    func badLinesAreErrorsWithLineNumbers(line: String, mentions: String) throws {
        var bytes = try LabelsFile.encode(Self.labels)
        bytes += Array("\n".utf8) + Array(line.utf8) + [0x0A]  // a blank line, then the bad one: line 4
        let error = try #require(throws: LabelsFileError.self) { try LabelsFile.decode(bytes, path: "labels.jsonl") }
        #expect(error.line == 4)
        #expect(error.description.hasPrefix("labels.jsonl:4: "))
        #expect(error.problem.contains(mentions), "\(error)")
    }

    @Test func nonFiniteValuesCannotBeWritten() {
        let bad = FrameLabel(frame: 0, time: .nan, plane: .femur, holding: false, frozen: false, anatomy: [], gaze: nil)
        #expect(throws: LabelsFileError.self) { try LabelsFile.encode([bad]) }
    }
}

@Suite struct PolygonMaskTests {
    private func count(_ mask: Image8) -> Int { mask.pixels.filter { $0 == 255 }.count }

    @Test(arguments: [(0.0, 0.0, 10.0, 5.0), (2.0, 3.0, 7.0, 9.0), (1.5, 1.5, 4.5, 3.5)])
    func rectangleCoversExactlyItsPixelCentres(x0: Double, y0: Double, x1: Double, y1: Double) {
        let region = AnatomyRegion(name: "stomach", polygon: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        let mask = region.mask(width: 12, height: 12)
        // Pixel centres (i + 0.5) inside [x0, x1) x [y0, y1).
        func centres(_ a: Double, _ b: Double) -> Int { (0..<12).filter { Double($0) + 0.5 >= a && Double($0) + 0.5 < b }.count }
        #expect(count(mask) == centres(x0, x1) * centres(y0, y1))
        #expect(mask.pixels[Int(y0.rounded(.up)) * 12 + Int(x0.rounded(.up))] == 255)
    }

    @Test func adjacentPolygonsTileWithoutOverlapOrGap() {
        let left = AnatomyRegion(name: "a", polygon: [[0, 0], [5.3, 0], [3.7, 10], [0, 10]]).mask(width: 10, height: 10)
        let right = AnatomyRegion(name: "b", polygon: [[5.3, 0], [10, 0], [10, 10], [3.7, 10]]).mask(width: 10, height: 10)
        #expect(zip(left.pixels, right.pixels).allSatisfy { ($0 == 255) != ($1 == 255) })
    }

    @Test func evenOddRuleLeavesTheHoleOfASelfOverlappingStar() {
        // A pentagram: the central pentagon is crossed twice, so even-odd leaves it empty.
        let points = (0..<5).map { i -> [Double] in
            let angle = Double(i * 2) * 2 * Double.pi / 5 - Double.pi / 2
            return [50 + 45 * cos(angle), 50 + 45 * sin(angle)]
        }
        let mask = AnatomyRegion(name: "star", polygon: points).mask(width: 100, height: 100)
        #expect(mask.pixels[50 * 100 + 50] == 0)
        #expect(mask.pixels[12 * 100 + 50] == 255)  // a point of the star
    }

    @Test func clipsAndIgnoresBadPoints() {
        let huge = AnatomyRegion(name: "x", polygon: [[-1e300, -1e300], [1e300, -1e300], [.nan, 5], [1e300, 1e300], [-1e300, 1e300]])
        #expect(count(huge.mask(width: 8, height: 6)) == 48)
        #expect(count(AnatomyRegion(name: "x", polygon: [[1, 1], [5, 5]]).mask(width: 8, height: 8)) == 0)
        #expect(count(AnatomyRegion(name: "x", polygon: [[20, 20], [30, 20], [30, 30]]).mask(width: 8, height: 8)) == 0)
    }
}
