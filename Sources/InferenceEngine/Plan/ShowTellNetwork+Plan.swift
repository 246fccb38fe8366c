import NeuralCore
import ShowTellModel

extension ShowTellNetwork: ShowTellNetworkWeights {
    public func configuration(_ branch: String) -> ResNeXtConfiguration {
        precondition(branch == "video" || branch == "audio", "branch must be video or audio")
        return branch == "video" ? backbone : audioBackbone
    }

    public func store(_ branch: String) -> ParameterStore {
        precondition(branch == "video" || branch == "audio", "branch must be video or audio")
        return branch == "video" ? video.store : audio.store
    }

    public func projection(_ branch: String) -> (weight: [Float], bias: [Float]) {
        let d = embeddingDimension, c = branch == "video" ? channels : audioChannels
        let (w, b) = branch == "video" ? (videoProjectionWeight, videoProjectionBias) : (audioProjectionWeight, audioProjectionBias)
        return (Array(UnsafeBufferPointer(start: w, count: d * c)), Array(UnsafeBufferPointer(start: b, count: d)))
    }
}
