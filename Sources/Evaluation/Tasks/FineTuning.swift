import Foundation
import NeuralCore
import Platform
import ShowTellModel

/// What a downstream task adds on top of the encoder: its parameters, and per batch the
/// loss with its gradients (into its own store and into the encoder's activation gradients).
public protocol TaskHead: AnyObject {
    var store: ParameterStore { get }
    /// a: the encoder's activations after `forward(training: true)`; samples: the dataset
    /// indices of the batch's images, in order. Adds dL/d(spatialMap) or dL/d(pooled) into
    /// `a` and dL/d(head) into `store.gradients`; returns the mean loss.
    func trainStep(_ a: ResNeXtActivations, samples: [Int]) -> Float
}

/// Fine-tuning settings (the README states what the reports used).
public struct FineTuneSettings: Codable, Sendable, Equatable {
    public var epochs = 4
    public var batch = 16
    public var learningRate: Float = 0.01
    /// Learning rate × 0.1 after this share of the epochs (the paper's step schedule).
    public var decayAt = 0.75
    public var momentum: Float = 0.9
    public var weightDecay: Float = 1e-4
    public var seed: UInt64 = 0
    public var threads = 2
    public init() {}
}

/// The training loop, llm.c style: shuffle -> batch images into the arena -> encoder
/// forward -> head loss and gradients -> encoder backward -> SGD step on both. One
/// checkpoint per epoch (encoder and head, with velocities and the RNG) so a killed run
/// resumes at the last finished epoch.
public final class FineTuner {
    public let encoder: ResNeXt
    public let head: TaskHead
    public let settings: FineTuneSettings
    let side = ShowTellNetwork.frameSize
    let trainActivations: ResNeXtActivations
    let encoderOptimiser: SGD
    let headOptimiser: SGD

    public init(encoder: ResNeXt, head: TaskHead, settings: FineTuneSettings) {
        self.encoder = encoder
        self.head = head
        self.settings = settings
        encoder.threads = settings.threads
        ShowTellNetwork.setBLASThreads(settings.threads)
        trainActivations = encoder.makeActivations(batch: settings.batch, height: side, width: side, training: true)
        encoderOptimiser = SGD(store: encoder.store, momentum: settings.momentum, weightDecay: settings.weightDecay)
        headOptimiser = SGD(store: head.store, momentum: settings.momentum, weightDecay: settings.weightDecay)
        encoderOptimiser.threads = settings.threads
    }

    /// images: preprocessed frames [224·224] each (FramePreprocessor). Returns the mean loss per epoch.
    @discardableResult
    public func train(images: [[Float]], checkpoint: String?, label: String) throws -> [Float] {
        let batch = settings.batch
        guard images.count >= batch else {
            throw EvaluationError("\(label): \(images.count) training images, fewer than one batch of \(batch); sample more frames (--every) or lower --batch")
        }
        var random = RandomSource(seed: settings.seed)
        var firstEpoch = 0
        var losses: [Float] = []
        if let checkpoint, FileIO.exists(checkpoint + ".encoder.safetensors"), FileIO.exists(checkpoint + ".head.safetensors") {
            let state = try TrainingCheckpoint.load(path: checkpoint + ".encoder.safetensors", store: encoder.store, optimizer: encoderOptimiser)
            _ = try TrainingCheckpoint.load(path: checkpoint + ".head.safetensors", store: head.store, optimizer: headOptimiser)
            firstEpoch = state.epoch
            random = state.random
            losses = (state.extra["losses"] ?? "").split(separator: ",").compactMap { Float($0) }
            FileHandle.standardError.write(Data("\(label): resumed after epoch \(firstEpoch)\n".utf8))
        }
        let steps = images.count / batch  // the last partial batch is dropped (batch norm needs full batches)
        let input = trainActivations.input.data
        for epoch in firstEpoch..<settings.epochs {
            let progress = ProgressBar("\(label) epoch \(epoch + 1)/\(settings.epochs)", total: steps)
            var order = Array(images.indices)
            order.shuffle(using: &random)
            let rate = Double(epoch) >= settings.decayAt * Double(settings.epochs) ? settings.learningRate * 0.1 : settings.learningRate
            var total: Float = 0
            for step in 0..<steps {
                let samples = Array(order[(step * batch)..<((step + 1) * batch)])
                for (slot, sample) in samples.enumerated() {
                    images[sample].withUnsafeBufferPointer { (input + slot * side * side).update(from: $0.baseAddress!, count: side * side) }
                }
                encoder.store.zeroGradients()
                head.store.zeroGradients()
                encoder.forward(trainActivations, training: true)
                let loss = head.trainStep(trainActivations, samples: samples)
                guard loss.isFinite else { throw EvaluationError("\(label): the loss became \(loss) at epoch \(epoch + 1), step \(step + 1); lower --learning-rate") }
                encoder.backward(trainActivations)
                encoderOptimiser.step(learningRate: rate)
                headOptimiser.step(learningRate: rate)
                total += loss
                progress.update(step + 1, note: String(format: "loss %.3f", total / Float(step + 1)))
            }
            losses.append(total / Float(steps))
            if let checkpoint {
                let state = TrainingCheckpoint(epoch: epoch + 1, random: random, optimizerSteps: encoderOptimiser.steps,
                                               extra: ["losses": losses.map { String($0) }.joined(separator: ",")])
                try TrainingCheckpoint.save(path: checkpoint + ".encoder.safetensors", store: encoder.store, optimizer: encoderOptimiser, state: state)
                try TrainingCheckpoint.save(path: checkpoint + ".head.safetensors", store: head.store, optimizer: headOptimiser, state: state)
            }
        }
        return losses
    }

    /// Inference over `images` in batches (the last one padded); `body(sample, activations, slot)`
    /// reads each image's outputs.
    public func infer(images: [[Float]], label: String, _ body: (_ sample: Int, _ a: ResNeXtActivations, _ slot: Int) -> Void) {
        let batch = settings.batch
        let a = encoder.makeActivations(batch: batch, height: side, width: side, training: false)
        let input = a.input.data
        let progress = ProgressBar("\(label) test", total: images.count)
        var start = 0
        while start < images.count {
            let count = min(batch, images.count - start)
            for slot in 0..<batch {
                let sample = start + min(slot, count - 1)
                images[sample].withUnsafeBufferPointer { (input + slot * side * side).update(from: $0.baseAddress!, count: side * side) }
            }
            encoder.forward(a, training: false)
            for slot in 0..<count { body(start + slot, a, slot) }
            start += count
            progress.update(start)
        }
    }
}

/// A task-level failure that names what to change.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
