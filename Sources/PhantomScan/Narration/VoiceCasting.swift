import Platform

/// Chooses a different voice for each speaker of a scan, so scans vary and speakers in one
/// scan are distinguishable (as a speaker gate in the appliance would need).
enum VoiceCasting {
    static func cast(_ random: inout RandomSource, pool: VoicePool = .all) -> [NarrationSpeaker: NarrationVoice] {
        var voices: [NarrationSpeaker: NarrationVoice] = [:]
        var usedVariants: [String] = []
        for speaker in NarrationSpeaker.allCases {
            var variant = random.pick(pool.variants)
            while usedVariants.contains(variant) { variant = random.pick(pool.variants) }
            usedVariants.append(variant)
            let accent = random.pick(pool.accents)
            // The sonographer speaks clearly and a little slowly; others are more casual.
            let rate = speaker == .sonographer ? 145 + random.index(36) : 155 + random.index(46)
            voices[speaker] = NarrationVoice(name: "\(accent)+\(variant)", rate: rate,
                                             pitch: 35 + random.index(31), pitchRange: 35 + random.index(41))
        }
        return voices
    }
}

/// The espeak-ng accents and voice variants a dataset's speakers are drawn from. Training
/// and held-out datasets use disjoint pools, so evaluation hears voices training never did.
public enum VoicePool: String, Sendable, CaseIterable {
    /// Every accent and variant (the default; what earlier datasets used).
    case all
    /// For training sets: six accents and eight variants.
    case train
    /// For held-out sets: two accents and three variants, none of them in `train`.
    case heldout

    /// English accents of espeak-ng ("en" is British). All names were checked with
    /// espeak_SetVoiceByName.
    private static let allAccents = ["en", "en-us", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan",
                                     "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]
    /// Voice variants (f = female, m = male).
    private static let allVariants = ["f1", "f2", "f3", "f4", "f5", "m1", "m2", "m3", "m4", "m5", "m7"]
    private static let heldOutAccents = ["en-gb-scotland", "en-029"]
    private static let heldOutVariants = ["f4", "f5", "m4"]

    public var accents: [String] {
        switch self {
        case .all: Self.allAccents
        case .train: Self.allAccents.filter { !Self.heldOutAccents.contains($0) }
        case .heldout: Self.heldOutAccents
        }
    }

    /// At least three, so each of the three speakers gets its own.
    public var variants: [String] {
        switch self {
        case .all: Self.allVariants
        case .train: Self.allVariants.filter { !Self.heldOutVariants.contains($0) }
        case .heldout: Self.heldOutVariants
        }
    }
}
