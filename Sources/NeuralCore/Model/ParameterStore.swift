/// A named tensor of a model: a trainable parameter (with a gradient) or a buffer such as
/// batch-norm running statistics (saved, not trained).
public struct ParameterEntry: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let isBuffer: Bool
    /// Offset within the parameter region (or the buffer region for buffers).
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// Names and offsets collected while a model is described, before anything is allocated.
/// Entries are packed back to back in registration order.
public struct ParameterLayout: Sendable {
    public private(set) var entries: [ParameterEntry] = []
    public private(set) var parameterCount = 0
    public private(set) var bufferCount = 0

    public init() {}

    /// Reserves a trainable tensor; returns its offset in the parameter region.
    public mutating func parameter(_ name: String, _ shape: [Int]) -> Int {
        let entry = ParameterEntry(name: name, shape: shape, isBuffer: false, offset: parameterCount)
        precondition(!entries.contains { $0.name == name }, "duplicate parameter \(name)")
        entries.append(entry)
        parameterCount += entry.count
        return entry.offset
    }

    /// Reserves a non-trainable tensor; returns its offset in the buffer region.
    public mutating func buffer(_ name: String, _ shape: [Int]) -> Int {
        let entry = ParameterEntry(name: name, shape: shape, isBuffer: true, offset: bufferCount)
        precondition(!entries.contains { $0.name == name }, "duplicate buffer \(name)")
        entries.append(entry)
        bufferCount += entry.count
        return entry.offset
    }
}

/// The one allocation of a model: [parameters P | gradients P | buffers B]. Gradients mirror
/// the parameters at a fixed distance, so optimisers and clipping run over flat buffers.
public final class ParameterStore: @unchecked Sendable {
    public let entries: [ParameterEntry]
    public let parameterCount: Int
    public let bufferCount: Int
    private let arena: Arena

    public init(_ layout: ParameterLayout) {
        entries = layout.entries
        parameterCount = layout.parameterCount
        bufferCount = layout.bufferCount
        arena = Arena(count: 2 * layout.parameterCount + layout.bufferCount)
    }

    /// [parameterCount]
    public var parameters: UnsafeMutablePointer<Float> { arena.base }
    /// [parameterCount], same layout as `parameters`.
    public var gradients: UnsafeMutablePointer<Float> { arena.base + parameterCount }
    /// [bufferCount]
    public var buffers: UnsafeMutablePointer<Float> { arena.base + 2 * parameterCount }

    public func zeroGradients() { gradients.update(repeating: 0, count: parameterCount) }

    /// Where an entry's values live.
    public func pointer(_ entry: ParameterEntry) -> UnsafeMutablePointer<Float> {
        (entry.isBuffer ? buffers : parameters) + entry.offset
    }

    public func entry(named name: String) -> ParameterEntry? { entries.first { $0.name == name } }

    public func view(named name: String) -> TensorView? {
        entry(named: name).map { TensorView(pointer($0), shape: $0.shape) }
    }

    public func gradientView(named name: String) -> TensorView? {
        guard let entry = entry(named: name), !entry.isBuffer else { return nil }
        return TensorView(gradients + entry.offset, shape: entry.shape)
    }
}
