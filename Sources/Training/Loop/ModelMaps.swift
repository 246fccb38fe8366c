import NeuralCore

extension TrainingModel {
    /// Localisation maps [S] of `clips` with the network in inference mode (BN running
    /// statistics), in batches of the model's batch size (the last one padded by repeating
    /// its final clip). Queries with the audio embedding, or with t for variants without audio
    /// (`textQuery` forces t, for variants that have a text branch).
    public func maps(for clips: [Int], builder: BatchBuilder, textQuery: Bool = false) -> [[Float]] {
        let n = configuration.batch
        let useText = textQuery || !configuration.variant.usesAudio
        var result = [[Float]]()
        var random = RandomSource(seed: 0)
        var start = 0
        var out = [Float](repeating: 0, count: cells)
        while start < clips.count {
            let chunk = Array(clips[start..<min(start + n, clips.count)])
            let padded = chunk + [Int](repeating: chunk.last!, count: n - chunk.count)
            let inputs = builder.fill(self, indices: padded, random: &random, augment: false)
            embeddings.update(from: inputs.embeddings, count: inputs.embeddings.count)
            wordMask.update(from: inputs.wordMask, count: inputs.wordMask.count)
            embed(training: false)
            for slot in 0..<chunk.count {
                out.withUnsafeMutableBufferPointer { cellMap(clip: slot, useText: useText, into: $0.baseAddress!) }
                result.append(out)
            }
            start += n
        }
        return result
    }

    /// Per clip of `clips`, the video branch's globally pooled features [C] of its first frame
    /// (inference mode, no augmentation): what `BatchBuilder.keepMostAlikePartners` compares.
    public func frameDescriptors(for clips: [Int], builder: BatchBuilder) -> [[Float]] {
        let n = configuration.batch, f = configuration.framesPerClip
        var result = [[Float]]()
        var random = RandomSource(seed: 0)
        var start = 0
        while start < clips.count {
            let chunk = Array(clips[start..<min(start + n, clips.count)])
            _ = builder.fill(self, indices: chunk + [Int](repeating: chunk.last!, count: n - chunk.count), random: &random, augment: false)
            network.video.forward(video, training: false)
            let pooled = video.pooled.data
            for slot in 0..<chunk.count {
                result.append(Array(UnsafeBufferPointer(start: pooled + slot * f * channels, count: channels)))
            }
            start += n
        }
        return result
    }
}
