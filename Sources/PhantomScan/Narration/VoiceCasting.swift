/// Chooses a different voice for each speaker of a scan, so scans vary and speakers in one
/// scan are distinguishable (as a speaker gate in the appliance would need).
enum VoiceCasting {
    /// English accents of espeak-ng ("en" is British) and its voice variants (f = female,
    /// m = male). All names were checked with espeak_SetVoiceByName.
    private static let accents = ["en", "en-us", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan",
                                  "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]
    private static let variants = ["f1", "f2", "f3", "f4", "f5", "m1", "m2", "m3", "m4", "m5", "m7"]

    static func cast(_ random: inout NarrationRandom) -> [NarrationSpeaker: NarrationVoice] {
        var voices: [NarrationSpeaker: NarrationVoice] = [:]
        var usedVariants: [String] = []
        for speaker in NarrationSpeaker.allCases {
            var variant = random.pick(variants)
            while usedVariants.contains(variant) { variant = random.pick(variants) }
            usedVariants.append(variant)
            let accent = random.pick(accents)
            // The sonographer speaks clearly and a little slowly; others are more casual.
            let rate = speaker == .sonographer ? 145 + random.index(36) : 155 + random.index(46)
            voices[speaker] = NarrationVoice(name: "\(accent)+\(variant)", rate: rate,
                                             pitch: 35 + random.index(31), pitchRange: 35 + random.index(41))
        }
        return voices
    }
}
