import Foundation
import Testing

/// The self-supervision rule for training, checked structurally as Prep's is: no Training
/// source reads or names the ground truth (transcripts, labels, session truth). Held-out
/// scoring is handed in by the caller (`HeldoutScorer`; the Evaluation module's pointing game).
struct TrainingIsolationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    @Test func trainingSourcesHaveNoPathToGroundTruth() throws {
        let manifest = try String(contentsOfFile: Self.root + "/Package.swift", encoding: .utf8)
        let start = try #require(manifest.range(of: "name: \"Training\","))
        let end = try #require(manifest.range(of: "path: \"Sources/Training\"", range: start.upperBound..<manifest.endIndex))
        for forbidden in ["GroundTruth", "PrepEvaluation", "PhantomScan", "Evaluation"] {
            #expect(!manifest[start.lowerBound..<end.lowerBound].contains("\"\(forbidden)\""), "Training depends on \(forbidden)")
        }
        let folder = Self.root + "/Sources/Training/"
        let sources = try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".swift") }
        #expect(sources.count > 10)
        for file in sources {
            let text = try String(contentsOfFile: folder + file, encoding: .utf8)
            for forbidden in ["import GroundTruth", "import PhantomScan", "import Evaluation", "transcript.vtt", "labels.jsonl",
                              "LabelsFile", "WebVTT", "SessionManifest", "PolygonMask"] {
                #expect(!text.contains(forbidden), "Sources/Training/\(file) mentions \(forbidden)")
            }
        }
    }
}
