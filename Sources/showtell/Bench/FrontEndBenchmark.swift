import AudioFrontEnd
import CAllocCounter
import Foundation
import Platform

/// Measures the audio front-end the way the appliance and the trainer use it, on the
/// calling thread only (thread CPU time, so the figure is per core even on a busy machine):
/// - streaming: every 100 ms hop, 4800 new samples at 48 kHz go in and one 0.6 s window's
///   network input comes out (the appliance);
/// - whole windows: each window's 0.6 s (28 800 samples) goes through resample + clean +
///   spectrogram from scratch (training-data preparation).
/// Heap allocations are counted per window after a warm-up (target: 0).
struct FrontEndBenchmark {
    let windows: Int
    let repetitions: Int

    struct Result {
        var windowsPerSecond: Double
        var allocationsPerWindow: Double
    }

    func run() throws {
        print("audio front-end, one thread, \(windows) windows x \(repetitions) repetitions (median)")
        print("allocation counter active: \(alloc_counter_active() != 0)")
        let speech = testSignal(seconds: 4)
        // Digital silence too: a muted or unplugged microphone gives exact zeros for hours,
        // and decaying filter states must not turn into slow subnormal arithmetic.
        let silence = [Float](repeating: 0, count: speech.count)
        for (name, signal, hop) in [("streaming (100 ms hop)", speech, 4_800), ("streaming digital silence", silence, 4_800),
                                    ("whole windows (0.6 s each)", speech, 28_800)] {
            var results: [Result] = []
            for _ in 0..<repetitions { results.append(try measure(signal: signal, hop: hop)) }
            let speeds = results.map(\.windowsPerSecond).sorted()
            let allocations = results.map(\.allocationsPerWindow).max()!
            print("\(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(String(format: "%8.0f", speeds[speeds.count / 2])) windows/s"
                  + "  (min \(String(format: "%.0f", speeds.first!)), max \(String(format: "%.0f", speeds.last!)))"
                  + "  heap allocations/window: \(String(format: "%.3f", allocations))")
        }
    }

    /// Speech-like test input: harmonic voiced sound with a moving pitch plus noise.
    func testSignal(seconds: Int) -> [Float] {
        var state: UInt64 = 12345
        return (0..<(48_000 * seconds)).map { n in
            let t = Double(n) / 48_000
            let pitch = 140 + 30 * sin(2 * .pi * 0.7 * t)
            var x = 0.0
            for h in 1...8 { x += sin(2 * .pi * pitch * Double(h) * t) / Double(h) }
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let noise = Double(state >> 40) / Double(1 << 24) - 0.5
            return Float(0.1 * x * (sin(2 * .pi * 2 * t) > 0 ? 1 : 0.05) + 0.02 * noise)
        }
    }

    func measure(signal: [Float], hop: Int) throws -> Result {
        let frontEnd = try SpeechFrontEnd(inputRate: 48_000)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: 256 * 256)
        defer { output.deallocate() }
        var position = 0
        var checksum: Float = 0
        return signal.withUnsafeBufferPointer { input in
            func step() {
                if position + hop > input.count { position = 0 }
                frontEnd.push(UnsafeBufferPointer(rebasing: input[position..<(position + hop)]))
                position += hop
                if let report = frontEnd.latestWindow(into: output) { checksum += output[1000] + report.speechFraction }
            }
            for _ in 0..<20 { step() }  // warm-up: fill the window, settle the resampler
            let allocationsBefore = alloc_counter_thread()
            let cpuBefore = MonotonicClock.threadCPUNanoseconds()
            for _ in 0..<windows { step() }
            let cpu = Double(MonotonicClock.threadCPUNanoseconds() - cpuBefore) * 1e-9
            let allocations = Double(alloc_counter_thread() - allocationsBefore) / Double(windows)
            if checksum.isNaN { print("checksum NaN") }
            return Result(windowsPerSecond: Double(windows) / cpu, allocationsPerWindow: allocations)
        }
    }
}
