import Appliance
import CAllocCounter
import Capture
import ControlPlane
import Display
import InferenceEngine
import Foundation
import MediaFormats
import Platform

/// Replays a session through the real-time loop (replay sources, front-end, model when
/// given, compositor, null screen) and reports what the appliance promises: frames dropped
/// and skipped, capture-to-display latency (compute only: the replay runs unpaced),
/// per-stage latency, CPU, peak RSS and heap allocations per frame in steady state.
struct ApplianceBenchmark {
    let session: String
    let minutes: Double
    let screenWidth: Int
    let screenHeight: Int
    /// Model bundle directory (nil: no model, the loop shows the image only).
    var modelDirectory: String? = nil
    /// OpenBLAS + backbone threads for the model.
    var modelThreads = 1

    func run() throws {
        let clock = ReplayClock(paced: false)
        let video = try ReplayVideoSource(path: session + "/video.avi", clock: clock, loop: true)
        let audio = try ReplayAudioSource(path: session + "/audio.wav", clock: clock, loop: true)
        let fps = video.reader.info.frameRate.framesPerSecond
        let frames = Int(minutes * 60 * fps)
        let screen = NullScreen(width: screenWidth, height: screenHeight)
        var model: BundleLocalisationModel?
        if let modelDirectory { model = try BundleLocalisationModel.load(directory: modelDirectory, threads: modelThreads) }
        let loop = try ApplianceLoop(video: video, audio: audio, audioThreaded: false, screen: screen, model: model)
        let modelText = model.map { "\($0.summary), \(modelThreads) thread(s), map \($0.mapWidth)x\($0.mapHeight)" } ?? "none"
        print("appliance replay: \(video.summary), \(String(format: "%.1f", minutes)) min = \(frames) frames, screen \(screen.summary), model: \(modelText)")

        let warmUp = min(300, frames / 10)
        for _ in 0..<warmUp { _ = try loop.step() }
        loop.metrics.resetLatenciesIdle()
        let before = loop.counters
        let allocationsBefore = alloc_counter_thread()
        let processAllocationsBefore = alloc_counter_total()
        let cpuBefore = MonotonicClock.threadCPUNanoseconds()
        let wallBefore = MonotonicClock.nanoseconds()
        for _ in warmUp..<frames { _ = try loop.step() }
        let cpu = Double(MonotonicClock.threadCPUNanoseconds() - cpuBefore) * 1e-9
        let wall = Double(MonotonicClock.nanoseconds() - wallBefore) * 1e-9
        let allocations = alloc_counter_thread() - allocationsBefore
        let processAllocations = alloc_counter_total() - processAllocationsBefore
        let after = loop.counters
        let measured = after.framesOut - before.framesOut

        func ms(_ seconds: Double?) -> String { String(format: "%7.2f", (seconds ?? 0) * 1000) }
        print("frames measured      \(measured) (after \(warmUp) warm-up)")
        print("frames dropped       \(after.framesDropped - before.framesDropped)   skipped (video branch) \(after.framesSkipped - before.framesSkipped)")
        print("speech windows       \(after.speechWindows - before.speechWindows) of \(after.audioWindows - before.audioWindows) audio windows")
        print("anatomy windows      \(after.anatomyWindows - before.anatomyWindows) of those (relevance head; all of them without one)")
        print("latency (ms)            p50     p99     max   (HDR histograms, 3 significant digits)")
        let (stages, captureToDisplay) = loop.metrics.latencySummariesIdle()
        for series in [captureToDisplay] + stages {
            print("  \(series.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(ms(series.p50Seconds)) \(ms(series.p99Seconds)) \(ms(series.maxSeconds))")
        }
        print("loop thread CPU      \(String(format: "%.2f", cpu)) s for \(String(format: "%.1f", Double(measured) / fps)) s of video "
              + "(\(String(format: "%.1f", 100 * cpu / (Double(measured) / fps))) % of one core at \(Int(fps)) fps; \(String(format: "%.0f", Double(measured) / wall)) frames/s unpaced)")
        print("peak RSS             \(String(format: "%.1f", Self.peakResidentMegabytes())) MB")
        print("heap allocations     \(allocations) in \(measured) frames = \(String(format: "%.4f", Double(allocations) / Double(max(measured, 1)))) per frame"
              + " (loop thread; all threads: \(processAllocations))")
    }

    /// VmHWM from /proc/self/status.
    static func peakResidentMegabytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kilobytes / 1024
        }
        return 0
    }
}
