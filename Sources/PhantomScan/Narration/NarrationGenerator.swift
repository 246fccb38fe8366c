import Platform

/// Generates the audio of a phantom scan: what the sonographer, a parent and a colleague say
/// (espeak-ng voices) over room noise, with exact word timings. Deterministic for a seed.
public struct NarrationGenerator: Sendable {
    public static let sampleRate = EspeakSynthesizer.outputRate

    public var mix: NarrationMix

    public init(mix: NarrationMix = NarrationMix()) { self.mix = mix }

    /// Whether espeak-ng (libespeak-ng.so.1 and its data) can be loaded on this machine.
    public static var isAvailable: Bool { (try? EspeakSynthesizer.shared.load()) != nil }

    public func generate(timeline: ScanTimeline, seed: UInt64) throws(NarrationError) -> Narration {
        try validate()
        // Separate streams: adding a phrase must not change the noise or the voices.
        var casting = RandomSource(seed: seed, stream: 1)
        var script = RandomSource(seed: seed, stream: 2)
        var room = RandomSource(seed: seed, stream: 3)
        var levels = RandomSource(seed: seed, stream: 4)

        let rate = Self.sampleRate
        let voices = VoiceCasting.cast(&casting, pool: mix.voices)
        let present = NarrationSpeaker.allCases.filter { casting.chance(mix.presence[$0] ?? 0) || $0 == .sonographer }
        var snrDB: [NarrationSpeaker: Double] = [:]
        for speaker in NarrationSpeaker.allCases { snrDB[speaker] = casting.uniform(mix.snrDB[speaker] ?? 10...10) }

        var scheduler = NarrationScheduler(timeline: timeline, mix: mix, sampleRate: rate, speakersPresent: present)
        // The sonographer sits by the machine; the parent lies on the couch; a colleague talks from the door.
        let distances: [NarrationSpeaker: ClosedRange<Double>] = [.sonographer: 0.4...1.0, .parent: 1.0...2.0, .colleague: 2.5...4.5]
        var acoustics: [NarrationSpeaker: RoomAcoustics] = [:]
        for speaker in NarrationSpeaker.allCases {
            acoustics[speaker] = RoomAcoustics.at(distance: casting.uniform(distances[speaker]!), sampleRate: rate, &casting)
        }
        var source = UtteranceSource(voices: voices, acoustics: acoustics)
        try scheduler.plan(&source, &script)

        let count = max(0, Int((timeline.duration * Double(rate)).rounded()))
        let noise = RoomNoise.render(count: count, sampleRate: rate, timeline: timeline,
                                     floorDBFS: room.uniform(mix.noiseFloorDBFS),
                                     sirensPerMinute: mix.sirensPerMinute, &room)
        let mixed = NarrationMixer(placed: scheduler.placed, noise: noise, snrDB: snrDB, &levels)

        var words: [SpokenWord] = []
        var phrases: [SpokenWord] = []
        let seconds = { (sample: Int) in Double(sample) / Double(rate) }
        for utterance in scheduler.placed {
            let speaker = utterance.speaker.rawValue
            for word in utterance.audio.words {
                words.append(SpokenWord(start: seconds(utterance.start + word.start), end: seconds(utterance.start + word.end),
                                        speaker: speaker, text: word.text))
            }
            phrases.append(SpokenWord(start: seconds(utterance.speech.lowerBound), end: seconds(utterance.speech.upperBound),
                                      speaker: speaker, text: utterance.text, anatomy: utterance.anatomy))
        }
        let speakers = NarrationSpeaker.allCases.map { speaker in
            SpeakerTrack(speaker: speaker, voice: voices[speaker]!, snrDB: snrDB[speaker]!,
                         activity: mixed.activity[speaker] ?? [],
                         clean: mix.keepStems ? mixed.cleanTracks[speaker] ?? [Float](repeating: 0, count: count) : [])
        }
        return Narration(sampleRate: rate, audio: mixed.audio, words: words, phrases: phrases, speakers: speakers,
                         noise: mix.keepStems ? mixed.noise : [])
    }

    private func validate() throws(NarrationError) {
        guard mix.speechFraction.lowerBound >= 0, mix.speechFraction.upperBound <= 1 else {
            throw NarrationError(message: "speech fraction \(mix.speechFraction) is outside 0...1")
        }
        guard mix.sonographerLag.lowerBound >= 0 else {
            throw NarrationError(message: "sonographer lag \(mix.sonographerLag) starts before the plane is held")
        }
    }
}
