/// The trained branches as the real-time loop sees them, with what the bundle says about them;
/// float or int8, the loop does not care. The model's one protocol towards the appliance:
/// InferenceEngine's BundleLocalisationModel serves it for any bundle. Implementations own
/// their buffers: both calls allocate nothing.
public protocol LocalisationModel: AnyObject {
    /// For the status bar and logs: "edge float32 (untrained)", "edge int8 2026-11-26".
    var summary: String { get }
    /// False for an untrained bundle: the screen says so.
    var trained: Bool { get }
    /// Joint embedding dimension D.
    var embeddingDimension: Int { get }
    /// Spatial map size of the video branch.
    var mapWidth: Int { get }
    var mapHeight: Int { get }
    /// Audio branch: standardised 256×256 log-spectrogram -> a ∈ R^D.
    func embedAudio(_ spectrogram: UnsafePointer<Float>, into embedding: UnsafeMutablePointer<Float>)
    /// Video branch: a gray frame of any size -> V ∈ R^{D×h×w} (the model scales and crops).
    func embedVideo(_ frame: UnsafePointer<UInt8>, width: Int, height: Int, into map: UnsafeMutablePointer<Float>)
    /// Where the map's cells lie on the frame, as fractions: the paper's input is the frame
    /// scaled to 256×256 and centre-cropped to 224×224, so the map covers the middle 87.5 %.
    var mapCoverage: (x: Float, y: Float, width: Float, height: Float) { get }
    /// Which similarity of a with each cell the weights were trained for (the bundle says).
    var localisation: Localisation.Kind { get }
    /// "Is this speech about anatomy?" on the audio embedding (nil: the bundle has none, and
    /// every speech window drives the heatmap).
    var relevance: RelevanceHead? { get }
}

extension LocalisationModel {
    public var localisation: Localisation.Kind { .cosine }
    public var relevance: RelevanceHead? { nil }
}
