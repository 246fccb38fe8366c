import AudioFrontEnd
import MediaFormats
import ShowTellModel

/// A bundle's localisation map at chosen moments of a recording, made as the box makes it:
/// the audio embedding of the 0.6 s window centred on the moment (the front-end streamed
/// forward through the recording), each frame's video map, and the manifest's localisation
/// rule between them. Needs only video.avi and audio.wav, so it serves recordings without
/// ground truth (`showtell localise`) as well as the evaluation (`LocalisationTask`).
final class MomentMaps {
    let inference: any ShowTellBranches
    let kind: Localisation.Kind
    let relevanceHead: RelevanceHead?
    /// The last frame's video map [D][cells] (kept by `eval localise --keep-embeddings`).
    private(set) var video: [Float]
    private var cellScores: [Float]

    init(inference: any ShowTellBranches, kind: Localisation.Kind, relevance: RelevanceHead? = nil) {
        self.inference = inference
        self.kind = kind
        relevanceHead = relevance
        let cells = inference.mapWidth * inference.mapHeight
        video = [Float](repeating: 0, count: inference.embeddingDimension * cells)
        cellScores = [Float](repeating: 0, count: cells)
    }

    /// The audio embedding [D] of the window centred on each time (ascending); times whose
    /// window runs past the recording's end are left out.
    /// Per time: the audio embedding and the window's speech fraction (the voice detector's share
    /// of speech frames, which the box compares with its `speechThreshold`).
    func audioEmbeddings(_ clip: AudioClip, at times: [Double]) throws -> [(time: Double, audio: [Float], speech: Double)] {
        let frontEnd = try SpeechFrontEnd(inputRate: clip.sampleRate)
        let spec = frontEnd.spectrogram.spec
        let half = Double(spec.windowSamples) / Double(spec.sampleRate) / 2
        let rate = Double(clip.sampleRate), channels = clip.channels
        let outputRate = Double(frontEnd.spectrogram.spec.sampleRate)
        let maxPush = frontEnd.settings.maxPushFrames
        var pushed = 0
        var spectrogram = [Float](repeating: 0, count: ShowTellNetwork.spectrogramSize * ShowTellNetwork.spectrogramSize)
        var heard: [(time: Double, audio: [Float], speech: Double)] = []
        for time in times {
            // Audio up to 50 ms past the window end (flushes the resampler's delay with real signal).
            let target = min(clip.frameCount, Int(((time + half + 0.05) * rate).rounded()))
            while pushed < target {
                let count = min(maxPush, target - pushed)
                clip.samples.withUnsafeBufferPointer { all in
                    frontEnd.push(interleaved: UnsafeBufferPointer(rebasing: all[(pushed * channels)..<((pushed + count) * channels)]), channels: channels)
                }
                pushed += count
            }
            let end = Int(((time + half) * outputRate).rounded())
            let window = spectrogram.withUnsafeMutableBufferPointer { frontEnd.window(endingAt: end, into: $0.baseAddress!, standardised: true) }
            guard let window else { continue }  // the last moments of a recording (no audio after them)
            var audio = [Float](repeating: 0, count: inference.embeddingDimension)
            spectrogram.withUnsafeBufferPointer { s in audio.withUnsafeMutableBufferPointer { inference.audioEmbedding(s.baseAddress!, into: $0.baseAddress!) } }
            heard.append((time, audio, Double(window.speechFraction)))
        }
        return heard
    }

    /// Shows the video branch a frame without scoring it: a bundle with a live-image mask
    /// learns the mask from frame changes, as on the box.
    func watch(_ image: Image8) {
        image.pixels.withUnsafeBufferPointer { p in
            video.withUnsafeMutableBufferPointer { inference.videoMap(p.baseAddress!, width: image.width, height: image.height, into: $0.baseAddress!) }
        }
    }

    /// The map of `image` queried with `audio` [D], min-max normalised.
    func map(_ image: Image8, audio: [Float]) -> GridMap {
        watch(image)
        let d = inference.embeddingDimension, cells = inference.mapWidth * inference.mapHeight
        audio.withUnsafeBufferPointer { a in video.withUnsafeBufferPointer { v in cellScores.withUnsafeMutableBufferPointer {
            Localisation.map(kind, audio: a.baseAddress!, map: v.baseAddress!, dimension: d, cells: cells, into: $0.baseAddress!)
        } } }
        return cellScores.withUnsafeBufferPointer { GridMap(width: inference.mapWidth, height: inference.mapHeight, floats: $0) }.minMaxNormalised()
    }

    /// The relevance head's probability that `audio` [D] is about anatomy (nil: no head).
    func relevance(_ audio: [Float]) -> Double? {
        relevanceHead.map { head in audio.withUnsafeBufferPointer { Double(head.probability($0.baseAddress!)) } }
    }
}
