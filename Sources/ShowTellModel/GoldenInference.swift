/// A fixed synthetic input pair run through a bundle when it is written and again when it
/// is verified (`showtell model verify`, the self-test): equal outputs mean the weights were
/// read and the inference path computes what it computed on the machine that wrote them.
/// Compared with a tolerance, since OpenBLAS kernels differ by CPU in rounding.
public enum GoldenInference {
    public static let frameWidth = 320
    public static let frameHeight = 240
    /// Values of each output recorded in the manifest.
    public static let headCount = 8
    public static let relativeTolerance = 1e-3

    /// [256][256], standardised-looking: harmonics rising over time plus a fixed ripple.
    public static func spectrogram() -> [Float] {
        let n = ShowTellNetwork.spectrogramSize
        var values = [Float](repeating: 0, count: n * n)
        for bin in 0..<n {
            for column in 0..<n {
                let pitch = 20 + column / 16
                let harmonic = bin % pitch < 2 ? Float(2) : Float(-0.5)
                values[bin * n + column] = harmonic + 0.3 * Float(((bin * 7 + column * 13) % 17) - 8) / 8
            }
        }
        return values
    }

    /// 320×240 gray8: a bright disc (an "anatomy") on a depth gradient with a fixed texture.
    public static func frame() -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: frameWidth * frameHeight)
        for y in 0..<frameHeight {
            for x in 0..<frameWidth {
                let dx = x - 200, dy = y - 100
                let disc = dx * dx + dy * dy < 40 * 40 ? 120 : 0
                let value = 30 + y / 3 + disc + ((x * 31 + y * 17) % 23)
                pixels[y * frameWidth + x] = UInt8(min(value, 255))
            }
        }
        return pixels
    }

    /// Runs the pair through `inference` (allocates its outputs: not for the hot path).
    public static func run(_ inference: some ShowTellBranches) -> ModelManifest.Golden {
        let d = inference.embeddingDimension, cells = inference.mapWidth * inference.mapHeight
        var audio = [Float](repeating: 0, count: d)
        var map = [Float](repeating: 0, count: d * cells)
        spectrogram().withUnsafeBufferPointer { inference.audioEmbedding($0.baseAddress!, into: &audio) }
        frame().withUnsafeBufferPointer { frame in
            map.withUnsafeMutableBufferPointer { inference.videoMap(frame.baseAddress!, width: frameWidth, height: frameHeight, into: $0.baseAddress!) }
        }
        func norm(_ values: [Float]) -> Double { values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        return ModelManifest.Golden(audioNorm: norm(audio), videoNorm: norm(map),
                                    audioHead: Array(audio.prefix(headCount)), videoHead: Array(map.prefix(headCount)))
    }

    /// Runs the golden pair through a loaded bundle's engine (float or int8) and checks it:
    /// finite outputs (finite weights can still overflow: a tensor of 3e38 passes the NaN/Inf
    /// scan) equal to the manifest's golden values where it has them.
    public static func verify(_ inference: some ShowTellBranches, manifest: ModelManifest, directory: String) throws(ModelBundleError) -> ModelManifest.Golden {
        let measured = run(inference)
        guard measured.audioNorm.isFinite, measured.videoNorm.isFinite else {
            throw ModelBundleError(.nonFinite, path: directory + "/" + ModelBundle.weightsFile,
                                   "golden inference gives non-finite outputs (audio norm \(measured.audioNorm), video norm \(measured.videoNorm)): the weights are absurd; retrain or reinstall")
        }
        let counts = (audio: inference.embeddingDimension, video: inference.embeddingDimension * inference.mapWidth * inference.mapHeight)
        if let expected = manifest.golden, let difference = compare(measured, expected, counts: counts) {
            throw ModelBundleError(.goldenMismatch, path: directory + "/" + ModelBundle.manifestFile,
                                   "golden inference differs: \(difference) — the \(inference.precision) engine on this machine is broken or the bundle was edited")
        }
        return measured
    }

    /// nil when `measured` matches `expected`, else what differs. Norms within
    /// `relativeTolerance` of themselves; each recorded value within `relativeTolerance` of
    /// a typical element of its output (norm / √count), not of the whole norm, which on a
    /// 14×14 map would let a value be off by half its size.
    public static func compare(_ measured: ModelManifest.Golden, _ expected: ModelManifest.Golden,
                               counts: (audio: Int, video: Int)) -> String? {
        func close(_ a: Double, _ b: Double, scale: Double) -> Bool { abs(a - b) <= relativeTolerance * max(scale, 1e-6) }
        if !close(measured.audioNorm, expected.audioNorm, scale: expected.audioNorm) {
            return "audio embedding norm \(measured.audioNorm), manifest says \(expected.audioNorm)"
        }
        if !close(measured.videoNorm, expected.videoNorm, scale: expected.videoNorm) {
            return "video map norm \(measured.videoNorm), manifest says \(expected.videoNorm)"
        }
        let typicalAudio = expected.audioNorm / Double(max(counts.audio, 1)).squareRoot()
        let typicalVideo = expected.videoNorm / Double(max(counts.video, 1)).squareRoot()
        for (name, got, want, scale) in [("audio embedding", measured.audioHead, expected.audioHead, typicalAudio),
                                         ("video map", measured.videoHead, expected.videoHead, typicalVideo)] {
            guard got.count == want.count else { return "\(name): \(got.count) recorded values, manifest has \(want.count)" }
            for i in 0..<got.count where !close(Double(got[i]), Double(want[i]), scale: scale) {
                return "\(name) value \(i) is \(got[i]), manifest says \(want[i])"
            }
        }
        return nil
    }
}
