import Foundation
import Testing
import TestSupport

/// The self-supervision rule, checked structurally: Prep cannot reach the ground truth.
struct IsolationTests {
    /// The Prep target's declared dependencies (Package.swift) name neither GroundTruth nor the
    /// phantom generator, and no Prep source imports them or names a ground-truth file.
    @Test func prepTargetHasNoPathToGroundTruth() throws {
        let prep = try TargetSources("Prep")
        for forbidden in ["GroundTruth", "PrepEvaluation", "PhantomScan"] {
            #expect(!prep.dependsOn(forbidden), "Prep depends on \(forbidden)")
        }
        #expect(!prep.files.isEmpty)
        for file in prep.files {
            for forbidden in ["import GroundTruth", "import PhantomScan", "import PrepEvaluation", "transcript.vtt", "labels.jsonl",
                              "session.json", "SessionFolder", "LabelsFile", "WebVTT"] {
                #expect(!file.text.contains(forbidden), "\(file.path) mentions \(forbidden)")
            }
        }
    }
}
