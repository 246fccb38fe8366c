import NeuralTestSupport
import Foundation
import Testing
@testable import NeuralCore

struct CheckpointTests {
    /// Train two steps, checkpoint, train two more; a fresh model restored from the
    /// checkpoint must reproduce those two steps exactly.
    @Test func resumeReproducesTheRunBitForBit() throws {
        let path = NSTemporaryDirectory() + "/neural_checkpoint_\(getpid()).safetensors"
        defer { unlink(path) }

        func step(_ model: ResNeXt, _ a: ResNeXtActivations, _ sgd: SGD, _ random: inout RandomSource) {
            random.fillGaussian(a.input.data, count: a.input.count, std: 1)  // data drawn from the run's RNG
            model.store.zeroGradients()
            model.forward(a, training: true)
            for i in 0..<a.pooled.count { a.pooledGrad.data[i] = a.pooled.data[i] }  // loss = |pooled|^2 / 2
            model.backward(a)
            sgd.step(learningRate: 0.01)
        }

        let model = ResNeXt(.tiny, seed: 21)
        let a = model.makeActivations(batch: 2, height: 8, width: 8)
        let sgd = SGD(store: model.store)
        var random = RandomSource(seed: 22)
        for _ in 0..<2 { step(model, a, sgd, &random) }
        try TrainingCheckpoint.save(path: path, store: model.store, optimizer: sgd,
                                    state: TrainingCheckpoint(epoch: 2, random: random, optimizerSteps: sgd.steps, extra: ["best": "0.5"]))
        for _ in 0..<2 { step(model, a, sgd, &random) }

        let resumed = ResNeXt(.tiny, seed: 99)
        let b = resumed.makeActivations(batch: 2, height: 8, width: 8)
        let resumedSGD = SGD(store: resumed.store)
        let state = try TrainingCheckpoint.load(path: path, store: resumed.store, optimizer: resumedSGD)
        #expect(state.epoch == 2 && state.optimizerSteps == 2 && state.extra == ["best": "0.5"])
        var resumedRandom = state.random
        for _ in 0..<2 { step(resumed, b, resumedSGD, &resumedRandom) }

        #expect(resumedRandom == random)
        for entry in model.store.entries {
            let x = model.store.pointer(entry), y = resumed.store.pointer(entry)
            #expect((0..<entry.count).allSatisfy { x[$0] == y[$0] }, "\(entry.name) differs after resume")
        }
        #expect((0..<model.store.parameterCount).allSatisfy { sgd.velocity[$0] == resumedSGD.velocity[$0] })
    }

    @Test func weightsRejectAnotherArchitecture() throws {
        let path = NSTemporaryDirectory() + "/neural_weights_\(getpid()).safetensors"
        defer { unlink(path) }
        let model = ResNeXt(.tiny, seed: 1)
        try model.store.saveWeights(path: path)
        let copy = ResNeXt(.tiny, seed: 2)
        try copy.store.loadWeights(path: path)
        #expect((0..<model.store.parameterCount).allSatisfy { model.store.parameters[$0] == copy.store.parameters[$0] })
        var other = ResNeXtConfiguration.tiny
        other.outWidths = [16, 48]
        #expect(throws: SafeTensorsError.self) { try ResNeXt(other).store.loadWeights(path: path) }
    }
}
