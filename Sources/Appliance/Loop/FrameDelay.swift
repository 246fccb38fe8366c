import Capture

/// The delay line behind the centred audio window (`loop.window = "centred"`): frames wait
/// here for half a window (0.3 s), so the window centred on the frame shown has been heard
/// (the loop computes it from the shown frame's capture time). Costs that much display
/// latency; the default, causal, costs none.
/// Slots are allocated once (and again only if a replugged device has bigger frames).
final class FrameDelay {
    static let slots = 24  // 0.3 s at up to 60 fps, with room to spare

    let delayNanoseconds: Int64
    private(set) var capacity: Int
    private var pixels: UnsafeMutablePointer<UInt8>        // [slots][capacity]
    private let stamps: UnsafeMutablePointer<FrameStamp>   // [slots]
    private var count = 0, newest = -1

    init(delayNanoseconds: Int64, capacity: Int) {
        self.delayNanoseconds = delayNanoseconds
        self.capacity = capacity
        pixels = .allocate(capacity: Self.slots * capacity)
        pixels.initialize(repeating: 0, count: Self.slots * capacity)
        stamps = .allocate(capacity: Self.slots)
        stamps.initialize(repeating: FrameStamp(sequence: 0, captureTime: 0), count: Self.slots)
    }

    deinit {
        pixels.deallocate()
        stamps.deallocate()
    }

    /// A bigger frame size (a replug): the held frames are dropped.
    func resize(capacity newCapacity: Int) {
        guard newCapacity > capacity else { return }
        pixels.deallocate()
        capacity = newCapacity
        pixels = .allocate(capacity: Self.slots * capacity)
        pixels.initialize(repeating: 0, count: Self.slots * capacity)
        count = 0
        newest = -1
    }

    /// Stores the newest frame (`size` pixels) and returns the one to show now: the newest
    /// held frame captured at least the delay before it (the oldest held while filling up).
    func push(_ frame: UnsafePointer<UInt8>, size: Int, stamp: FrameStamp) -> (pixels: UnsafePointer<UInt8>, stamp: FrameStamp) {
        newest = (newest + 1) % Self.slots
        (pixels + newest * capacity).update(from: frame, count: size)
        stamps[newest] = stamp
        count = min(count + 1, Self.slots)
        let due = stamp.captureTime - delayNanoseconds
        var chosen = (newest - count + 1 + Self.slots) % Self.slots  // the oldest
        for age in 0..<count {
            let slot = (newest - age + Self.slots) % Self.slots
            if stamps[slot].captureTime <= due { chosen = slot; break }
        }
        return (UnsafePointer(pixels + chosen * capacity), stamps[chosen])
    }
}
