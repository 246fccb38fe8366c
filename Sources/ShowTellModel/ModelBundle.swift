import FoundationEssentials
import Glibc
import NeuralCore
import Platform

/// A model bundle (DESIGN.md §5): a directory holding `model.safetensors` (the weights,
/// readable by PyTorch/numpy) and `manifest.json` (what they are, their SHA-256 and size,
/// input specs, provenance). `load` trusts nothing it has not checked; `write` replaces a
/// bundle atomically, so an appliance never sees half of one.
public struct ModelBundle: Sendable {
    public static let weightsFile = "model.safetensors"
    public static let manifestFile = "manifest.json"

    public let directory: String
    public let manifest: ModelManifest
    public let network: ShowTellNetwork

    // MARK: Write

    /// Writes `network` as a bundle at `directory` (created, or replacing an existing bundle
    /// in one step). `created` defaults to now, or to $SOURCE_DATE_EPOCH when set (so `model
    /// init` is byte-for-byte reproducible). Refuses non-finite weights.
    @discardableResult
    public static func write(network: ShowTellNetwork, trained: Bool, notes: String,
                             training: ModelManifest.TrainingSummary? = nil, producer: String = "ShowTellModel",
                             created: String? = nil, localisation: Localisation.Kind = .cosine,
                             liveImageMask: LiveImageMask? = nil,
                             to directory: String) throws(ModelBundleError) -> ModelManifest {
        if let bad = network.firstNonFinite() {
            throw ModelBundleError(.nonFinite, path: directory, "refusing to write: tensor \"\(bad.tensor)\" holds \(bad.value) at element \(bad.index) (the training run diverged?)")
        }
        var writer = SafeTensorsWriter()
        writer.metadata = [
            "format": "pt",  // what Hugging Face loaders look for
            "showtell.format": ModelManifest.currentFormat,
            "showtell.backbone": network.backbone.name,
            "showtell.embedding_dimension": String(network.embeddingDimension),
        ]
        if network.hasOwnAudioBackbone { writer.metadata["showtell.audio_backbone"] = network.audioBackbone.name }
        network.add(to: &writer)
        let weights = writer.encode()
        var manifest = ModelManifest.describing(network, trained: trained, notes: notes, created: created ?? Self.timestamp(),
                                                training: training, producer: producer, localisation: localisation)
        manifest.inputs?.video.liveImageMask = liveImageMask
        manifest.golden = GoldenInference.run(ShowTellInference(network: network))
        manifest.sha256 = SHA256.hex(weights)
        manifest.bytes = weights.count
        try writeFiles(weights: weights, manifest: encode(manifest), to: directory)
        return manifest
    }

    /// Writes already-encoded weights with `manifest` (its sha256 and bytes filled in here),
    /// atomically as `write` does; for bundles other modules build (the int8 bundle).
    @discardableResult
    public static func write(weights: [UInt8], manifest: ModelManifest, to directory: String) throws(ModelBundleError) -> ModelManifest {
        var manifest = manifest
        manifest.sha256 = SHA256.hex(weights)
        manifest.bytes = weights.count
        try writeFiles(weights: weights, manifest: encode(manifest), to: directory)
        return manifest
    }

