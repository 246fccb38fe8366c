import AudioFrontEnd
import MediaFormats
import ShowTellModel

/// What training reads for each clip, computed exactly as the appliance computes its inputs:
/// - spectrograms: the appliance's `SpeechFrontEnd` (resample to 24 kHz, denoise) streamed over
///   the whole recording, and for each clip the 0.6 s window ending at t + 0.3 s taken from
///   it with `window(endingAt:)`, standardised as the live path does; stored as F16;
/// - frames: gray, resized to 256×256 by `FramePreprocessor`'s bilinear rule (the centre
///   crop to 224 happens in training), stored as U8.
public enum ClipFeatures {
    public static let frameSize = 256

    /// [clips][256][256] standardised log-spectrograms, in clip order.
    public static func spectrograms(_ clip: AudioClip, centres: [Double], windowSeconds: Double) throws -> [Float16] {
        let frontEnd = try SpeechFrontEnd(inputRate: clip.sampleRate)
        let spec = frontEnd.spectrogram.spec
        let mapSize = spec.bins * spec.columns
        var out = [Float16](repeating: 0, count: centres.count * mapSize)
        var map = [Float](repeating: 0, count: mapSize)
        let ends = centres.map { Int((($0 + windowSeconds / 2) * Double(spec.sampleRate)).rounded()) }
        var next = 0
        let mono = clip.mixedToMono()
        let block = clip.sampleRate / 20
        func drain() {
            while next < ends.count, ends[next] <= frontEnd.samplesProduced {
                let ok = map.withUnsafeMutableBufferPointer { frontEnd.window(endingAt: ends[next], into: $0.baseAddress!, standardised: true) != nil }
                if ok {
                    for i in 0..<mapSize { out[next * mapSize + i] = Float16(map[i]) }
                }
                next += 1
            }
        }
        mono.withUnsafeBufferPointer { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + block)
                frontEnd.push(UnsafeBufferPointer(rebasing: all[start..<end]))
                drain()
                start = end
            }
        }
        // Flush the resampler's delay with silence so the last window is complete.
        let silence = [Float](repeating: 0, count: block)
        for _ in 0..<4 where next < ends.count {
            silence.withUnsafeBufferPointer { frontEnd.push($0) }
            drain()
        }
        return out
    }

    /// Decodes and resizes video frames with a small cache (neighbouring clips share frames).
    public final class FrameReader {
        private let video: AVIReader
        private let preprocessor = FramePreprocessor(resize: ClipFeatures.frameSize, crop: ClipFeatures.frameSize, mean: 0, std: 1 / 255)
        private var image: Image8
        private var resized = [Float](repeating: 0, count: ClipFeatures.frameSize * ClipFeatures.frameSize)
        private var cache: [Int: [UInt8]] = [:]
        private var order: [Int] = []
        public private(set) var unreadable: [Int] = []

        public init(video: AVIReader) {
            self.video = video
            image = Image8(width: video.info.width, height: video.info.height, channels: 1)
        }

        /// 256×256 gray pixels of `frame` (a corrupt frame is replaced by its nearest readable neighbour).
        public func pixels(_ frame: Int) throws -> [UInt8] {
            if let hit = cache[frame] { return hit }
            var decoded = false
            for candidate in [frame, frame - 1, frame + 1, frame - 2, frame + 2] where candidate >= 0 && candidate < video.frameCount {
                do {
                    try video.decodeFrame(candidate, into: &image)
                    decoded = true
                    break
                } catch {
                    if case .corruptFrame = error.problem { continue }
                    throw error
                }
            }
            var result = [UInt8](repeating: 0, count: ClipFeatures.frameSize * ClipFeatures.frameSize)
            if decoded {
                image.pixels.withUnsafeBufferPointer { source in
                    resized.withUnsafeMutableBufferPointer { preprocessor.run(source.baseAddress!, width: image.width, height: image.height, into: $0.baseAddress!) }
                }
                for i in 0..<result.count { result[i] = UInt8(max(0, min(255, resized[i].rounded()))) }
            } else {
                unreadable.append(frame)
            }
            cache[frame] = result
            order.append(frame)
            if order.count > 8 { cache[order.removeFirst()] = nil }
            return result
        }
    }
}
