import Capture
import Platform
import Testing
@testable import Appliance

@Suite struct AudioFeedTests {
    /// 10 ms of ones per read at 48 kHz; after `gapAfter` reads the clock jumps by `gap` ns
    /// more, as when ALSA overran and dropped periods.
    final class GappyMicrophone: AudioSource {
        let sampleRate = 48_000
        let summary = "gappy test microphone"
        var lostPeriods = 0
        var finished = false
        var reads = 0
        let gapAfter: Int, gap: Int64, start: Int64
        init(gapAfter: Int, gap: Int64) {
            self.gapAfter = gapAfter
            self.gap = gap
            start = 1_000_000_000
        }
        func read(into samples: UnsafeMutablePointer<Float>, capacity: Int) throws -> (count: Int, firstSampleTime: Int64) {
            let count = min(capacity, 480)
            samples.update(repeating: 1, count: count)
            let time = start + Int64(reads) * 10_000_000 + (reads >= gapAfter ? gap : 0)
            reads += 1
            finished = reads == 10
            return (count, time)
        }
    }

    /// Lost audio becomes silence, so counting samples back from the newest lands at the right time.
    @Test func lostAudioIsFilledWithSilenceSoPositionsStayInStepWithTime() {
        let source = GappyMicrophone(gapAfter: 4, gap: 50_000_000)  // 50 ms lost after the 4th read
        let feed = AudioFeed(source: source, threaded: false)
        feed.pull(until: .max)
        let ring = feed.ring
        #expect(ring.writeCount == 10 * 480 + 2_400)
        #expect(feed.filledSamples.load(ordering: .relaxed) == 2_400)
        var samples = [Float](repeating: -1, count: ring.writeCount)
        #expect(ring.read(from: 0, count: samples.count, into: &samples))
        #expect(samples[0..<1_920].allSatisfy { $0 == 1 })
        #expect(samples[1_920..<4_320].allSatisfy { $0 == 0 })
        #expect(samples[4_320...].allSatisfy { $0 == 1 })
        // The newest sample's time, and the first sample's time counted back from it, agree
        // with the source's clock.
        let newest = ring.newest()
        let first = newest.time - Int64(newest.index) * 1_000_000_000 / 48_000
        #expect(abs(first - source.start) < 50_000)
    }

    /// Timestamp jitter below the tolerance is not a gap.
    @Test func jitterIsNotFilled() {
        let source = GappyMicrophone(gapAfter: 4, gap: 2_000_000)
        let feed = AudioFeed(source: source, threaded: false)
        feed.pull(until: .max)
        #expect(feed.ring.writeCount == 10 * 480)
        #expect(feed.filledSamples.load(ordering: .relaxed) == 0)
    }
}