    static func encode(_ manifest: ModelManifest) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try! encoder.encode(manifest)) + [0x0A]  // plain value types: cannot fail
    }

    /// Temporary sibling directory, each file written and fsynced, the directory fsynced,
    /// then renamed into place (or exchanged with the old bundle, which is then removed),
    /// then the parent fsynced.
    static func writeFiles(weights: [UInt8], manifest: [UInt8], to directory: String) throws(ModelBundleError) {
        let target = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let parent = Self.parent(of: target)
        let temporary = target + ".tmp-\(getpid())"
        func fail(_ path: String, _ error: any Error) -> ModelBundleError { ModelBundleError(.writeFailed, path: path, "\(error)") }
        var info = stat()
        let exists = stat(target, &info) == 0
        if exists {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw ModelBundleError(.writeFailed, path: target, "exists and is not a directory; choose another output path")
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
            guard entries.isEmpty || entries.contains(manifestFile) else {
                throw ModelBundleError(.writeFailed, path: target, "exists and is not a model bundle (no \(manifestFile)); refusing to replace it")
            }
        }
        do {
            if FileIO.exists(temporary) { try FileManager.default.removeItem(atPath: temporary) }
            try FileIO.makeDirectories(parent)
            _ = try syscall("mkdir", subject: temporary) { mkdir(temporary, 0o755) }
            try FileIO.writeAtomically(temporary + "/" + weightsFile, weights)
            try FileIO.writeAtomically(temporary + "/" + manifestFile, manifest)
            try syncDirectory(temporary)
            if !exists {
                _ = try syscall("rename", subject: target) { rename(temporary, target) }
            } else if exchange(temporary, target) {
                try FileManager.default.removeItem(atPath: temporary)  // now the old bundle
            } else {
                // File systems without RENAME_EXCHANGE: a short window without a bundle.
                let old = target + ".old-\(getpid())"
                _ = try syscall("rename", subject: target) { rename(target, old) }
                _ = try syscall("rename", subject: target) { rename(temporary, target) }
                try FileManager.default.removeItem(atPath: old)
            }
            try syncDirectory(parent)
        } catch let error as ModelBundleError {
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw fail(target, error)
        }
    }

    /// renameat2(RENAME_EXCHANGE): swaps two paths atomically (Linux 3.15+, glibc 2.28+).
    /// Looked up at run time: Swift's Glibc module does not declare it.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(nil, "renameat2") else { return false }  // nil = RTLD_DEFAULT
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
    }

    private static func syncDirectory(_ path: String) throws(SystemError) { try FileIO.syncDirectory(path) }

    private static func parent(of path: String) -> String { FileIO.parent(of: path) }

    /// ISO-8601 UTC of now, or of $SOURCE_DATE_EPOCH (reproducible builds' convention).
    public static func timestamp(at epochSeconds: Int? = nil) -> String {
        var seconds = time(nil)
        if let text = getenv("SOURCE_DATE_EPOCH").map({ String(cString: $0) }), let epoch = Int(text) { seconds = time_t(epoch) }
        if let epochSeconds { seconds = time_t(epochSeconds) }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    // MARK: Read

    /// Reads and checks manifest.json alone (for `model info`): exists, parses, known format.
    public static func readManifest(directory: String) throws(ModelBundleError) -> ModelManifest {
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ModelBundleError(.directoryMissing, path: directory, "no such directory; install a model bundle there (showtell model init for an untrained one)")
        }
        let path = directory + "/" + manifestFile
        guard FileIO.exists(path) else {
            throw ModelBundleError(.manifestMissing, path: path, "missing; this directory is not a model bundle (or an incomplete copy)")
        }
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path) } catch { throw ModelBundleError(.manifestMissing, path: path, "cannot be read: \(error)") }
        let manifest: ModelManifest
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw ModelBundleError(.manifestInvalid, path: path, describe(error, manifestBytes: bytes))
        } catch {
            throw ModelBundleError(.manifestInvalid, path: path, "\(error)")
        }
        guard manifest.format == ModelManifest.currentFormat else {
            throw ModelBundleError(.unknownFormat, path: path, "format \"\(manifest.format)\" is not one this build reads (\(ModelManifest.currentFormat)); update the appliance or export the model in that format")
        }
        for (key, name) in [("backbone", manifest.backbone), ("audio_backbone", manifest.audioBackbone)] {
            guard let name, ResNeXtConfiguration.named(name) == nil else { continue }
            throw ModelBundleError(.unknownBackbone, path: path, "\(key) \"\(name)\" is unknown (this build has \(ResNeXtConfiguration.names))")
        }
        guard manifest.embeddingDimension > 0 else {
            throw ModelBundleError(.manifestInvalid, path: path, "embedding_dimension \(manifest.embeddingDimension) must be positive")
        }
        if let problem = manifest.outputs?.relevance?.problem(dimension: manifest.embeddingDimension) {
            throw ModelBundleError(.manifestInvalid, path: path, problem + "; refit it with showtell relevance, or remove outputs.relevance")
        }
        guard manifest.sha256.count == 64, manifest.sha256.allSatisfy(\.isHexDigit) else {
            throw ModelBundleError(.manifestInvalid, path: path, "sha256 \"\(manifest.sha256)\" is not 64 hex digits")
        }
        return manifest
    }

    /// Loads and verifies a bundle: manifest, size, checksum, every tensor present with the
    /// right shape and no other, parameter count, no NaN or infinity.
    public static func load(directory: String) throws(ModelBundleError) -> ModelBundle {
        let manifest = try readManifest(directory: directory)
        let manifestPath = directory + "/" + manifestFile
        if manifest.precision == "int8" {
            throw ModelBundleError(.unknownFormat, path: manifestPath, "is an int8 bundle (showtell quantize); it runs on the inference engine (InferenceEngine.Int8Bundle), not the float network")
        }
        let (video, audio) = try manifest.branchConfigurations(manifestPath: manifestPath)
        try manifest.checkMapCoverage(video: video, manifestPath: manifestPath)
        let path = directory + "/" + weightsFile
        guard FileIO.exists(path) else { throw ModelBundleError(.weightsMissing, path: path, "missing; reinstall the bundle") }
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path) } catch { throw ModelBundleError(.weightsMissing, path: path, "cannot be read: \(error)") }
        if let expected = manifest.bytes, expected != bytes.count {
            throw ModelBundleError(.truncated, path: path, bytes.count < expected
                ? "truncated: \(bytes.count) of \(expected) bytes (an interrupted copy?) — reinstall the bundle"
                : "\(bytes.count) bytes but the manifest says \(expected) — the bundle is corrupt; reinstall it")
        }
        let actual = SHA256.hex(bytes)
        guard actual == manifest.sha256.lowercased() else {
            throw ModelBundleError(.checksumMismatch, path: path, "checksum mismatch (manifest says \(manifest.sha256.prefix(12))…, file is \(actual.prefix(12))…) — the bundle is corrupt; reinstall it")
        }
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(bytes: bytes) } catch { throw ModelBundleError(.weightsInvalid, path: path, error.message) }
        let network = ShowTellNetwork(backbone: video, audioBackbone: audio, embeddingDimension: manifest.embeddingDimension, seed: 0)
        do { try network.load(from: file) } catch {
            throw ModelBundleError(.tensorMismatch, path: path, "\(error.message) (manifest: backbone \(manifest.backbones), D = \(manifest.embeddingDimension))")
        }
        guard network.parameterCount == manifest.parameters else {
            throw ModelBundleError(.manifestInvalid, path: manifestPath, "parameters \(manifest.parameters) but the weights have \(network.parameterCount)")
        }
        if let bad = network.firstNonFinite() {
            throw ModelBundleError(.nonFinite, path: path, "tensor \"\(bad.tensor)\" holds \(bad.value) at element \(bad.index); the model cannot be used (retrain or reinstall)")
        }
        return ModelBundle(directory: directory, manifest: manifest, network: network)
    }

    /// Runs the golden inputs through `inference` (this bundle's network) and compares with
    /// the manifest; returns what was measured. A manifest without golden values passes.
    @discardableResult
    public func verifyGolden(_ inference: ShowTellInference) throws(ModelBundleError) -> ModelManifest.Golden {
        precondition(inference.network === network, "inference runs another network")
        return try GoldenInference.verify(inference, manifest: manifest, directory: directory)
    }

    /// JSONDecoder's errors in the manifest's own terms: which key, what was wrong.
    private static func describe(_ error: DecodingError, manifestBytes: [UInt8]) -> String {
        func key(_ path: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = (path + (last.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.joined(separator: ".").replacing(".[", with: "[")
        }
        switch error {
        case .keyNotFound(let missing, let context): return "missing key \"\(key(context.codingPath, missing))\""
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "should be a JSON object (found \(jsonKind(manifestBytes)))" }
            return "key \"\(key(context.codingPath))\" should be \(typeName(type))"
        case .valueNotFound(let type, let context): return "key \"\(key(context.codingPath))\" is null, should be \(typeName(type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "key \"\(key(context.codingPath))\": \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// In JSON's own words (the manifest's readers write JSON, not Swift).
    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is UInt64.Type, is Int64.Type, is UInt.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Dictionary") || name.contains("Keyed") { return "an object" }
            if name.hasPrefix("Array") || name.contains("Unkeyed") { return "an array" }
            return "a value of another kind"
        }
    }

    /// The JSON kind of a document from its first character.
    private static func jsonKind(_ bytes: [UInt8]) -> String {
        switch bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) {
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "true or false"
        case UInt8(ascii: "n"): return "null"
        case UInt8(ascii: "{"): return "an object"
        default: return "a number"
        }
    }
}
