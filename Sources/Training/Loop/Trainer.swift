import FoundationEssentials
import Glibc
import NeuralCore
import Platform

/// The training loop, short and visible (llm.c): for each epoch, a permutation of the clips;
/// for each batch: data -> forward -> loss -> backward -> clip -> optimiser step (SGD or AdamW). Per step a
/// progress line (each loss term, clips/s, ETA) and a CSV row; checkpoints every
/// `checkpointEvery` steps and at each epoch's end, from which `resume` continues exactly.
///
/// Determinism: the epoch's permutation comes from RandomSource(seed, epoch) and each step's
/// randomness (negatives, frame-order swaps) from RandomSource(seed, epoch, step), so a run
/// resumed from a checkpoint computes what the uninterrupted run would have.
public final class Trainer {
    public let model: TrainingModel
    public let builder: BatchBuilder
    public let directory: String
    public var epochs: Int
    public var checkpointEvery = 50
    /// Stop (with a checkpoint) after this many seconds of this process; nil = no limit.
    public var timeLimit: Double?
    /// Stop after this many steps in total (tests, benchmarks); nil = all epochs.
    public var stepLimit: Int?
    public var progress: ((String) -> Void)?
    public private(set) var rows: [String] = []
    private var optimizers: [(name: String, optimizer: any Optimizer)]
    private let schedule: StepLearningRate

    public static let csvHeader = "step,epoch,learning_rate,total," + LossTerms.names.joined(separator: ",") + ",clips_per_s"

    public init(model: TrainingModel, builder: BatchBuilder, directory: String, epochs: Int) {
        self.model = model
        self.builder = builder
        self.directory = directory
        self.epochs = epochs
        let c = model.configuration
        optimizers = model.stores.map { entry -> (String, any Optimizer) in
            switch c.optimizer {
            case .sgd: (entry.name, SGD(store: entry.store, momentum: c.momentum, weightDecay: c.weightDecay))
            case .adamw: (entry.name, AdamW(store: entry.store, weightDecay: c.weightDecay))
            }
        }
        schedule = StepLearningRate(base: c.learningRate, factor: 0.1, interval: c.decayEvery)
    }

    public var stepsPerEpoch: Int { builder.source.clips.count / model.configuration.batch }

    public struct Position: Sendable, Equatable {
        public var epoch = 0
        public var step = 0  // within the epoch
        public var globalStep = 0
    }

    public private(set) var position = Position()

    static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var random = RandomSource(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        return order
    }

    /// The epoch's clip order with `consecutive` batches: runs of `batch` neighbouring clips
    /// (the dataset's order: scan, then time), the runs shuffled and their boundaries moved by
    /// a random offset each epoch. A batch then holds moments of one stretch of one scan, so
    /// its negatives show much the same picture and only what is said, and where that is on
    /// the screen, tells them apart (hard negatives; see `NegativePolicy`).
    static func order(count: Int, batch: Int, consecutive: Bool, seed: UInt64, epoch: Int) -> [Int] {
        guard consecutive, batch > 1, count > batch else { return permutation(count: count, seed: seed, epoch: epoch) }
        var random = RandomSource(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9 &+ 1)
        let offset = Int(random.next() % UInt64(batch))
        let rotated = (0..<count).map { ($0 + offset) % count }
        let full = count / batch
        let runs = (0..<full).map { Array(rotated[($0 * batch)..<(($0 + 1) * batch)]) }
        // Whole runs shuffled; the short remainder last, where the epoch drops it.
        return permutation(count: full, seed: seed &+ 0xB47C, epoch: epoch).flatMap { runs[$0] } + rotated[(full * batch)...]
    }

