import Foundation
import Testing
@testable import Prep

/// The self-supervision rule, checked structurally: Prep cannot reach the ground truth.
struct IsolationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    /// The Prep target's declared dependencies (Package.swift) name neither GroundTruth nor the
    /// phantom generator, and no Prep source imports them or names a ground-truth file.
    @Test func prepTargetHasNoPathToGroundTruth() throws {
        let manifest = try String(contentsOfFile: Self.root + "/Package.swift", encoding: .utf8)
        let start = try #require(manifest.range(of: "name: \"Prep\","))
        let end = try #require(manifest.range(of: "path: \"Sources/Prep\"", range: start.upperBound..<manifest.endIndex))
        let declaration = manifest[start.lowerBound..<end.lowerBound]
        for forbidden in ["GroundTruth", "PrepEvaluation", "PhantomScan"] {
            #expect(!declaration.contains("\"\(forbidden)\""), "Prep depends on \(forbidden)")
        }
        let sources = try FileManager.default.subpathsOfDirectory(atPath: Self.root + "/Sources/Prep").filter { $0.hasSuffix(".swift") }
        #expect(!sources.isEmpty)
        for file in sources {
            let text = try String(contentsOfFile: Self.root + "/Sources/Prep/" + file, encoding: .utf8)
            for forbidden in ["import GroundTruth", "import PhantomScan", "import PrepEvaluation", "transcript.vtt", "labels.jsonl",
                              "session.json", "SessionFolder", "LabelsFile", "WebVTT"] {
                #expect(!text.contains(forbidden), "Sources/Prep/\(file) mentions \(forbidden)")
            }
        }
    }
}
