/// Turns espeak's word events into word intervals of the text. espeak sometimes speaks two
/// words as one ("of the") and reports one event; the words it joined share that event's time
/// in proportion to their letters. Each interval is then tightened to where the audio has
/// energy, so it never covers the pause before or after the word.
enum WordAlignment {
    /// `marks`: (0-based byte offset of the word in `text`, first sample of the word).
    static func words(of text: String, marks: [(offset: Int, sample: Int)], samples: [Float]) -> [UtteranceWord] {
        let tokens = tokenize(text)
        guard !tokens.isEmpty else { return [] }
        var starts = [Int?](repeating: nil, count: tokens.count)
        var lastSample = 0
        for mark in marks {
            guard let token = tokens.lastIndex(where: { $0.offset <= mark.offset }), starts[token] == nil,
                  mark.sample >= lastSample else { continue }
            starts[token] = min(mark.sample, samples.count)
            lastSample = mark.sample
        }
        if starts[0] == nil { starts[0] = 0 }
        // Share each marked span among the unmarked words that follow it.
        var anchor = 0
        while anchor < tokens.count {
            var next = anchor + 1
            while next < tokens.count && starts[next] == nil { next += 1 }
            let from = starts[anchor]!
            let to = next < tokens.count ? starts[next]! : samples.count
            let letters = tokens[anchor..<next].reduce(0) { $0 + $1.text.utf8.count }
            var cursor = from
            for index in anchor..<next {
                starts[index] = cursor
                cursor += (to - from) * tokens[index].text.utf8.count / max(1, letters)
            }
            anchor = next
        }
        let envelope = SpeechEnvelope(samples)
        var words: [UtteranceWord] = []
        for (index, token) in tokens.enumerated() {
            let start = starts[index]!
            let end = max(start, index + 1 < tokens.count ? starts[index + 1]! : samples.count)
            let span = envelope.voicedRange(in: start..<end) ?? (start < end ? start..<end : nil)
            guard let span else { continue }
            words.append(UtteranceWord(text: token.text, start: span.lowerBound, end: span.upperBound))
        }
        return words
    }

    /// Words separated by spaces, without surrounding punctuation, with their byte offsets.
    /// (espeak's own word `length` miscounts contractions: "there's" is 5.)
    private static func tokenize(_ text: String) -> [(text: String, offset: Int)] {
        let bytes = Array(text.utf8)
        var tokens: [(text: String, offset: Int)] = []
        var index = 0
        while index < bytes.count {
            while index < bytes.count && bytes[index] == UInt8(ascii: " ") { index += 1 }
            let start = index
            while index < bytes.count && bytes[index] != UInt8(ascii: " ") { index += 1 }
            var from = start, to = index
            while from < to && punctuation.contains(bytes[from]) { from += 1 }
            while to > from && punctuation.contains(bytes[to - 1]) { to -= 1 }
            if from < to { tokens.append((String(decoding: bytes[from..<to], as: UTF8.self), start)) }
        }
        return tokens
    }

    private static let punctuation = Set(".,;:!?\"()".utf8)
}
