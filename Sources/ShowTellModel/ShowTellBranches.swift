/// What the real-time loop needs from a model, whatever runs it (the float training network
/// through ShowTellInference, or the inference engine's planned float or int8 graph): the two
/// branches, into buffers the caller allocated once. Implementations allocate nothing, take no
/// lock and do not log in these calls.
public protocol ShowTellBranches: AnyObject {
    var embeddingDimension: Int { get }
    var mapWidth: Int { get }
    var mapHeight: Int { get }
    /// "float32" or "int8" (what the status bar shows).
    var precision: String { get }
    /// Where the map's cells lie on the frame, as fractions (`MapCoverage`: each cell where it looks).
    var mapCoverage: (x: Float, y: Float, width: Float, height: Float) { get }
    /// spectrogram [256][256] (standardised) -> a [D].
    func audioEmbedding(_ spectrogram: UnsafePointer<Float>, into embedding: UnsafeMutablePointer<Float>)
    /// gray frame [height][width] -> V [D][mapHeight * mapWidth].
    func videoMap(_ frame: UnsafePointer<UInt8>, width: Int, height: Int, into map: UnsafeMutablePointer<Float>)
    /// From now on, mask screen furniture out of every frame (the bundle was trained so).
    func maskScreenFurniture(_ spec: LiveImageMask)
}

extension ShowTellInference: ShowTellBranches {
    public var precision: String { "float32" }

    public func audioEmbedding(_ spectrogram: UnsafePointer<Float>, into embedding: UnsafeMutablePointer<Float>) {
        embedAudio(spectrogram, into: embedding)
    }

    public func videoMap(_ frame: UnsafePointer<UInt8>, width: Int, height: Int, into map: UnsafeMutablePointer<Float>) {
        embedVideo(frame, width: width, height: height, into: map)
    }
}
