/// Everything needed to resume a run exactly: weights and buffers, SGD velocity, the RNG
/// state and the epoch, in one safetensors file written atomically (a kill during the write
/// leaves the previous checkpoint intact).
public struct TrainingCheckpoint: Sendable, Equatable {
    /// Epochs completed.
    public var epoch: Int
    public var random: RandomSource
    public var optimizerSteps: Int
    /// Free-form values (e.g. best validation score) carried along.
    public var extra: [String: String]

    static let format = "showtell-checkpoint-1"
    static let velocityPrefix = "optimizer.velocity."

    public init(epoch: Int, random: RandomSource, optimizerSteps: Int = 0, extra: [String: String] = [:]) {
        self.epoch = epoch
        self.random = random
        self.optimizerSteps = optimizerSteps
        self.extra = extra
    }

    public static func save(path: String, store: ParameterStore, optimizer: SGD, state: TrainingCheckpoint) throws {
        precondition(optimizer.store === store, "optimizer belongs to another model")
        var writer = SafeTensorsWriter()
        store.add(to: &writer)
        for entry in store.entries where !entry.isBuffer {
            writer.add(velocityPrefix + entry.name, shape: entry.shape, floats: optimizer.velocity + entry.offset)
        }
        var metadata = state.extra
        metadata["format"] = format
        metadata["epoch"] = String(state.epoch)
        metadata["optimizer.steps"] = String(state.optimizerSteps)
        metadata["optimizer.momentum"] = "\(optimizer.momentum)"
        metadata["optimizer.weight_decay"] = "\(optimizer.weightDecay)"
        metadata["rng.xoshiro256"] = state.random.stateWords.map { String($0, radix: 16) }.joined(separator: ",")
        writer.metadata = metadata
        try writer.write(path: path)
    }

    /// Restores weights, buffers and velocity into `store`/`optimizer`; returns the rest.
    public static func load(path: String, store: ParameterStore, optimizer: SGD) throws -> TrainingCheckpoint {
        let file = try SafeTensorsFile.read(path: path)
        guard file.metadata["format"] == format else {
            throw SafeTensorsError("\(path): not a training checkpoint (format \(file.metadata["format"] ?? "missing"))")
        }
        func number(_ key: String) throws -> Int {
            guard let text = file.metadata[key], let value = Int(text) else { throw SafeTensorsError("\(path): metadata \(key) missing or invalid") }
            return value
        }
        let words = (file.metadata["rng.xoshiro256"] ?? "").split(separator: ",").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4 else { throw SafeTensorsError("\(path): metadata rng.xoshiro256 missing or invalid") }
        let epoch = try number("epoch"), steps = try number("optimizer.steps")
        try store.load(from: file)
        for entry in store.entries where !entry.isBuffer {
            try file.copy(velocityPrefix + entry.name, into: optimizer.velocity + entry.offset, count: entry.count)
        }
        optimizer.steps = steps
        var extra = file.metadata
        for key in ["format", "epoch", "optimizer.steps", "optimizer.momentum", "optimizer.weight_decay", "rng.xoshiro256"] {
            extra[key] = nil
        }
        return TrainingCheckpoint(epoch: epoch, random: RandomSource(state: words), optimizerSteps: steps, extra: extra)
    }
}
