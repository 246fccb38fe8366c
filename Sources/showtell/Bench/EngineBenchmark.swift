import ArgumentParser
import CAllocCounter
import CInt8Kernels
import Foundation
import InferenceEngine
import NeuralCore
import Platform
import ShowTellModel

struct EngineBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Inference engine per branch: training-engine float vs planned float vs planned int8 (one thread, and more with --int8-threads), medians, int8 MAC/s as a share of the kernel family's peak, heap allocations per call.",
        discussion: """
            Engines run interleaved (one call of each per round) so machine noise hits all alike; \
            compare ratios, not absolute times. The int8 model is calibrated (min/max) on the \
            golden inputs: speed does not depend on the calibration. Peak = the family's \
            MAC/cycle x the clock (--ghz, default /proc/cpuinfo's cpu MHz). Untrained weights \
            unless --model names a trained bundle.
            """
    )

    @Option(help: "Backbones to measure (comma-separated): tiny, edge, edge-local, edge-local-os8, paper.")
    var backbone = "edge,paper"

    @Option(help: "Joint embedding dimension D (when no --model).")
    var dimension = 128

    @Option(help: "Model bundle (float) to measure instead of an untrained network.")
    var model: String?

    @Option(help: "Rounds (each runs every engine once per branch); medians are reported.")
    var runs = 7

    @Option(help: "Int8 kernel family (generic, avx2, avx512bw, avxvnni, avx512vnni, neon, neondot); default: the best this CPU runs.")
    var family: String?

    @Option(help: "Core clock in GHz for the share of peak (default: /proc/cpuinfo).")
    var ghz: Double?

    @Option(help: "Thread counts of the int8 engine, comma-separated (each layer split across them; the float engines run one thread).")
    var int8Threads = "1"

    var threadCounts: [Int] { int8Threads.split(separator: ",").compactMap { Int($0) } }

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ (1...8).contains($0) }),
              threadCounts.count == int8Threads.split(separator: ",").count else {
            throw ValidationError("--int8-threads: comma-separated thread counts from 1 to 8, such as 1,2")
        }
        for name in backbone.split(separator: ",") where ResNeXtConfiguration.named(String(name)) == nil {
            throw ValidationError("--backbone: \"\(name)\" is not one of \(ResNeXtConfiguration.names)")
        }
    }

    func run() throws {
        ShowTellNetwork.setBLASThreads(1)
        let chosen: st_q8_family
        if let family {
            guard let match = (0..<Int(ST_Q8_FAMILY_COUNT.rawValue)).map({ st_q8_family(rawValue: UInt32($0)) })
                .first(where: { String(cString: st_q8_family_name($0)) == family })
            else { throw ValidationError("--family: unknown family \"\(family)\"") }
            guard st_q8_family_supported(match) != 0 else {
                throw ValidationError("--family \(family): this CPU lacks \(String(cString: st_q8_family_requirement(match)))")
            }
            chosen = match
        } else {
            chosen = st_q8_best_family()
        }
        let clock = ghz ?? Self.cpuGHz()
        let peak = st_q8_family_peak_macs_per_cycle(chosen) * clock * 1e9
        print("int8 family \(String(cString: st_q8_family_name(chosen))), peak \(String(format: "%.0f", st_q8_family_peak_macs_per_cycle(chosen))) MAC/cycle x \(String(format: "%.2f", clock)) GHz = \(String(format: "%.1f", peak / 1e9)) GMAC/s per thread; \(runs) rounds, medians")
        print("backbone  branch  engine                   ms   vs training   GMAC/s  peak%  allocs/call")
        let networks: [ShowTellNetwork]
        if let model {
            networks = [try ModelBundle.load(directory: model).network]
        } else {
            networks = backbone.split(separator: ",").map {
                ShowTellNetwork(backbone: ResNeXtConfiguration.named(String($0))!, embeddingDimension: dimension, seed: 0)
            }
        }
        for network in networks { measure(network, family: chosen, peak: peak) }
    }

    private func measure(_ network: ShowTellNetwork, family: st_q8_family, peak: Double) {
        let plans = PlannedInference.plans(for: network)
        let golden = GoldenInference.frame()
        let quantization = NetworkQuantization.calibrate(
            plans: plans, method: .minMax, spectrograms: [GoldenInference.spectrogram()],
            frames: [(golden, GoldenInference.frameWidth, GoldenInference.frameHeight)]).0
        var engines: [(String, ShowTellBranches)] = [
            ("float (training engine)", ShowTellInference(network: network)),
            ("float (planned)", PlannedInference(network: network)),
        ]
        for threads in threadCounts {
            engines.append((threads == 1 ? "int8 (planned)" : "int8 (planned, \(threads) thr)",
                            PlannedInference(network: network, quantization: quantization, family: family, threads: threads)))
        }
        let d = network.embeddingDimension
        let cells = engines[0].1.mapWidth * engines[0].1.mapHeight
        let audio = UnsafeMutablePointer<Float>.allocate(capacity: d), map = UnsafeMutablePointer<Float>.allocate(capacity: d * cells)
        defer { audio.deallocate(); map.deallocate() }
        let spectrogram = GoldenInference.spectrogram()
        // [engine][branch] times (ms) and allocations per call
        var times = [[[Double]]](repeating: [[], []], count: engines.count)
        var allocations = [[UInt64]](repeating: [0, 0], count: engines.count)
        spectrogram.withUnsafeBufferPointer { s in
            golden.withUnsafeBufferPointer { f in
                for (_, engine) in engines {  // warm-up
                    engine.audioEmbedding(s.baseAddress!, into: audio)
                    engine.videoMap(f.baseAddress!, width: GoldenInference.frameWidth, height: GoldenInference.frameHeight, into: map)
                }
                for _ in 0..<runs {
                    for (index, (_, engine)) in engines.enumerated() {
                        // Counter and clock read right around the call (the appends below may allocate).
                        var a0 = alloc_counter_thread()
                        var t0 = MonotonicClock.seconds()
                        engine.videoMap(f.baseAddress!, width: GoldenInference.frameWidth, height: GoldenInference.frameHeight, into: map)
                        var t1 = MonotonicClock.seconds()
                        var a1 = alloc_counter_thread()
                        times[index][0].append(1000 * (t1 - t0))
                        allocations[index][0] = max(allocations[index][0], a1 - a0)
                        a0 = alloc_counter_thread()
                        t0 = MonotonicClock.seconds()
                        engine.audioEmbedding(s.baseAddress!, into: audio)
                        t1 = MonotonicClock.seconds()
                        a1 = alloc_counter_thread()
                        times[index][1].append(1000 * (t1 - t0))
                        allocations[index][1] = max(allocations[index][1], a1 - a0)
                    }
                }
            }
        }
        let macs = [plans.video.multiplyAdds, plans.audio.multiplyAdds]
        for (branch, name) in ["video", "audio"].enumerated() {
            let reference = median(times[0][branch])
            for (index, (engine, _)) in engines.enumerated() {
                let ms = median(times[index][branch])
                let rate = Double(macs[branch]) / (ms / 1000)
                let share = index >= 2 ? String(format: "%5.1f", 100 * rate / (peak * Double(threadCounts[index - 2]))) : "    -"
                print(String(format: "%-9@ %-7@ %-23@ %8.2f %9.2fx %8.2f  %@ %8d", network.backbone.name as NSString, name as NSString,
                             engine as NSString, ms, reference / ms, rate / 1e9, share as NSString, allocations[index][branch]))
            }
        }
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func cpuGHz() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return 2 }
        for line in text.split(separator: "\n") where line.hasPrefix("cpu MHz") {
            if let value = Double(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) { return value / 1000 }
        }
        return 2
    }
}
