import ShowTellModel

/// The float32 model behind the `LocalisationModel` protocol: a verified bundle's network
/// run by ShowTellInference (one arena per branch and the frame preprocessor, all made in
/// `init`). Both embed calls then allocate nothing, take no lock and do not log.
public final class NetworkLocalisationModel: LocalisationModel {
    public let summary: String
    public let trained: Bool
    public let manifest: ModelManifest
    public let inference: ShowTellInference

    /// `threads` is used for the backbones' own loops and set as OpenBLAS's (process-wide)
    /// thread count.
    public init(bundle: ModelBundle, threads: Int = 1) {
        ShowTellNetwork.setBLASThreads(threads)
        inference = ShowTellInference(network: bundle.network, threads: threads)
        manifest = bundle.manifest
        trained = manifest.trained
        summary = "\(manifest.backbone) float32 D=\(manifest.embeddingDimension) "
            + (trained ? String(manifest.created.prefix(10)) : "(untrained)")
    }

    public convenience init(directory: String, threads: Int = 1) throws(ModelBundleError) {
        self.init(bundle: try ModelBundle.load(directory: directory), threads: threads)
    }

    public var embeddingDimension: Int { inference.embeddingDimension }
    public var mapWidth: Int { inference.mapWidth }
    public var mapHeight: Int { inference.mapHeight }
    public var mapCoverage: (x: Float, y: Float, width: Float, height: Float) { inference.mapCoverage }
    public var localisation: Localisation.Kind { Localisation.kind(described: manifest.outputs?.localisation) }

    public func embedAudio(_ spectrogram: UnsafePointer<Float>, into embedding: UnsafeMutablePointer<Float>) {
        inference.embedAudio(spectrogram, into: embedding)
    }

    public func embedVideo(_ frame: UnsafePointer<UInt8>, width: Int, height: Int, into map: UnsafeMutablePointer<Float>) {
        inference.embedVideo(frame, width: width, height: height, into: map)
    }
}
