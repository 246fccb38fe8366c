import AudioFrontEnd
import CEspeakLoader
import Synchronization

/// A word inside a synthesised utterance, in samples from the utterance start.
struct UtteranceWord: Sendable, Equatable {
    var text: String
    var start: Int
    var end: Int
}

/// One utterance at the output rate, trimmed to its speech, with word boundaries.
struct SynthesizedUtterance: Sendable {
    var samples: [Float]
    var words: [UtteranceWord]

    var duration: Double { Double(samples.count) / Double(EspeakSynthesizer.outputRate) }
}

/// espeak-ng behind one lock: the library is process-global and not thread-safe.
final class EspeakSynthesizer: Sendable {
    static let shared = EspeakSynthesizer()
    static let outputRate = 48_000

    /// espeak's own rate once loaded, or why loading failed.
    private let engine = Mutex<Result<Int, NarrationError>?>(nil)

    private init() {}

    /// Loads the library on first use; later calls return the first outcome.
    func load() throws(NarrationError) -> Int {
        let outcome = engine.withLock { state -> Result<Int, NarrationError> in
            if let state { return state }
            var message = [CChar](repeating: 0, count: 512)
            let rate = showtell_espeak_load(&message, message.count)
            let result: Result<Int, NarrationError> = rate > 0
                ? .success(Int(rate))
                : .failure(NarrationError(message: Self.string(message)))
            state = result
            return result
        }
        return try outcome.get()
    }

    /// Speaks ASCII `text` (numbers spelled out); word boundaries come from espeak's word
    /// events (see WordAlignment).
    func synthesize(_ text: String, voice: NarrationVoice) throws(NarrationError) -> SynthesizedUtterance {
        let espeakRate = try load()
        let (raw, marks) = try engine.withLock { _ throws(NarrationError) -> ([Float], [showtell_espeak_word]) in
            var utterance = showtell_espeak_utterance()
            var message = [CChar](repeating: 0, count: 512)
            let status = voice.name.withCString { name in
                showtell_espeak_synthesize(text, showtell_espeak_voice(voice_name: name, rate: Int32(voice.rate),
                                                                        pitch: Int32(voice.pitch), pitch_range: Int32(voice.pitchRange)),
                                           &utterance, &message, message.count)
            }
            guard status == 0 else {
                throw NarrationError(message: Self.string(message))
            }
            defer { showtell_espeak_utterance_free(&utterance) }
            let samples = (0..<Int(utterance.sample_count)).map { Float(utterance.samples[$0]) / 32768 }
            let marks = (0..<Int(utterance.word_count)).map { utterance.words[$0] }
            return (samples, marks)
        }
        let samples: [Float]
        do {
            samples = try Resampler.convert(raw, from: Double(espeakRate), to: Double(Self.outputRate))
        } catch {
            throw NarrationError(message: error.description)
        }
        let scale = Double(Self.outputRate) / Double(espeakRate)
        let words = WordAlignment.words(of: text, marks: marks.map { (Int($0.text_position) - 1, Int((Double($0.sample) * scale).rounded())) },
                                        samples: samples)
        return Self.trimmed(samples, words: words)
    }

    /// A NUL-terminated C message buffer as a String.
    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Cuts espeak's leading and trailing silence (keeping a few milliseconds) so that the
    /// utterance's extent is its speech.
    private static func trimmed(_ samples: [Float], words: [UtteranceWord]) -> SynthesizedUtterance {
        guard let first = words.first?.start, let last = words.map(\.end).max() else {
            return SynthesizedUtterance(samples: [], words: [])
        }
        let margin = outputRate / 100
        let from = max(0, first - margin)
        let to = min(samples.count, last + margin)
        let shifted = words.map { UtteranceWord(text: $0.text, start: $0.start - from, end: $0.end - from) }
        return SynthesizedUtterance(samples: Array(samples[from..<to]), words: shifted)
    }
}