    /// Runs until all epochs are done or a limit is hit; returns the last step's losses.
    @discardableResult
    public func run() throws -> LossTerms? {
        let c = model.configuration, n = c.batch
        guard stepsPerEpoch > 0 else { throw TrainingError("\(builder.source.clips.count) clips are fewer than one batch of \(n)") }
        try FileIO.makeDirectories(directory)
        if let stepLimit, position.globalStep >= stepLimit { return nil }  // e.g. --resume --max-steps 0: evaluate only
        let started = monotonicSeconds()
        var last: LossTerms?
        var windowStart = started, windowClips = 0, rate = 0.0
        while position.epoch < epochs {
            let order = Self.order(count: builder.source.clips.count, batch: n, consecutive: c.consecutiveBatches, seed: c.seed, epoch: position.epoch)
            let learningRate = schedule.rate(epoch: position.epoch)
            while position.step < stepsPerEpoch {
                var random = RandomSource(seed: c.seed ^ (UInt64(position.epoch) << 32 | UInt64(position.step)) &* 0xD1B5_4A32_D192_ED03)
                let slice = Array(order[(position.step * n)..<((position.step + 1) * n)])
                let indices = c.cellSeparation > 0 || c.nearNegatives > 0 ? builder.partnered(slice, random: &random) : slice
                let inputs = builder.fill(model, indices: indices, random: &random)
                for (_, optimizer) in optimizers { optimizer.store.zeroGradients() }
                let terms = model.trainStep(inputs)
                guard terms.total.isFinite else {
                    throw TrainingError("loss is \(terms.total) at epoch \(position.epoch + 1) step \(position.step + 1): training diverged (lower --lr, or --contrastive infonce)")
                }
                clipGradients(c.gradientClip)
                for (name, optimizer) in optimizers {
                    optimizer.step(learningRate: name == "video" ? learningRate * c.videoLearningRateScale : learningRate)
                }
                position.step += 1
                position.globalStep += 1
                last = terms
                windowClips += n
                let now = monotonicSeconds()
                if now - windowStart >= 5 || rate == 0 {
                    rate = Double(windowClips) / max(now - windowStart, 1e-9)
                    windowStart = now
                    windowClips = 0
                }
                rows.append(csvRow(terms, learningRate: learningRate, rate: rate))
                let remaining = Double((epochs - position.epoch - 1) * stepsPerEpoch + (stepsPerEpoch - position.step)) * Double(n) / max(rate, 1e-9)
                progress?(progressLine(terms, rate: rate, eta: remaining))
                let outOfTime = timeLimit.map { now - started >= $0 } ?? false
                let outOfSteps = stepLimit.map { position.globalStep >= $0 } ?? false
                let epochDone = position.step == stepsPerEpoch
                if epochDone {
                    position.epoch += 1
                    position.step = 0
                }
                if epochDone || position.step % checkpointEvery == 0 || outOfTime || outOfSteps { try saveCheckpoint() }
                if outOfTime || outOfSteps { return last }
                if epochDone { break }  // next epoch: a new permutation and learning rate
            }
        }
        return last
    }

    private func clipGradients(_ maxNorm: Float) {
        var squares = 0.0
        for (_, optimizer) in optimizers {
            let g = optimizer.store.gradients
            for i in 0..<optimizer.store.parameterCount { squares += Double(g[i]) * Double(g[i]) }
        }
        let norm = Float(squares.squareRoot())
        guard maxNorm > 0, norm > maxNorm else { return }
        let scale = maxNorm / (norm + 1e-6)
        for (_, optimizer) in optimizers {
            let g = optimizer.store.gradients
            for i in 0..<optimizer.store.parameterCount { g[i] *= scale }
        }
    }

    private func csvRow(_ t: LossTerms, learningRate: Float, rate: Double) -> String {
        let values = t.values.map { $0.isNaN ? "" : String(format6($0)) }
        return "\(position.globalStep),\(position.epoch + 1),\(learningRate),\(format6(t.total))," + values.joined(separator: ",") + ",\(format6(Float(rate)))"
    }

