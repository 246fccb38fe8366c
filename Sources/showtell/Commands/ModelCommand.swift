import Appliance
import ArgumentParser
import CAllocCounter
import CInt8Kernels
import Foundation
import InferenceEngine
import NeuralCore
import Platform
import ShowTellModel

/// Model bundles: make an untrained one, show what one holds, verify one on this box.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Model bundles (model.safetensors + manifest.json): init, info, verify, export.",
        subcommands: [ModelInitCommand.self, ModelInfoCommand.self, ModelVerifyCommand.self, ModelExportCommand.self]
    )
}

struct ModelExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a bundle as an ONNX model (opset 13; int8 bundles in QDQ form) for other engines (onnxruntime, TensorRT, OpenVINO).",
        discussion: """
            One graph, both branches, batch norm folded. Inputs (NCHW float32): frame [1,1,224,224] \
            (after the front-end contract's resize, centre crop and normalisation) and spectrogram \
            [1,1,256,256] (standardised log-spectrogram). Outputs: video_map [1,D,h,w] and \
            audio_embedding [1,D]; the heatmap is their per-cell dot product. An int8 bundle is \
            written in QDQ form (QuantizeLinear/DequantizeLinear around every activation the int8 \
            engine stores, int8 weights with per-channel scales, int32 biases; the SE gate and \
            the audio head float). The bundle is verified first (checksum, golden inference).
            """
    )

    @Argument(help: "Model bundle directory (float or int8).")
    var bundle: String

    @Option(help: "ONNX file to write (replaced atomically).")
    var onnx: String

    @Option(help: "Branches to write: both, video or audio (one branch: for timing it alone).")
    var branch = "both"

    func validate() throws {
        guard ["both", "video", "audio"].contains(branch) else { throw ValidationError("--branch must be both, video or audio (got \(branch))") }
    }

    func run() throws {
        let manifest: ModelManifest
        do { manifest = try ModelBundle.readManifest(directory: bundle) } catch { throw ValidationError("\(error)") }
        let plans: (video: BranchPlan, audio: BranchPlan)
        var quantization: NetworkQuantization?
        do {
            if manifest.precision == "int8" {
                _ = try Int8Bundle.load(directory: bundle)  // checksum and golden inference first
                let parts = try Int8Bundle.read(directory: bundle)
                plans = PlannedInference.plans(for: parts.network)
                quantization = parts.quantization
            } else {
                plans = PlannedInference.plans(for: try ModelBundle.load(directory: bundle).network)
            }
        } catch { throw ValidationError("\(error)") }
        let form = quantization == nil ? "float" : "int8 (QDQ)"
        let bytes = ONNXExport.model(video: branch == "audio" ? nil : plans.video, audio: branch == "video" ? nil : plans.audio, quantization: quantization, producer: "showtell \(ShowTellVersion.string)",
                                     docString: "ShowTell \(manifest.backbones), D = \(manifest.embeddingDimension), \(form), bundle sha256 \(manifest.sha256); heatmap = per-cell dot product of video_map and audio_embedding")
        do { try FileIO.writeAtomically(onnx, bytes) } catch { throw ValidationError("\(onnx): \(error)") }
        print("wrote \(onnx): ONNX opset \(ONNXExport.opset), \(form), \(branch == "both" ? "both branches" : branch + " branch"), \(bytes.count) bytes, from \(bundle) (sha256 \(manifest.sha256.prefix(12))…)")
    }
}

struct ModelInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write an untrained bundle (random weights from --seed; the same seed gives the same model.safetensors).",
        discussion: "Set SOURCE_DATE_EPOCH to make manifest.json reproducible too."
    )

    @Option(help: "Backbone: tiny, edge, edge-local, edge-local-os8 or paper.")
    var backbone = "edge"

    @Option(help: "The audio branch's own backbone (same names; default: --backbone's), as `showtell train --audio-config` makes.")
    var audioBackbone: String?

    @Option(help: "Joint embedding dimension D.")
    var dimension = 128

    @Option(help: "Seed of the random initialisation.")
    var seed: UInt64 = 0

    @Option(help: "Bundle directory to create (an existing bundle there is replaced atomically).")
    var out: String

    @Option(help: "Free text stored in the manifest.")
    var notes = "untrained: random initialisation for bring-up and benchmarks; localisation is meaningless"

    func validate() throws {
        for (option, name) in [("--backbone", backbone), ("--audio-backbone", audioBackbone)] {
            guard let name, ResNeXtConfiguration.named(name) == nil else { continue }
            throw ValidationError("\(option) must be one of \(ResNeXtConfiguration.names)")
        }
        guard (1...4096).contains(dimension) else { throw ValidationError("--dimension must be in 1...4096") }
    }

    func run() throws {
        let network = ShowTellNetwork(backbone: ResNeXtConfiguration.named(backbone)!, audioBackbone: audioBackbone.flatMap(ResNeXtConfiguration.named),
                                      embeddingDimension: dimension, seed: seed)
        let manifest = try ModelBundle.write(network: network, trained: false, notes: notes + " (seed \(seed))",
                                             producer: "showtell \(ShowTellVersion.string) model init", to: out)
        print("wrote \(out): \(manifest.backbones), D = \(manifest.embeddingDimension), \(manifest.parameters) parameters, "
              + "\(manifest.bytes ?? 0) bytes, sha256 \(manifest.sha256)")
    }
}

struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a bundle's manifest (does not read the weights; use verify for that)."
    )

    @Argument(help: "Bundle directory.")
    var directory: String

    @Flag(help: "Print the manifest as JSON.")
    var json = false

    func run() throws {
        let manifest: ModelManifest
        do { manifest = try ModelBundle.readManifest(directory: directory) } catch {
            Console.error("showtell model info: \(error)\n")
            throw ExitCode(2)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(manifest), as: UTF8.self))
            return
        }
        func shape(_ name: String, _ architecture: ModelManifest.Architecture?) -> String {
            name + (architecture.map { ", widths \($0.outWidths), cardinality \($0.cardinality), \($0.outputChannels) channels" } ?? "")
        }
        var rows: [(String, String)] = [("bundle", directory), ("format", manifest.format), ("backbone", shape(manifest.backbone, manifest.architecture))]
        if let audio = manifest.audioBackbone { rows.append(("audio backbone", shape(audio, manifest.audioArchitecture))) }
        rows += [
            ("embedding dimension", String(manifest.embeddingDimension)),
            ("precision", manifest.precision ?? "float32"),
            ("trained", manifest.trained ? "yes" : "NO (untrained: the screen shows UNTRAINED MODEL)"),
            ("parameters", String(manifest.parameters)),
            ("created", manifest.created),
            ("weights", "\(ModelBundle.weightsFile), \(manifest.bytes.map { "\($0) bytes" } ?? "size not recorded")"),
            ("sha256", manifest.sha256),
        ]
        if let outputs = manifest.outputs {
            rows.append(("outputs", "a \(outputs.audioEmbedding), V \(outputs.videoMap), \(outputs.localisation)"))
            rows.append(("relevance head", outputs.relevance.map { "p(anatomy) ≥ \($0.threshold) shows the heatmap; \($0.taughtBy)" }
                ?? "none (every sonographer speech window drives the heatmap)"))
        }
        if let mask = manifest.inputs?.video.liveImageMask {
            rows.append(("live-image mask", "on: screen furniture masked (change > \(mask.thresholdGray) grey levels, dilated \(mask.dilation) px)"))
        }
        if let video = manifest.inputs?.video {
            rows.append(("video input", "\(video.frame) -> \(video.resize[0])x\(video.resize[1]) -> crop \(video.crop[0])x\(video.crop[1]), (x/255 - \(video.pixelMean)) / \(video.pixelStd)"))
        }
        if let audio = manifest.inputs?.audio {
            rows.append(("audio input", "\(audio.windowSeconds) s at \(audio.sampleRate) Hz -> \(audio.spectrogram[0])x\(audio.spectrogram[1]) log-spectrogram, \(audio.standardisation)"))
        }
        if let training = manifest.training {
            var parts = [String]()
            if let run = training.runID { parts.append("run \(run)") }
            if let dataset = training.dataset { parts.append("data \(dataset)") }
            if let sessions = training.sessions { parts.append("\(sessions) sessions") }
            if let epochs = training.epochs { parts.append("\(epochs) epochs") }
            if let metrics = training.metrics { parts += metrics.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" } }
            rows.append(("training", parts.joined(separator: ", ")))
        }
        if let golden = manifest.golden {
            rows.append(("golden norms", String(format: "|a| %.6g, |V| %.6g", golden.audioNorm, golden.videoNorm)))
        }
        if let producer = manifest.producer { rows.append(("producer", producer)) }
        if !manifest.notes.isEmpty { rows.append(("notes", manifest.notes)) }
        let width = rows.map(\.0.count).max() ?? 0
        for (key, value) in rows { print(key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
    }
}

struct ModelVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a bundle: manifest, size, SHA-256, every tensor, no NaN/Inf, then golden inference (norms against the manifest, ms per branch).",
        discussion: "Exits 1 with the reason when the bundle cannot be used. Set OPENBLAS_CORETYPE=Haswell where OpenBLAS misdetects the CPU (as the systemd unit does)."
    )

    @Argument(help: "Bundle directory.")
    var directory: String

    @Option(help: "Threads (OpenBLAS and the backbones' own loops).")
    var threads = 1

    @Option(help: "Timed runs of each branch (the median is reported).")
    var runs = 5

    func validate() throws {
        guard threads >= 1, runs >= 1 else { throw ValidationError("--threads and --runs must be at least 1") }
    }

    func run() throws {
        let start = MonotonicClock.seconds()
        // The appliance's own loader: manifest, size, SHA-256, every tensor, then the golden
        // inference on the engine of the bundle's precision (float32, or int8 on this CPU's
        // best kernel family).
        let model: BundleLocalisationModel
        do { model = try BundleLocalisationModel.load(directory: directory, threads: threads) } catch {
            Console.error("showtell model verify: FAILED: \(error)\n")
            throw ExitCode(1)
        }
        let loaded = MonotonicClock.seconds()
        let manifest = model.manifest, inference = model.branches
        print("load      ok   \(manifest.backbones) \(inference.precision), D = \(manifest.embeddingDimension), \(manifest.parameters) parameters, "
              + "sha256 \(manifest.sha256.prefix(16))… (\(String(format: "%.0f", 1000 * (loaded - start))) ms, golden inference included)")
        let measured = GoldenInference.run(inference)
        let reference = manifest.golden == nil ? "(manifest has no golden values: not compared)" : "match the manifest"
        print("golden    ok   |a| = \(String(format: "%.6g", measured.audioNorm)), |V| = \(String(format: "%.6g", measured.videoNorm)) \(reference)")
        if let planned = inference as? PlannedInference, let family = planned.family {
            print("kernels   \(String(cString: st_q8_family_name(family))) (the best int8 family this CPU runs)")
        }

        // Time each branch on the golden inputs (after the golden run's warm-up).
        let d = inference.embeddingDimension, cells = inference.mapWidth * inference.mapHeight
        let spectrogram = GoldenInference.spectrogram(), frame = GoldenInference.frame()
        let audio = UnsafeMutablePointer<Float>.allocate(capacity: d)
        let map = UnsafeMutablePointer<Float>.allocate(capacity: d * cells)
        defer { audio.deallocate(); map.deallocate() }
        func median(_ body: () -> Void) -> Double {
            var times = [Double]()
            for _ in 0..<runs {
                let t0 = MonotonicClock.seconds()
                body()
                times.append(1000 * (MonotonicClock.seconds() - t0))
            }
            return times.sorted()[times.count / 2]
        }
        let audioMs = spectrogram.withUnsafeBufferPointer { s in median { inference.audioEmbedding(s.baseAddress!, into: audio) } }
        let videoMs = frame.withUnsafeBufferPointer { f in
            median { inference.videoMap(f.baseAddress!, width: GoldenInference.frameWidth, height: GoldenInference.frameHeight, into: map) }
        }
        // Heap allocations of one more call each (the hot path must make none).
        var allocations = alloc_counter_thread()
        spectrogram.withUnsafeBufferPointer { inference.audioEmbedding($0.baseAddress!, into: audio) }
        let audioAllocations = alloc_counter_thread() - allocations
        allocations = alloc_counter_thread()
        frame.withUnsafeBufferPointer {
            inference.videoMap($0.baseAddress!, width: GoldenInference.frameWidth, height: GoldenInference.frameHeight, into: map)
        }
        let videoAllocations = alloc_counter_thread() - allocations
        let arenas = (inference as? ShowTellInference).map { ", arenas \(String(format: "%.1f", Double($0.arenaFloats) * 4 / 1_048_576)) MB" } ?? ""
        print("timing    audio \(String(format: "%.1f", audioMs)) ms, video \(String(format: "%.1f", videoMs)) ms per call "
              + "(median of \(runs), \(threads) thread(s), map \(inference.mapWidth)x\(inference.mapHeight)\(arenas))")
        print("heap      \(audioAllocations) allocations per audio call, \(videoAllocations) per video call"
              + (alloc_counter_active() == 1 ? "" : " (counter inactive)"))
        if !manifest.trained { print("note      the bundle is UNTRAINED: it runs, but its heatmaps mean nothing") }
        print("verify    ok")
    }
}
