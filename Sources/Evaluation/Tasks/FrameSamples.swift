import MediaFormats
import ShowTellModel

/// Frames of a session sampled every `every` seconds, decoded and prepared exactly as the
/// video branch sees them (`FramePreprocessor`: 256×256, centre 224×224, normalised).
public struct FrameSamples {
    public var frames: [Int] = []
    public var times: [Double] = []
    public var images: [[Float]] = []

    public static func load(_ session: EvaluationSession, every: Double, label: String,
                            include: (FrameLabel) -> Bool = { _ in true }) throws -> FrameSamples {
        let preprocessor = FramePreprocessor()
        let side = preprocessor.crop
        var out = FrameSamples()
        var candidates: [Int] = []
        var t = every / 2
        while t < session.duration {
            let index = session.frameIndex(at: t)
            if include(session.labels[index]) { candidates.append(index) }
            t += every
        }
        let progress = ProgressBar("\(label) frames", total: candidates.count)
        var image = Image8(width: session.frameWidth, height: session.frameHeight, channels: 1)
        for (k, index) in candidates.enumerated() {
            try session.recorded.video.decodeFrame(index, into: &image)
            var input = [Float](repeating: 0, count: side * side)
            image.pixels.withUnsafeBufferPointer { pixels in
                input.withUnsafeMutableBufferPointer {
                    preprocessor.run(pixels.baseAddress!, width: image.width, height: image.height, into: $0.baseAddress!)
                }
            }
            out.frames.append(index)
            out.times.append(session.labels[index].time)
            out.images.append(input)
            progress.update(k + 1)
        }
        return out
    }
}
