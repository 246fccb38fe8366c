/// Everything needed to resume a run exactly: weights and buffers, the optimiser's state, the RNG
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
    /// State vector `name` of parameter `entry` is tensor "optimizer.<name>.<entry>"; SGD's is
    /// "optimizer.velocity.<entry>", as in checkpoints written before AdamW existed.
    static func stateTensor(_ name: String, _ entry: String) -> String { "optimizer.\(name).\(entry)" }

    public init(epoch: Int, random: RandomSource, optimizerSteps: Int = 0, extra: [String: String] = [:]) {
        self.epoch = epoch
        self.random = random
        self.optimizerSteps = optimizerSteps
        self.extra = extra
    }

    public static func save(path: String, store: ParameterStore, optimizer: some Optimizer, state: TrainingCheckpoint) throws {
        precondition(optimizer.store === store, "optimizer belongs to another model")
        var writer = SafeTensorsWriter()
        store.add(to: &writer)
        for (name, values) in optimizer.stateVectors {
            for entry in store.entries where !entry.isBuffer {
                writer.add(stateTensor(name, entry.name), shape: entry.shape, floats: values + entry.offset)
            }
        }
        var metadata = state.extra
        metadata["format"] = format
        metadata["epoch"] = String(state.epoch)
        metadata["optimizer.steps"] = String(state.optimizerSteps)
        metadata["optimizer.kind"] = type(of: optimizer).kind
        for (key, value) in optimizer.settings { metadata["optimizer." + key] = value }
        metadata["rng.xoshiro256"] = state.random.stateWords.map { String($0, radix: 16) }.joined(separator: ",")
        writer.metadata = metadata
        try writer.write(path: path)
    }

    /// Restores weights, buffers and the optimiser's state into `store`/`optimizer`; returns the rest.
    public static func load(path: String, store: ParameterStore, optimizer: some Optimizer) throws -> TrainingCheckpoint {
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
        let kind = file.metadata["optimizer.kind"] ?? SGD.kind  // older checkpoints: SGD only
        let wanted = type(of: optimizer).kind
        guard kind == wanted else {
            throw SafeTensorsError("\(path): written by the \(kind) optimiser, not \(wanted); resume with --optimizer \(kind) or start a new run")
        }
        try store.load(from: file)
        for (name, values) in optimizer.stateVectors {
            for entry in store.entries where !entry.isBuffer {
                try file.copy(stateTensor(name, entry.name), into: values + entry.offset, count: entry.count)
            }
        }
        optimizer.steps = steps
        var extra = file.metadata
        for key in extra.keys where key.hasPrefix("optimizer.") { extra[key] = nil }
        for key in ["format", "epoch", "rng.xoshiro256"] { extra[key] = nil }
        return TrainingCheckpoint(epoch: epoch, random: RandomSource(state: words), optimizerSteps: steps, extra: extra)
    }
}
