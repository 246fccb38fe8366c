import ArgumentParser
import AudioFrontEnd
import Foundation
import InferenceEngine
import MediaFormats
import ShowTellModel

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Post-training int8 quantisation of a float bundle, calibrated on recorded sessions; writes an int8 bundle.",
        discussion: """
            Calibration runs the float planned graph (batch norm folded) on frames and 0.6 s audio \
            windows taken at evenly spaced times of each session, the way the appliance sees them, \
            and records every activation's range (min/max, a percentile, or the range with the least \
            squared quantisation error); bias correction then moves each int8 convolution's \
            per-channel output mean onto the float one. By default (--method auto) the recipe is \
            chosen by measurement: each is calibrated on three quarters of the inputs and the one \
            whose heatmap follows float best on the rest is used, on all inputs. With \
            --evaluate, the same is done on held-out sessions and int8 is compared with float: \
            audio embedding cosine and heatmap Pearson correlation (untrained bundles say so).
            """
    )

    @Argument(help: "Float model bundle directory.")
    var model: String

    @Option(parsing: .upToNextOption, help: "Recorded session folders to calibrate on.")
    var calibrate: [String]

    @Option(help: "Int8 bundle directory to write (replaced atomically).")
    var out: String

    @Option(help: "Calibration method: auto (tries min/max and least-squared-error ranges for the video branch, with and without bias correction, and keeps the one whose heatmap follows float best on a quarter of the calibration inputs held back), minmax, percentile or mse (the range with the least squared quantisation error, each end of min/max shrunk by its own factor).")
    var method = "auto"

    @Option(help: "Calibration method of the audio branch when --method is not auto (default: the same as --method).")
    var audioMethod: String?

    @Option(help: "Percentile for --method percentile (of each tensor's values; the low end uses 100 - p).")
    var percentile = 99.99

    @Option(help: "Frame/window pairs taken from each session.")
    var samplesPerSession = 24

    @Flag(help: "With --method other than auto: empirical bias correction (each int8 convolution's per-channel output mean moved onto the float one on the calibration inputs).")
    var biasCorrection = false

    @Option(parsing: .upToNextOption, help: "Held-out session folders to compare int8 with float on (optional).")
    var evaluate: [String] = []

    @Option(help: "Frame/window pairs taken from each --evaluate session (default: --samples-per-session).")
    var evaluateSamplesPerSession: Int?

    func validate() throws {
        guard !calibrate.isEmpty else { throw ValidationError("--calibrate needs at least one session folder") }
        if method != "auto", Self.method(method, percentile: percentile) == nil {
            throw ValidationError("--method must be auto, minmax, percentile or mse (got \(method))")
        }
        if let audioMethod, Self.method(audioMethod, percentile: percentile) == nil {
            throw ValidationError("--audio-method must be minmax, percentile or mse (got \(audioMethod))")
        }
        if method == "auto", audioMethod != nil || biasCorrection {
            throw ValidationError("--audio-method and --bias-correction choose a recipe by hand: give them with --method minmax, percentile or mse, not auto")
        }
        guard percentile > 50, percentile <= 100 else { throw ValidationError("--percentile must be in (50, 100]") }
        guard samplesPerSession >= 1 else { throw ValidationError("--samples-per-session must be at least 1") }
        guard (evaluateSamplesPerSession ?? 1) >= 1 else { throw ValidationError("--evaluate-samples-per-session must be at least 1") }
    }

    /// One way to quantise: the video and audio calibration methods and bias correction.
    struct Recipe: CustomStringConvertible {
        var video: Calibration.Method, audio: Calibration.Method, biasCorrection: Bool
        var description: String {
            Calibration(methods: [video, audio], slotCounts: [0, 0]).description + (biasCorrection ? ", empirical bias correction" : "")
        }
    }

    /// The recipes `--method auto` tries: min/max or least-squared-error ranges for the video
    /// branch, each with and without bias correction; the audio branch stays min/max (fitted
    /// audio ranges cost the shipped model's audio embedding cosine 0.999 -> 0.96).
    static let autoRecipes = [Calibration.Method.minMax, .meanSquaredError].flatMap { video in
        [false, true].map { Recipe(video: video, audio: .minMax, biasCorrection: $0) }
    }

    func run() throws {
        let source = try ModelBundle.load(directory: model)
        let network = source.network
        var samples = [Sample]()
        for session in calibrate { samples += try Self.samples(session, count: samplesPerSession) }
        let plans = PlannedInference.plans(for: network)
        let float = PlannedInference(network: network)
        let kind = Localisation.kind(described: source.manifest.outputs?.localisation)
        func quantise(_ recipe: Recipe, on inputs: [Sample]) -> (NetworkQuantization, Calibration) {
            let spectrograms = inputs.map(\.spectrogram), frames = inputs.map { ($0.frame.pixels, $0.frame.width, $0.frame.height) }
            var (quantization, calibration) = NetworkQuantization.calibrate(
                plans: plans, method: recipe.video, audioMethod: recipe.audio, spectrograms: spectrograms, frames: frames)
            if recipe.biasCorrection { quantization = quantization.correctingBiases(plans: plans, spectrograms: spectrograms, frames: frames) }
            return (quantization, calibration)
        }
        var recipe: Recipe
        if method == "auto" {
            // Each recipe calibrated on three quarters of the inputs and judged on the rest
            // (every fourth) by the heatmap's Pearson correlation with float.
            let fit = samples.indices.filter { $0 % 4 != 3 }.map { samples[$0] }, check = samples.indices.filter { $0 % 4 == 3 }.map { samples[$0] }
            guard !fit.isEmpty, !check.isEmpty else { throw ValidationError("--method auto needs at least 4 inputs (--samples-per-session x sessions); use --method minmax") }
            var best: (Recipe, Double)?
            for candidate in Self.autoRecipes {
                let int8 = PlannedInference(network: network, quantization: quantise(candidate, on: fit).0)
                let score = Self.compare(float, int8, on: check, kind: kind)
                print(String(format: "  %@: heatmap Pearson %.4f (min %.4f), audio cosine %.5f on %d held-back inputs",
                             candidate.description as NSString, score.pearson, score.minimumPearson, score.cosine, check.count))
                if best == nil || score.pearson > best!.1 { best = (candidate, score.pearson) }
            }
            recipe = best!.0
            print("chosen: \(recipe)")
        } else {
            recipe = Recipe(video: Self.method(method, percentile: percentile)!, audio: Self.method(audioMethod ?? method, percentile: percentile)!,
                            biasCorrection: biasCorrection)
        }
        let (quantization, calibration) = quantise(recipe, on: samples)
        let manifest = try Int8Bundle.write(source: source, quantization: quantization, method: calibration.description, calibrationInputs: calibration.inputs,
                                            sessions: calibrate, biasCorrected: recipe.biasCorrection, to: out)
        print("wrote \(out): int8 \(manifest.backbones), D = \(manifest.embeddingDimension), calibrated (\(recipe)) on \(calibration.inputs) inputs from \(calibrate.count) session(s), \(manifest.bytes ?? 0) bytes, sha256 \(manifest.sha256)")
        guard !evaluate.isEmpty else { return }
        // Compare what was written (loaded back through the verifying loader) with the float plan.
        let int8 = try Int8Bundle.load(directory: out).inference
        let held = try evaluate.flatMap { try Self.samples($0, count: evaluateSamplesPerSession ?? samplesPerSession) }
        let score = Self.compare(float, int8, on: held, kind: kind)
        let label = source.manifest.trained ? "" : " (UNTRAINED bundle: figures show quantisation error only, not accuracy)"
        print(String(format: "int8 vs float on %d held-out pairs%@: audio embedding cosine mean %.5f (min %.5f), heatmap (%@) Pearson mean %.4f (min %.4f), same peak cell %d/%d",
                     held.count, label as NSString, score.cosine, score.minimumCosine, (kind == .cosine ? "cosine" : "dot product") as NSString,
                     score.pearson, score.minimumPearson, score.samePeak, held.count))
    }

    /// int8 against float on `samples`: audio embedding cosine, Pearson correlation of the map
    /// the box draws from this bundle (`kind`: the fusion's dot product for trained bundles,
    /// cosine for untrained ones), and how often the peak cell is the same.
    static func compare(_ float: PlannedInference, _ int8: PlannedInference, on samples: [Sample], kind: Localisation.Kind)
        -> (cosine: Double, minimumCosine: Double, pearson: Double, minimumPearson: Double, samePeak: Int) {
        var cosines = [Double](), correlations = [Double](), samePeak = 0
        let d = float.embeddingDimension, cells = float.mapWidth * float.mapHeight
        for sample in samples {
            var heat = [[Float]](), audios = [[Float]]()
            for engine in [float, int8] {
                var audio = [Float](repeating: 0, count: d), map = [Float](repeating: 0, count: d * cells)
                sample.spectrogram.withUnsafeBufferPointer { engine.audioEmbedding($0.baseAddress!, into: &audio) }
                sample.frame.pixels.withUnsafeBufferPointer { f in
                    map.withUnsafeMutableBufferPointer { engine.videoMap(f.baseAddress!, width: sample.frame.width, height: sample.frame.height, into: $0.baseAddress!) }
                }
                var h = [Float](repeating: 0, count: cells)
                Localisation.map(kind, audio: audio, map: map, dimension: d, cells: cells, into: &h)
                heat.append(h)
                audios.append(audio)
            }
            cosines.append(cosine(audios[0], audios[1]))
            correlations.append(pearson(heat[0], heat[1]))
            if heat[0].indices.max(by: { heat[0][$0] < heat[0][$1] }) == heat[1].indices.max(by: { heat[1][$0] < heat[1][$1] }) { samePeak += 1 }
        }
        let mean = { (v: [Double]) in v.reduce(0, +) / Double(max(v.count, 1)) }
        return (mean(cosines), cosines.min() ?? 0, mean(correlations), correlations.min() ?? 0, samePeak)
    }

    static func method(_ name: String, percentile: Double) -> Calibration.Method? {
        switch name {
        case "minmax": return .minMax
        case "percentile": return .percentile(percentile)
        case "mse": return .meanSquaredError
        default: return nil
        }
    }

    struct Sample {
        var spectrogram: [Float]
        var frame: Image8
    }

    /// `count` (frame, standardised spectrogram window ending at the frame's time) pairs at
    /// evenly spaced times of a session (after the first second, so a window exists).
    static func samples(_ path: String, count: Int) throws -> [Sample] {
        let session = try SessionFolder(path: path).open()
        let clip = session.audio
        let frontEnd = try SpeechFrontEnd(inputRate: clip.sampleRate)
        let duration = min(clip.duration, session.video.time(ofFrame: max(0, session.video.frameCount - 1)))
        guard duration > 1.2 else { throw ValidationError("\(path): session is \(duration) s long; calibration needs more than 1.2 s") }
        var samples = [Sample]()
        var pushed = 0
        let side = ShowTellNetwork.spectrogramSize
        for i in 0..<count {
            let time = 1.0 + (duration - 1.1) * Double(i) / Double(max(1, count - 1)) * (count > 1 ? 1 : 0)
            let target = min(clip.frameCount, Int(time * Double(clip.sampleRate)))
            while pushed < target {
                let n = min(target - pushed, 24_000)
                clip.samples.withUnsafeBufferPointer { all in
                    frontEnd.push(interleaved: UnsafeBufferPointer(rebasing: all[(pushed * clip.channels)..<((pushed + n) * clip.channels)]), channels: clip.channels)
                }
                pushed += n
            }
            var spectrogram = [Float](repeating: 0, count: side * side)
            guard spectrogram.withUnsafeMutableBufferPointer({ frontEnd.latestWindow(into: $0.baseAddress!, standardised: true) }) != nil else { continue }
            let frameIndex = min(session.video.frameCount - 1, Int((time * session.manifest.fps).rounded()))
            samples.append(Sample(spectrogram: spectrogram, frame: try session.video.decodeFrame(frameIndex)))
        }
        guard !samples.isEmpty else { throw ValidationError("\(path): no audio window could be taken") }
        return samples
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices { dot += Double(a[i]) * Double(b[i]); na += Double(a[i] * a[i]); nb += Double(b[i] * b[i]) }
        return dot / max((na * nb).squareRoot(), 1e-30)
    }

    static func pearson(_ a: [Float], _ b: [Float]) -> Double {
        let ma = a.reduce(0.0) { $0 + Double($1) } / Double(a.count), mb = b.reduce(0.0) { $0 + Double($1) } / Double(b.count)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            let x = Double(a[i]) - ma, y = Double(b[i]) - mb
            sab += x * y; saa += x * x; sbb += y * y
        }
        return sab / max((saa * sbb).squareRoot(), 1e-30)
    }
}
