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
        let f = configuration.framesPerClip
        return videoForward(clips, builder: builder) { slot in
            Array(UnsafeBufferPointer(start: video.pooled.data + slot * f * channels, count: channels))
        }
    }

    /// Per clip of `clips`, Vfeat [C, S]: the video branch's spatial map averaged over the
    /// clip's frames, as `embed` makes it (inference mode, no augmentation): what
    /// `KeywordDirections.fit` reads.
    func spatialFeatures(for clips: [Int], builder: BatchBuilder) -> [[Float]] {
        let f = configuration.framesPerClip, per = channels * cells
        return videoForward(clips, builder: builder) { slot in
            var out = [Float](repeating: 0, count: per)
            for frame in 0..<f {
                let map = video.spatialMap.data + (slot * f + frame) * per
                for i in 0..<per { out[i] += map[i] / Float(f) }
            }
            return out
        }
    }

    /// Runs the video branch over `clips` in batches of the model's size (the last padded by
    /// repeating its final clip) and collects `read(slot)` for each real clip.
    private func videoForward<T>(_ clips: [Int], builder: BatchBuilder, read: (Int) -> T) -> [T] {
        let n = configuration.batch
        var result = [T]()
        var random = RandomSource(seed: 0)
        var start = 0
        while start < clips.count {
            let chunk = Array(clips[start..<min(start + n, clips.count)])
            _ = builder.fill(self, indices: chunk + [Int](repeating: chunk.last!, count: n - chunk.count), random: &random, augment: false)
            network.video.forward(video, training: false)
            for slot in 0..<chunk.count { result.append(read(slot)) }
            start += n
        }
        return result
    }
}
