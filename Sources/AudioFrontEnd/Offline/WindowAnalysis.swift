import MediaFormats

/// One 0.6 s window of a recording, analysed the way the appliance would see it.
public struct WindowAnalysis: Sendable {
    /// dB map, bins × columns, row 0 = 0 Hz.
    public var decibels: [Float]
    public var report: SpeechFrontEnd.WindowReport
    /// Window start and end in seconds of the recording.
    public var start: Double
    public var end: Double

    public struct OutOfRange: Error, CustomStringConvertible {
        public let requested: Double
        public let duration: Double
        public var description: String {
            "window centre \(requested) s is out of range: a 0.6 s window needs a centre between 0.3 s and "
                + "\(((duration - 0.3) * 1000).rounded() / 1000) s (the recording lasts \((duration * 1000).rounded() / 1000) s)"
        }
    }

    /// Analyses the window centred at `centre` seconds. The cleaner runs from up to
    /// `warmUp` seconds earlier, so its noise estimate has settled as it would have live.
    public static func analyse(_ clip: AudioClip, centre: Double, warmUp: Double = 5) throws -> WindowAnalysis {
        let half = 0.3
        guard centre - half >= 0, centre + half <= clip.duration + 1e-9 else {
            throw OutOfRange(requested: centre, duration: clip.duration)
        }
        let frontEnd = try SpeechFrontEnd(inputRate: clip.sampleRate)
        let rate = Double(clip.sampleRate)
        let first = Int((max(0, centre - half - warmUp) * rate).rounded())
        // The window ends at this cleaned sample (24 kHz, counted from `first`).
        let end = Int(((centre + half) - Double(first) / rate) * Double(frontEnd.spectrogram.spec.sampleRate) + 0.5)
        // Feed audio up to the window end plus 50 ms, so the resampler's filter delay is
        // flushed by real signal; past the end of the recording, by silence.
        let lookAhead = Int(0.05 * rate)
        let last = Int(((centre + half) * rate).rounded())
        let channels = clip.channels
        let available = min(last + lookAhead, clip.frameCount)
        clip.samples.withUnsafeBufferPointer { all in
            frontEnd.push(interleaved: UnsafeBufferPointer(rebasing: all[(first * channels)..<(available * channels)]), channels: channels)
        }
        if frontEnd.samplesProduced < end {
            let silence = [Float](repeating: 0, count: lookAhead + Int(0.02 * rate))
            silence.withUnsafeBufferPointer { frontEnd.push($0) }
        }
        var decibels = [Float](repeating: 0, count: frontEnd.spectrogram.spec.bins * frontEnd.spectrogram.spec.columns)
        guard let report = decibels.withUnsafeMutableBufferPointer({ frontEnd.window(endingAt: end, into: $0.baseAddress!, standardised: false) }) else {
            throw OutOfRange(requested: centre, duration: clip.duration)
        }
        return WindowAnalysis(decibels: decibels, report: report, start: centre - half, end: centre + half)
    }

    /// Grayscale picture: low frequencies at the bottom, top 80 dB of the window mapped to 0-255.
    public func image(bins: Int = 256, columns: Int = 256, rangeDB: Float = 80) -> Image8 {
        let top = decibels.max() ?? 0
        var pixels = [UInt8](repeating: 0, count: bins * columns)
        for k in 0..<bins {
            let row = bins - 1 - k
            for j in 0..<columns {
                let v = (decibels[k * columns + j] - (top - rangeDB)) / rangeDB
                pixels[row * columns + j] = UInt8(max(0, min(255, (v * 255).rounded())))
            }
        }
        return Image8(width: columns, height: bins, channels: 1, pixels: pixels)
    }
}
