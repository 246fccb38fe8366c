import NeuralTestSupport
import Foundation
import Testing
@testable import NeuralCore

struct CheckpointTests {
    /// Train two steps, checkpoint, train two more; a fresh model restored from the
    /// checkpoint must reproduce those two steps exactly, with either optimiser.
    @Test(arguments: ["sgd", "adamw"]) func resumeReproducesTheRunBitForBit(kind: String) throws {
        func make(_ store: ParameterStore) -> any Optimizer {
            kind == "sgd" ? SGD(store: store) : AdamW(store: store, weightDecay: 0.01)
        }
        try resumeCheck(make, name: kind)
    }

    /// `name` keeps the file apart from the other cases, which swift-testing runs in parallel.
    private func resumeCheck(_ make: (ParameterStore) -> any Optimizer, name: String) throws {
        let path = NSTemporaryDirectory() + "/neural_checkpoint_\(name)_\(getpid()).safetensors"
        defer { unlink(path) }

        func step(_ model: ResNeXt, _ a: ResNeXtActivations, _ optimizer: any Optimizer, _ random: inout RandomSource) {
            random.fillGaussian(a.input.data, count: a.input.count, std: 1)  // data drawn from the run's RNG
            model.store.zeroGradients()
            model.forward(a, training: true)
            for i in 0..<a.pooled.count { a.pooledGrad.data[i] = a.pooled.data[i] }  // loss = |pooled|^2 / 2
            model.backward(a)
            optimizer.step(learningRate: 0.01)
        }

        let model = ResNeXt(.tiny, seed: 21)
        let a = model.makeActivations(batch: 2, height: 8, width: 8)
        let optimizer = make(model.store)
        var random = RandomSource(seed: 22)
        for _ in 0..<2 { step(model, a, optimizer, &random) }
        try TrainingCheckpoint.save(path: path, store: model.store, optimizer: optimizer,
                                    state: TrainingCheckpoint(epoch: 2, random: random, optimizerSteps: optimizer.steps, extra: ["best": "0.5"]))
        for _ in 0..<2 { step(model, a, optimizer, &random) }

        let resumed = ResNeXt(.tiny, seed: 99)
        let b = resumed.makeActivations(batch: 2, height: 8, width: 8)
        let resumedOptimizer = make(resumed.store)
        let state = try TrainingCheckpoint.load(path: path, store: resumed.store, optimizer: resumedOptimizer)
        #expect(state.epoch == 2 && state.optimizerSteps == 2 && state.extra == ["best": "0.5"])
        var resumedRandom = state.random
        for _ in 0..<2 { step(resumed, b, resumedOptimizer, &resumedRandom) }

        #expect(resumedRandom == random)
        for entry in model.store.entries {
            let x = model.store.pointer(entry), y = resumed.store.pointer(entry)
            #expect((0..<entry.count).allSatisfy { x[$0] == y[$0] }, "\(entry.name) differs after resume")
        }
        for (mine, theirs) in zip(optimizer.stateVectors, resumedOptimizer.stateVectors) {
            #expect((0..<model.store.parameterCount).allSatisfy { mine.values[$0] == theirs.values[$0] }, "\(mine.name) differs after resume")
        }
    }

    /// A checkpoint names its optimiser; resuming it with the other one is refused by name.
    @Test func resumingWithAnotherOptimiserIsRefused() throws {
        let path = NSTemporaryDirectory() + "/neural_checkpoint_kind_\(getpid()).safetensors"
        defer { unlink(path) }
        let model = ResNeXt(.tiny, seed: 3)
        try TrainingCheckpoint.save(path: path, store: model.store, optimizer: SGD(store: model.store),
                                    state: TrainingCheckpoint(epoch: 1, random: RandomSource(seed: 1)))
        do {
            _ = try TrainingCheckpoint.load(path: path, store: model.store, optimizer: AdamW(store: model.store))
            Issue.record("an SGD checkpoint loaded into AdamW")
        } catch let error as SafeTensorsError {
            #expect("\(error)".contains("--optimizer sgd"), "\(error)")
        }
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
