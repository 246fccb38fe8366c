import ArgumentParser
import Evaluation
import Foundation
import InferenceEngine
import NeuralCore
import Platform
import ShowTellModel
import Training

struct RelevanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relevance",
        abstract: "Fit a bundle's \"is this speech about anatomy?\" head on a prepared dataset (self-supervised) and write it into the bundle.",
        discussion: """
            Every clip's audio embedding (the bundle's trained audio branch, frozen) is the input; \
            the target is whether the text branch's keyword gate opens for one of the clip's ASR \
            words (the keyword dictionary matched against the prep's recognised words), so no \
            transcript or label is read. A class-balanced logistic regression; the threshold with \
            the best F1 on the fitting clips, or with --keep-recall the highest that still accepts \
            that share of the keyword clips. The head goes into manifest.json (outputs.relevance) \
            and the box then shows the heatmap only while it says the speech is about anatomy. \
            Float and int8 bundles alike; the weights file is not touched.
            """
    )

    @Argument(help: "Prepared dataset folder (showtell prep).") var dataset: String
    @Option(help: "Model bundle to fit the head for.") var bundle: String
    @Option(help: "Bundle to write (default: replace --bundle's manifest in place, atomically).") var out: String?
    @Option(help: "Keyword dictionary (TOML).") var keywords = "models/keywords.toml"
    @Option(help: "Threads for the audio branch.") var threads = 2
    @Option(help: "Choose the threshold that keeps this share of the keyword clips (e.g. 0.98: a lenient gate) instead of the best-F1 one.")
    var keepRecall: Double?
    @Option(help: "Also write what the head was fitted on to this safetensors file: `audio` [clips, D], the clips' embeddings in clips.jsonl's order, and `keyword` [clips], 1 where the keyword gate opened.")
    var saveEmbeddings: String?

    func validate() throws {
        if let keepRecall, !(keepRecall > 0 && keepRecall < 1) {
            throw ValidationError("--keep-recall \(keepRecall): give a share of the keyword clips between 0 and 1, e.g. 0.98")
        }
    }

    func run() throws {
        var settings = RelevanceFitting.Settings()
        settings.keepRecall = keepRecall
        let source = try PreparedDataset(path: dataset)
        let dictionary = try KeywordDictionary.read(path: keywords)
        let (manifest, branches) = try LoadedBundle.load(directory: bundle, threads: threads)
        let progress = Evaluation.ProgressBar("audio embeddings", total: source.clips.count)
        let result = try RelevanceFitting.fit(source: source, keywords: dictionary, dimension: branches.embeddingDimension,
                                              settings: settings, dataset: (dataset as NSString).lastPathComponent,
                                              embed: { branches.audioEmbedding($0, into: $1) },
                                              progress: { done, _ in progress.update(done) })
        if let path = saveEmbeddings {
            var file = SafeTensorsWriter()
            file.add("audio", shape: [result.clips, branches.embeddingDimension], floats: result.embeddings)
            file.add("keyword", shape: [result.clips], floats: result.targets)
            try file.write(path: path)
        }
        var updated = manifest
        guard updated.outputs != nil else { throw ValidationError("\(bundle)/manifest.json has no outputs section; rewrite the bundle with this build") }
        updated.outputs?.relevance = result.head
        let weights = try FileIO.readAll(bundle + "/" + ModelBundle.weightsFile)
        let target = out ?? bundle
        try ModelBundle.write(weights: weights, manifest: updated, to: target)
        print("relevance head: \(result.clips) clips, \(result.positives) with a keyword; threshold \(result.head.threshold); "
              + "on the fitting clips precision \(String(format: "%.1f", result.precision * 100)) %, recall \(String(format: "%.1f", result.recall * 100)) %, AUC \(String(format: "%.3f", result.auc))")
        print("wrote \(target)/\(ModelBundle.manifestFile)")
    }
}
