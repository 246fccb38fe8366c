/// Synthesises lines in each speaker's voice, as heard from where they stand, remembering what was already said (a rejected
/// placement often retries the same line).
struct UtteranceSource {
    let voices: [NarrationSpeaker: NarrationVoice]
    let acoustics: [NarrationSpeaker: RoomAcoustics]
    private var cache: [String: SynthesizedUtterance] = [:]

    init(voices: [NarrationSpeaker: NarrationVoice], acoustics: [NarrationSpeaker: RoomAcoustics]) {
        self.voices = voices
        self.acoustics = acoustics
    }

    mutating func say(_ text: String, as speaker: NarrationSpeaker) throws(NarrationError) -> SynthesizedUtterance {
        guard let voice = voices[speaker] else { throw NarrationError(message: "no voice cast for \(speaker)") }
        let key = "\(speaker.rawValue)|\(text)"
        if let known = cache[key] { return known }
        var utterance = try EspeakSynthesizer.shared.synthesize(text, voice: voice)
        guard !utterance.words.isEmpty else { throw NarrationError(message: "espeak produced no speech for '\(text)'") }
        if let room = acoustics[speaker] { utterance = room.apply(utterance) }
        cache[key] = utterance
        return utterance
    }
}
