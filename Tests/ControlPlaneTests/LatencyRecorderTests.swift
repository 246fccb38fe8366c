import CAllocCounter
import Glibc
import Platform
import Synchronization
import Testing
@testable import ControlPlane

@Suite struct LatencyRecorderTests {
    @Test func totalsArriveAfterTheRecorderHandsOver() {
        let recorder = LatencyRecorder(seriesNames: ["a", "b"])
        recorder.record(series: 0, nanoseconds: 2_000_000)
        #expect(recorder.collect()[0].count == 0)        // asks for a flip; nothing handed over yet
        recorder.record(series: 1, nanoseconds: 3_000_000)  // flips: the 2 ms value is handed over
        let first = recorder.collect()
        #expect(first[0].count == 1 && first[0].maxSeconds == 0.002)
        #expect(first[1].count == 0 && first[1].p50Seconds == nil)
        recorder.record(series: 1, nanoseconds: 4_000_000)  // flips: 3 ms handed over, 4 ms pending
        let second = recorder.collect()
        #expect(second[0].count == 1)                        // totals are cumulative
        #expect(second[1].count == 1 && second[1].maxSeconds == 0.003)
        recorder.discardTotals()  // forgets what was handed over; 4 ms is still with the recorder
        recorder.record(series: 0, nanoseconds: 1)
        let third = recorder.collect()
        #expect(third[0].count == 0)
        #expect(third[1].count == 1 && third[1].maxSeconds == 0.004)
    }

    /// With the recorder idle (same thread, or stopped) nothing lags: both sets are merged,
    /// whatever state the flip handshake is in.
    @Test func idleCollectionSeesEverythingAndResetForgetsIt() {
        let recorder = LatencyRecorder(seriesNames: ["a"])
        recorder.record(series: 0, nanoseconds: 2_000_000)
        #expect(recorder.collectIdle()[0].count == 1)
        recorder.record(series: 0, nanoseconds: 3_000_000)
        _ = recorder.collect()                                // a flip requested, not yet done
        #expect(recorder.collectIdle()[0].count == 2)
        recorder.record(series: 0, nanoseconds: 5_000_000)
        let all = recorder.collectIdle()[0]
        #expect(all.count == 3 && all.maxSeconds == 0.005)
        recorder.resetIdle()
        #expect(recorder.collectIdle()[0].count == 0)
        recorder.record(series: 0, nanoseconds: 1_000_000)
        _ = recorder.collect()
        recorder.record(series: 0, nanoseconds: 1_000_000)   // the handshake still works after an idle reset
        #expect(recorder.collect()[0].count == 1)
    }

    @Test func valuesOutsideTheRangeAreClamped() {
        let recorder = LatencyRecorder(seriesNames: ["a"], highestNanoseconds: 1_000_000_000)
        _ = recorder.collect()
        recorder.record(series: 0, nanoseconds: 50_000_000_000)
        recorder.record(series: 0, nanoseconds: -5)
        _ = recorder.collect()
        recorder.record(series: 0, nanoseconds: 0)
        let summary = recorder.collect()[0]
        #expect(summary.count == 2)
        #expect(summary.maxSeconds == 1.0)
    }

    /// One real-time thread records while the control thread collects as fast as it can:
    /// nothing is lost or counted twice.
    @Test func concurrentRecordingAndCollectingLoseNothing() throws {
        let recorder = LatencyRecorder(seriesNames: ["stage"])
        let stop = Atomic<Bool>(false)
        let recorded = Atomic<UInt64>(0)
        let writer = RealtimeThread(name: "test-recorder") {
            var count: UInt64 = 0
            while !stop.load(ordering: .relaxed) {
                recorder.record(series: 0, nanoseconds: Int64(1000 + count % 1_000_000))
                count += 1
            }
            recorded.store(count, ordering: .releasing)
        }
        try writer.start()
        var collections = 0
        let deadline = MonotonicClock.nanoseconds() + 300_000_000
        var previous: UInt64 = 0
        while MonotonicClock.nanoseconds() < deadline {
            let count = recorder.collect()[0].count
            #expect(count >= previous)
            previous = count
            collections += 1
        }
        stop.store(true, ordering: .relaxed)
        writer.join()
        // The writer has stopped (join orders its writes before ours): this thread may now
        // act as the recorder to hand over the last interval.
        _ = recorder.collect()
        recorder.record(series: 0, nanoseconds: 1)
        let total = recorder.collect()[0].count
        #expect(total == recorded.load(ordering: .acquiring))
        #expect(collections > 10)
    }

    @Test func hotPathDoesNotAllocate() throws {
        try #require(alloc_counter_active() == 1)
        let sanity = alloc_counter_thread()
        let probe = [Int](repeating: 1, count: Int.random(in: 100...200))
        try #require(alloc_counter_thread() > sanity, "allocation counter does not see Swift allocations")
        _ = probe

        let metrics = ApplianceMetrics(stageNames: ["capture", "infer", "compose"])
        for _ in 0..<3 { metrics.recordStage(0, nanoseconds: 1); _ = metrics.latencySummaries() }  // warm up
        var allocations: UInt64 = 0
        for round in 0..<200 {
            _ = metrics.latencySummaries()  // control side: asks for a flip (may allocate; not counted)
            let before = alloc_counter_thread()
            for stage in 0..<3 { metrics.recordStage(stage, nanoseconds: Int64(round * 1000 + stage)) }
            metrics.recordCaptureToDisplay(nanoseconds: 20_000_000)
            metrics.loop.publish(LoopCounters(framesIn: round + 1, framesOut: round + 1), speaking: false, noSignal: false,
                                 fps: 30, latencyMilliseconds: 20)
            metrics.displayFPS.set(30)
            allocations += alloc_counter_thread() - before
        }
        #expect(allocations == 0)
        #expect(metrics.latencySummaries().captureToDisplay.count >= 198)
    }
}
