import Synchronization

/// A one-object mailbox between two threads without a lock: `put` stores a strong
/// reference as a pointer's bits, `take` swaps it out. The real-time loop checks it with
/// one atomic load per iteration; the object (a model, a recorder, a snapshot request) is
/// built and destroyed on the control side, so the loop never allocates for it.
final class Handoff<Object: AnyObject>: Sendable {
    private let slot = Atomic<UInt>(0)

    init() {}

    deinit { _ = take() }

    /// Leaves `object` for the other side; returns what was still waiting there (not taken).
    @discardableResult
    func put(_ object: Object) -> Object? {
        let bits = UInt(bitPattern: Unmanaged.passRetained(object).toOpaque())
        return Self.object(slot.exchange(bits, ordering: .acquiringAndReleasing))
    }

    /// The waiting object, if any; the slot is empty afterwards.
    @inline(__always)
    func take() -> Object? {
        guard slot.load(ordering: .relaxed) != 0 else { return nil }
        return Self.object(slot.exchange(0, ordering: .acquiringAndReleasing))
    }

    var isEmpty: Bool { slot.load(ordering: .acquiring) == 0 }

    private static func object(_ bits: UInt) -> Object? {
        guard bits != 0, let pointer = UnsafeRawPointer(bitPattern: bits) else { return nil }
        return Unmanaged<Object>.fromOpaque(pointer).takeRetainedValue()
    }
}
