import Foundation
import NeuralCore
import PhantomScan
import Testing
import TestSupport
@testable import Evaluation

/// `--init` from a training run folder: the video checkpoint's weights, whatever the variant
/// (concatenation and no-audio variants write no bundle); a folder that is neither gets an
/// error naming the file to fix.
struct EncoderInitialisationTests {
    @Test func trainingRunFolderGivesItsVideoCheckpoint() throws {
        let scratch = ScratchFolder("showtell-init")
        let encoder = ResNeXt(.tiny, seed: 7)
        try encoder.store.saveWeights(path: scratch.file("checkpoint-video.safetensors"))
        try #"{"backbone" : "tiny", "variant" : "va-base"}"#.write(toFile: scratch.file("run.json"), atomically: true, encoding: .utf8)
        let initialisation = EncoderInitialisation.folder(scratch.path)
        guard case .trainingRun = initialisation else { Issue.record("\(initialisation) is not a training run"); return }
        let source = try initialisation.loader()
        #expect(source.trained && source.configuration.name == "tiny")
        let copy = source.make(0)
        #expect(Array(UnsafeBufferPointer(start: copy.store.parameters, count: copy.store.parameterCount))
                == Array(UnsafeBufferPointer(start: encoder.store.parameters, count: encoder.store.parameterCount)))
        #expect(Array(UnsafeBufferPointer(start: copy.store.buffers, count: copy.store.bufferCount))
                == Array(UnsafeBufferPointer(start: encoder.store.buffers, count: encoder.store.bufferCount)))

        try #"{"backbone" : "huge"}"#.write(toFile: scratch.file("run.json"), atomically: true, encoding: .utf8)
        #expect(throws: EncoderLoadingError.self) { try EncoderInitialisation.folder(scratch.path).loader() }
        let bundleLike = ScratchFolder("showtell-init-bundle")
        guard case .bundle = EncoderInitialisation.folder(bundleLike.path) else { Issue.record("a folder without run.json is a bundle"); return }
    }

    /// The supervised upper bound trains once on the dataset's plane labels (its weights move
    /// away from the random start) and later runs read the saved encoder.
    @Test func supervisedEncoderIsTrainedOnceAndCached() throws {
        let scratch = ScratchFolder("showtell-supervised")
        _ = try SessionGenerator(duration: 6, seed: 5).generate(to: scratch.file("dataset/scan-a"))
        var settings = FineTuneSettings()
        (settings.epochs, settings.batch, settings.threads) = (1, 4, 1)
        let initialisation = EncoderInitialisation.supervised(dataset: scratch.file("dataset"), backbone: .tiny, settings: settings,
                                                              every: 0.5, cache: scratch.file("cache"))
        let trained = try initialisation.loader().make(0)
        let start = ResNeXt(.tiny, seed: settings.seed)
        let weights = { (n: ResNeXt) in Array(UnsafeBufferPointer(start: n.store.parameters, count: n.store.parameterCount)) }
        #expect(weights(trained) != weights(start), "pretraining changed nothing")
        #expect(FileManager.default.fileExists(atPath: scratch.file("cache/encoder.safetensors")))
        #expect(weights(try initialisation.loader().make(1)) == weights(trained), "the cached encoder is not the trained one")
    }
}
