import CAllocCounter
import Foundation
import NeuralCore
import Testing
@testable import ShowTellModel
import TestSupport

@Suite struct LiveImageMaskTests {
    /// The separable max filter gives what the plain definition does, at several dilations.
    @Test(arguments: [0, 1, 3])
    func maskMatchesReference(dilation: Int) {
        let side = 23
        var random = RandomSource(seed: UInt64(dilation + 5))
        let activity = (0..<(side * side)).map { _ in random.next() % 9 == 0 ? Float(2) : Float(0.1) }
        let spec = LiveImageMask(thresholdGray: 0.5, dilation: dilation)
        var mask = [Float](repeating: -1, count: side * side), scratch = mask
        activity.withUnsafeBufferPointer { a in
            scratch.withUnsafeMutableBufferPointer { s in
                mask.withUnsafeMutableBufferPointer { spec.mask(activity: a.baseAddress!, side: side, scratch: s.baseAddress!, into: $0.baseAddress!) }
            }
        }
        #expect(mask == spec.referenceMask(activity: activity, side: side))
    }

    /// A screen whose left part is live (noise every frame) and right part furniture (a fixed
    /// pattern): after a few frames the furniture reads 0 and the live part is untouched; a
    /// frozen stretch keeps the mask; a read-out that changes once stays furniture; and
    /// `apply` allocates nothing.
    @Test func trackerMasksFurnitureOnly() throws {
        let side = 32, std: Float = 0.2, count = side * side
        let spec = LiveImageMask(thresholdGray: 0.5, capGray: 4, dilation: 1)
        let tracker = LiveImageTracker(spec: spec, side: side, pixelStd: std, frames: 20, refreshEvery: 4)
        var random = RandomSource(seed: 9)
        var frame = [Float](repeating: 0, count: count), shown = frame
        func render(readout: Float) {
            for y in 0..<side {
                for x in 0..<side {
                    // Standardised values: 1 grey level = 1 / (255·std).
                    frame[y * side + x] = x < 16 ? Float(random.next() % 40) / (255 * std) : (x + y) % 3 == 0 ? 2 : -1
                }
            }
            frame[5 * side + 28] = readout
        }
        func step() {
            shown = frame
            shown.withUnsafeMutableBufferPointer { tracker.apply($0.baseAddress!) }
        }
        for n in 0..<30 {
            render(readout: n == 15 ? 3 : 2)  // the read-out changes once
            step()
        }
        #expect(tracker.ready)
        for y in 0..<side {
            for x in 0..<side {
                let i = y * side + x
                if x < 16 { #expect(shown[i] == frame[i], "live pixel (\(x), \(y)) changed") }
                if x > 16 { #expect(shown[i] == 0, "furniture pixel (\(x), \(y)) kept") }
            }
        }
        // Frozen: the same frame again and again changes nothing in the mask.
        let before = Array(UnsafeBufferPointer(start: tracker.currentMask, count: count))
        for _ in 0..<40 { step() }
        #expect(Array(UnsafeBufferPointer(start: tracker.currentMask, count: count)) == before)

        try #require(alloc_counter_active() == 1)
        var allocations = [UInt64]()
        allocations.reserveCapacity(8)
        shown.withUnsafeMutableBufferPointer { buffer in
            for _ in 0..<8 {
                let start = alloc_counter_thread()
                tracker.apply(buffer.baseAddress!)
                allocations.append(alloc_counter_thread() - start)
            }
        }
        #expect(allocations.allSatisfy { $0 == 0 }, "\(allocations)")
    }
}
