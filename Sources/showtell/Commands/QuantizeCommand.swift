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
            and records every activation's range (min/max, or the given percentile). With \
            --bias-correction, each int8 convolution's per-channel output mean is then moved onto \
            the float one on the same inputs. With \
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

    @Option(help: "Calibration method: minmax or percentile.")
    var method = "minmax"

    @Option(help: "Percentile for --method percentile (of each tensor's values; the low end uses 100 - p).")
    var percentile = 99.99

    @Option(help: "Frame/window pairs taken from each session.")
    var samplesPerSession = 24

    @Flag(help: "Empirical bias correction: each int8 convolution's per-channel output mean moved onto the float one on the calibration inputs (on the shipped model: audio cosine up, heatmap Pearson down; README: int8).")
    var biasCorrection = false

    @Option(parsing: .upToNextOption, help: "Held-out session folders to compare int8 with float on (optional).")
    var evaluate: [String] = []

    func validate() throws {
        guard !calibrate.isEmpty else { throw ValidationError("--calibrate needs at least one session folder") }
        guard method == "minmax" || method == "percentile" else { throw ValidationError("--method must be minmax or percentile") }
        guard percentile > 50, percentile <= 100 else { throw ValidationError("--percentile must be in (50, 100]") }
        guard samplesPerSession >= 1 else { throw ValidationError("--samples-per-session must be at least 1") }
    }

    func run() throws {
        let source = try ModelBundle.load(directory: model)
        let network = source.network
        let chosen: Calibration.Method = method == "minmax" ? .minMax : .percentile(percentile)
        var spectrograms = [[Float]](), frames = [(pixels: [UInt8], width: Int, height: Int)]()
        for session in calibrate {
            let samples = try Self.samples(session, count: samplesPerSession)
            spectrograms += samples.map(\.spectrogram)
            frames += samples.map { ($0.frame.pixels, $0.frame.width, $0.frame.height) }
        }
        let plans = PlannedInference.plans(for: network)
        var (quantization, calibration) = NetworkQuantization.calibrate(plans: plans, method: chosen, spectrograms: spectrograms, frames: frames)
        if biasCorrection {
            quantization = quantization.correctingBiases(plans: plans, spectrograms: spectrograms, frames: frames)
        }
        let manifest = try Int8Bundle.write(source: source, quantization: quantization, method: chosen, calibrationInputs: calibration.inputs,
                                            sessions: calibrate, biasCorrected: biasCorrection, to: out)
        print("wrote \(out): int8 \(manifest.backbone), D = \(manifest.embeddingDimension), calibrated (\(chosen)) on \(calibration.inputs) inputs from \(calibrate.count) session(s), \(manifest.bytes ?? 0) bytes, sha256 \(manifest.sha256)")
        guard !evaluate.isEmpty else { return }
        // Compare what was written (loaded back through the verifying loader) with the float plan.
        let int8 = try Int8Bundle.load(directory: out).inference
        let float = PlannedInference(network: network)
        var cosines = [Double](), correlations = [Double](), samePeak = 0
        let d = network.embeddingDimension, cells = float.mapWidth * float.mapHeight
        // The map the box draws from this bundle (the manifest's rule: the fusion's dot product
        // for trained bundles, cosine for untrained ones).
        let kind = Localisation.kind(described: source.manifest.outputs?.localisation)
        for session in evaluate {
            for sample in try Self.samples(session, count: samplesPerSession) {
                var heat = [[Float]]()
                var audios = [[Float]]()
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
                cosines.append(Self.cosine(audios[0], audios[1]))
                correlations.append(Self.pearson(heat[0], heat[1]))
                if heat[0].indices.max(by: { heat[0][$0] < heat[0][$1] }) == heat[1].indices.max(by: { heat[1][$0] < heat[1][$1] }) { samePeak += 1 }
            }
        }
        let label = source.manifest.trained ? "" : " (UNTRAINED bundle: figures show quantisation error only, not accuracy)"
        let mean = { (v: [Double]) in v.reduce(0, +) / Double(v.count) }
        print(String(format: "int8 vs float on %d held-out pairs%@: audio embedding cosine mean %.5f (min %.5f), heatmap (%@) Pearson mean %.4f (min %.4f), same peak cell %d/%d",
                     cosines.count, label as NSString, (kind == .cosine ? "cosine" : "dot product") as NSString, mean(cosines), cosines.min()!, mean(correlations), correlations.min()!, samePeak, cosines.count))
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
