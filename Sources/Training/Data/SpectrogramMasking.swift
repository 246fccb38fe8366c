import Platform

/// SpecAugment-style masking (Park et al. 2019) of a standardised spectrogram, for training
/// only: a few bands of frequency bins and of time columns set to 0 (the standardised mean).
/// With ten training voices the audio branch otherwise learns the voices it heard, not the
/// words; masking makes it use more of each word than one formant or one instant.
public struct SpectrogramMasking: Sendable, Equatable {
    /// Bands per axis and the widest band, in bins or columns.
    public var bands = 2
    public var maxWidth = 24

    public init(bands: Int = 2, maxWidth: Int = 24) {
        self.bands = bands
        self.maxWidth = maxWidth
    }

    /// spectrogram: [size (frequency bins)][size (time columns)], masked in place.
    public func apply(_ spectrogram: UnsafeMutablePointer<Float>, size: Int, random: inout RandomSource) {
        guard maxWidth > 0, size > maxWidth else { return }
        for _ in 0..<bands {
            let width = random.index(maxWidth + 1), first = random.index(size - width + 1)
            for bin in first..<(first + width) { (spectrogram + bin * size).update(repeating: 0, count: size) }
        }
        for _ in 0..<bands {
            let width = random.index(maxWidth + 1), first = random.index(size - width + 1)
            for bin in 0..<size { (spectrogram + bin * size + first).update(repeating: 0, count: width) }
        }
    }
}
