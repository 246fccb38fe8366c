import Foundation
import Testing
import TestSupport

/// The self-supervision rule for training, checked structurally as Prep's is: no Training
/// source reads or names the ground truth (transcripts, labels, session truth). Held-out
/// scoring is handed in by the caller (`HeldoutScorer`; the Evaluation module's pointing game).
struct TrainingIsolationTests {
    @Test func trainingSourcesHaveNoPathToGroundTruth() throws {
        let training = try TargetSources("Training")
        for forbidden in ["GroundTruth", "PrepEvaluation", "PhantomScan", "Evaluation"] {
            #expect(!training.dependsOn(forbidden), "Training depends on \(forbidden)")
        }
        #expect(training.files.count > 10)
        for file in training.files {
            for forbidden in ["import GroundTruth", "import PhantomScan", "import Evaluation", "transcript.vtt", "labels.jsonl",
                              "LabelsFile", "WebVTT", "SessionManifest", "PolygonMask"] {
                #expect(!file.text.contains(forbidden), "\(file.path) mentions \(forbidden)")
            }
        }
    }
}
