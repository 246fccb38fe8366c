import AudioFrontEnd
import Foundation
import ShowTellModel

/// Everything that decides a prepared dataset's content. Recorded in prep.json; its hash
/// decides whether a session already prepared can be kept on a rerun.
public struct PrepSettings: Sendable, Equatable, Codable {
    public struct FrontEndContract: Sendable, Equatable, Codable {
        public var sampleRate = LogSpectrogram.Spec().sampleRate
        public var windowSeconds = Double(LogSpectrogram.Spec().windowSamples) / Double(LogSpectrogram.Spec().sampleRate)
        /// "centred": the audio window is [t - 0.3, t + 0.3], as the paper trains.
        public var window = "centred"
        public var spectrogram = [LogSpectrogram.Spec().bins, LogSpectrogram.Spec().columns]
        public var spectrogramStandardised = true
        public var denoise = true
        public var frameResize = ClipFeatures.frameSize
        public var frameCrop = ShowTellNetwork.frameSize
        public var frameInterpolation = FramePreprocessor.interpolation
        public var frameOffsetsSeconds = [-0.1, 0.1]
        public init() {}
    }

    public var format = "showtell-prep"
    public var version = 1
    public var frontEnd = FrontEndContract()
    public var clips = ClipPlanner()
    public var backgroundFrameSeconds = 1.0
    public var diarization = Diarizer.Settings()
    public var recognizer = SpeechRecognizer.Settings()
    public var languageModel = DomainLanguageModel.Settings()
    /// The second, keyword-spotting pass over the kept speaker's utterances.
    public var keywordSpotting = KeywordSpotter.Settings()
    /// Kept-speaker segments closer than this are decoded as one utterance.
    public var utteranceJoinSeconds = 0.35
    /// Audio added before and after each utterance for the recogniser.
    public var utterancePaddingSeconds = 0.15
    public var keywordDictionarySHA256 = ""

    public init() {}

    public var sha256: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256.hex(Array((try? encoder.encode(self)) ?? Data()))
    }
}
