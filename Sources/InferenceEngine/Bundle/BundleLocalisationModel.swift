import ShowTellModel

/// A model bundle behind the `LocalisationModel` protocol, float32 or int8 as its manifest
/// says: float runs on ShowTellInference, int8 on the inference engine's planned graph (best
/// kernel family of this CPU). Every buffer is made at load; both embed calls then allocate
/// nothing, take no lock and do not log.
public final class BundleLocalisationModel: LocalisationModel {
    public let summary: String
    public let trained: Bool
    public let manifest: ModelManifest
    public let branches: any ShowTellBranches
    private let relevanceHead: RelevanceHead?

    public init(manifest: ModelManifest, branches: any ShowTellBranches) {
        self.manifest = manifest
        self.branches = branches
        trained = manifest.trained
        relevanceHead = manifest.outputs?.relevance
        summary = "\(manifest.backbones) \(branches.precision) D=\(manifest.embeddingDimension) "
            + (trained ? String(manifest.created.prefix(10)) : "(untrained)")
    }

    /// Loads and verifies the bundle in `directory` (checksums, tensors, golden inference),
    /// whichever its precision. `threads`: the float backbones' loops and OpenBLAS's
    /// (process-wide) thread count, or the int8 engine's team (each layer split across them).
    public static func load(directory: String, threads: Int = 1) throws(ModelBundleError) -> BundleLocalisationModel {
        let (manifest, branches) = try LoadedBundle.load(directory: directory, threads: threads)
        return BundleLocalisationModel(manifest: manifest, branches: branches)
    }

    public var precision: String { branches.precision }
    public var embeddingDimension: Int { branches.embeddingDimension }
    public var mapWidth: Int { branches.mapWidth }
    public var mapHeight: Int { branches.mapHeight }
    public var mapCoverage: (x: Float, y: Float, width: Float, height: Float) { branches.mapCoverage }
    public var localisation: Localisation.Kind { Localisation.kind(described: manifest.outputs?.localisation) }
    public var relevance: RelevanceHead? { relevanceHead }

    public func embedAudio(_ spectrogram: UnsafePointer<Float>, into embedding: UnsafeMutablePointer<Float>) {
        branches.audioEmbedding(spectrogram, into: embedding)
    }

    public func embedVideo(_ frame: UnsafePointer<UInt8>, width: Int, height: Int, into map: UnsafeMutablePointer<Float>) {
        branches.videoMap(frame, width: width, height: height, into: map)
    }
}