    private func progressLine(_ t: LossTerms, rate: Double, eta: Double) -> String {
        let width = 24
        let total = max(epochs * stepsPerEpoch, 1)
        let done = position.epoch * stepsPerEpoch + position.step
        let filled = min(width, width * done / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        var parts = ["[\(bar)] epoch \(position.epoch + 1)/\(epochs) step \(position.step)/\(stepsPerEpoch)", "loss \(format3(t.total))"]
        for (name, value) in zip(LossTerms.names, t.values) where !value.isNaN { parts.append("\(name) \(format3(value))") }
        parts.append(String(format1(rate)) + " clips/s")
        parts.append("ETA \(Int(eta) / 60)m\(Int(eta) % 60)s")
        return parts.joined(separator: "  ")
    }

    // MARK: Checkpoints

    func checkpointPath(_ name: String) -> String { directory + "/checkpoint-\(name).safetensors" }

    public func saveCheckpoint() throws {
        let extra = ["step_in_epoch": String(position.step), "global_step": String(position.globalStep),
                     "variant": model.configuration.variant.rawValue]
        for (name, optimizer) in optimizers {
            try TrainingCheckpoint.save(path: checkpointPath(name), store: optimizer.store, optimizer: optimizer,
                                        state: TrainingCheckpoint(epoch: position.epoch, random: RandomSource(seed: model.configuration.seed),
                                                                  optimizerSteps: optimizer.steps, extra: extra))
        }
        try writeCurves()
    }

    public var hasCheckpoint: Bool { FileIO.exists(checkpointPath("heads")) }

    /// Restores weights, optimiser state and the position from the run folder's checkpoints.
    public func resume() throws {
        var restored: Position?
        for (name, optimizer) in optimizers {
            let state = try TrainingCheckpoint.load(path: checkpointPath(name), store: optimizer.store, optimizer: optimizer)
            guard state.extra["variant"] == model.configuration.variant.rawValue else {
                throw TrainingError("\(checkpointPath(name)) belongs to variant \(state.extra["variant"] ?? "?"), not \(model.configuration.variant.rawValue)")
            }
            let here = Position(epoch: state.epoch, step: Int(state.extra["step_in_epoch"] ?? "") ?? 0,
                                globalStep: Int(state.extra["global_step"] ?? "") ?? 0)
            if let restored, restored != here { throw TrainingError("checkpoints in \(directory) disagree (\(restored) vs \(here)); delete them or start a new run") }
            restored = here
        }
        position = restored ?? Position()
        let csv = directory + "/losses.csv"
        if FileIO.exists(csv) {
            let lines = String(decoding: try FileIO.readAll(csv), as: UTF8.self).split(separator: "\n").map(String.init)
            rows = Self.currentLayout(rows: Array(lines.dropFirst().prefix(position.globalStep)), header: lines.first ?? Self.csvHeader)
        }
    }

    /// losses.csv rows written under another `header` (a run started by a build with fewer or
    /// other loss terms) in the current column order: each value stays under its own name, a
    /// term the old build lacked is empty, so the curves of a resumed run keep their history.
    static func currentLayout(rows: [String], header: String) -> [String] {
        guard header != csvHeader else { return rows }
        let old = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let index = Dictionary(old.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let columns = csvHeader.split(separator: ",").map { index[String($0)] }
        return rows.map { row in
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            return columns.map { column in column.flatMap { $0 < fields.count ? String(fields[$0]) : nil } ?? "" }.joined(separator: ",")
        }
    }

    /// losses.csv and losses.png (written atomically).
    public func writeCurves() throws {
        let text = ([Self.csvHeader] + rows).joined(separator: "\n") + "\n"
        try FileIO.writeAtomically(directory + "/losses.csv", Array(text.utf8))
        try LossPlot.write(csvRows: rows, to: directory + "/losses.png")
    }
}

func format6(_ x: Float) -> String { formatted(Double(x), digits: 6) }
func format3(_ x: Float) -> String { formatted(Double(x), digits: 3) }
func format1(_ x: Double) -> String { formatted(x, digits: 1) }

func percent(_ x: Double) -> String { formatted(100 * x, digits: 1) + " %" }

func formatted(_ x: Double, digits: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([x]) { vsnprintf(&buffer, 64, "%.\(digits)f", $0) }
    return String(cString: buffer)
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}
