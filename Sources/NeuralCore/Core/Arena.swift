/// Offsets of float buffers inside one future allocation. Layers reserve while a model is
/// being built; the arena is allocated once afterwards, so nothing allocates per op.
public struct ArenaLayout: Sendable {
    /// Floats reserved so far (each reservation starts on a 64-byte boundary).
    public private(set) var count = 0

    public init() {}

    /// Reserves `floats` floats and returns their offset in the arena.
    public mutating func reserve(_ floats: Int) -> Int {
        precondition(floats >= 0, "negative reservation")
        let offset = count
        count += (floats + 15) & ~15  // 16 floats = one cache line, keeps AVX loads aligned
        return offset
    }
}

/// One zero-initialised, 64-byte aligned float allocation. Views into it are raw pointers,
/// valid for the arena's lifetime.
public final class Arena: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    @inline(__always)
    public subscript(offset: Int) -> UnsafeMutablePointer<Float> { base + offset }

    public func zero(from offset: Int = 0, count floats: Int? = nil) {
        (base + offset).update(repeating: 0, count: floats ?? (count - offset))
    }
}
