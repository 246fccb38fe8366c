import Platform
import MediaFormats

/// An utterance at its place in the session.
struct PlacedUtterance {
    var speaker: NarrationSpeaker
    var text: String
    var audio: SynthesizedUtterance
    /// First sample of `audio` in the session.
    var start: Int
    /// Remarks that may be dropped to keep the speech fraction in range.
    var optional: Bool
    /// The on-screen anatomy the remark names (nil for chatter and remarks about what is coming).
    var anatomy: String? = nil

    var range: Range<Int> { start..<(start + audio.samples.count) }
    /// From the first word's onset to the last word's end.
    var speech: Range<Int> { (start + audio.words[0].start)..<(start + audio.words.map(\.end).max()!) }
}

/// Decides who says what when. Remarks about the screen come first (they are the ground
/// truth the appliance learns from), then remarks during freezes and searches, then unrelated
/// talk fills gaps until the speech fraction drawn for the scan is reached. Nobody talks over
/// anybody: every utterance keeps a short gap to the next.
struct NarrationScheduler {
    let timeline: ScanTimeline
    let mix: NarrationMix
    let sampleRate: Int
    let speakersPresent: [NarrationSpeaker]
    private(set) var placed: [PlacedUtterance] = []
    private var chatterSaid: Set<String> = []
    private let total: Int
    private let gap: Int

    init(timeline: ScanTimeline, mix: NarrationMix, sampleRate: Int, speakersPresent: [NarrationSpeaker]) {
        self.timeline = timeline
        self.mix = mix
        self.sampleRate = sampleRate
        self.speakersPresent = speakersPresent
        total = Int((timeline.duration * Double(sampleRate)).rounded())
        gap = sampleRate / 4
    }

    mutating func plan(_ source: inout UtteranceSource, _ random: inout RandomSource) throws(NarrationError) {
        for index in timeline.visits.indices { try placeFirstRemark(visit: index, &source, &random) }
        for visit in timeline.visits {
            for freeze in visit.freezes where random.chance(0.7) { try placeFreezeRemark(visit, freeze, &source, &random) }
            if visit.holdEnd - visit.holdStart >= 5, random.chance(0.4) { try placeSecondRemark(visit, &source, &random) }
            if random.chance(0.12) { try placeSearchRemark(visit, &source, &random) }
        }
        try fillWithChatter(&source, &random)
        placed.sort { $0.start < $1.start }
    }

    private func sample(_ seconds: Double) -> Int { Int((seconds * Double(sampleRate)).rounded(.up)) }

    private func fits(_ range: Range<Int>, endingBy limit: Int? = nil) -> Bool {
        guard range.lowerBound >= 0, range.upperBound <= min(total, limit ?? total) else { return false }
        return placed.allSatisfy { $0.range.upperBound + gap <= range.lowerBound || range.upperBound + gap <= $0.range.lowerBound }
    }

    /// Places `audio` so its first word starts at one of `onsets` (seconds), the first that fits.
    private mutating func place(_ audio: SynthesizedUtterance, text: String, by speaker: NarrationSpeaker,
                                onsets: [Double], endingBy limit: Int? = nil, optional: Bool, anatomy: String? = nil) -> Bool {
        for onset in onsets {
            let start = sample(onset) - audio.words[0].start
            if fits(start..<(start + audio.samples.count), endingBy: limit) {
                placed.append(PlacedUtterance(speaker: speaker, text: text, audio: audio, start: start, optional: optional,
                                              anatomy: anatomy))
                return true
            }
        }
        return false
    }

    /// The plane's main structure is named most often (PlaneAnatomy lists it first).
    private func anatomy(of visit: PlaneVisit, _ random: inout RandomSource) -> String? {
        guard let main = visit.anatomy.first else { return nil }
        return random.chance(0.5) ? main : random.pick(visit.anatomy)
    }

    /// The sonographer names what appears, a natural lag after the plane is found; the remark
    /// ends before the next plane's remark is due. Shorter wordings are tried if time is short.
    private mutating func placeFirstRemark(visit index: Int, _ source: inout UtteranceSource,
                                           _ random: inout RandomSource) throws(NarrationError) {
        let visit = timeline.visits[index]
        let lag = mix.sonographerLag
        let next = index + 1 < timeline.visits.count ? timeline.visits[index + 1].holdStart + lag.lowerBound - 0.3 : timeline.duration
        let scan = stride(from: lag.lowerBound, through: lag.upperBound, by: 0.1).map { visit.holdStart + $0 }
        for attempt in 0..<6 {
            guard let name = anatomy(of: visit, &random) else { return }
            let text = attempt < 4 ? NarrationPhrases.remark(on: name, plane: visit.plane, closeUp: visit.closeUp != nil, &random)
                                   : NarrationPhrases.shortRemark(on: name, &random)
            let audio = try source.say(text, as: .sonographer)
            let onsets = [visit.holdStart + random.uniform(lag)] + (attempt == 0 ? [] : scan)
            if place(audio, text: text, by: .sonographer, onsets: onsets, endingBy: sample(next), optional: false,
                     anatomy: name) { return }
        }
    }

    private mutating func placeFreezeRemark(_ visit: PlaneVisit, _ freeze: ClosedRange<Double>,
                                            _ source: inout UtteranceSource, _ random: inout RandomSource) throws(NarrationError) {
        let (text, name) = NarrationPhrases.freezeRemark(on: anatomy(of: visit, &random), &random)
        let audio = try source.say(text, as: .sonographer)
        let first = freeze.lowerBound + random.uniform(0.2...0.8)
        let onsets = stride(from: first, through: freeze.upperBound, by: 0.3).map { $0 }
        _ = place(audio, text: text, by: .sonographer, onsets: onsets, optional: true, anatomy: name)
    }

    private mutating func placeSecondRemark(_ visit: PlaneVisit, _ source: inout UtteranceSource,
                                            _ random: inout RandomSource) throws(NarrationError) {
        guard let name = visit.anatomy.isEmpty ? nil : random.pick(visit.anatomy) else { return }
        let text = NarrationPhrases.remark(on: name, plane: visit.plane, closeUp: visit.closeUp != nil, &random)
        let audio = try source.say(text, as: .sonographer)
        let onset = random.uniform((visit.holdStart + 3)...max(visit.holdStart + 3, visit.holdEnd - 1.5))
        _ = place(audio, text: text, by: .sonographer, onsets: [onset, onset + 0.5, onset - 0.5], optional: true,
                  anatomy: name)
    }

    /// While searching, the sonographer sometimes says what comes next (not yet on screen).
    private mutating func placeSearchRemark(_ visit: PlaneVisit, _ source: inout UtteranceSource,
                                            _ random: inout RandomSource) throws(NarrationError) {
        guard visit.holdStart - visit.searchStart > 2 else { return }
        let text = NarrationPhrases.searchRemark(towards: visit.anatomy.first, &random)
        let audio = try source.say(text, as: .sonographer)
        let onset = visit.searchStart + random.uniform(0.2...0.6)
        _ = place(audio, text: text, by: .sonographer, onsets: [onset], endingBy: sample(visit.holdStart), optional: true)
    }

    private var speechSamples: Int { placed.reduce(0) { $0 + $1.speech.count } }

    /// Drops optional remarks above the drawn target, then adds unrelated talk below it.
    private mutating func fillWithChatter(_ source: inout UtteranceSource, _ random: inout RandomSource) throws(NarrationError) {
        let range = mix.speechFraction
        let margin = 0.1 * (range.upperBound - range.lowerBound)
        let target = Int(random.uniform((range.lowerBound + margin)...(range.upperBound - margin)) * Double(total))
        let ceiling = Int((range.upperBound - margin / 2) * Double(total))
        while speechSamples > target, let drop = placed.indices.filter({ placed[$0].optional }).last {
            placed.remove(at: drop)
        }
        let weights: [(NarrationSpeaker, Double)] = [(.sonographer, 0.45), (.parent, 0.35), (.colleague, 0.2)]
            .filter { speakersPresent.contains($0.0) }
        // A busy room keeps trying the small gaps that are left (each try draws new lines).
        var failures = 0
        let patience = mix.repeatsChatter ? 400 : 40
        while speechSamples < target, failures < patience {
            let opener = Self.weightedPick(weights, &random)
            let lines = NarrationPhrases.chatter(by: opener, &random).filter { speakersPresent.contains($0.0) }
            if try !placeExchange(lines, ceiling: ceiling, &source, &random) { failures += 1 }
        }
    }

    /// Places consecutive lines (a question and its answer) in a random free gap.
    private mutating func placeExchange(_ lines: [(NarrationSpeaker, String)], ceiling: Int,
                                        _ source: inout UtteranceSource, _ random: inout RandomSource) throws(NarrationError) -> Bool {
        // Small talk is not repeated within a scan (unless the mix asks for a busy room).
        guard !lines.isEmpty, mix.repeatsChatter || lines.allSatisfy({ !chatterSaid.contains($0.1) }) else { return false }
        var audios: [SynthesizedUtterance] = []
        var pauses: [Int] = []
        for (speaker, text) in lines {
            audios.append(try source.say(text, as: speaker))
            pauses.append(gap + sample(random.uniform(0.05...0.45)))
        }
        let speech = audios.reduce(0) { $0 + $1.words.map(\.end).max()! - $1.words[0].start }
        guard speechSamples + speech <= ceiling else { return false }
        let span = audios.reduce(0) { $0 + $1.samples.count } + pauses.dropLast().reduce(0, +)
        let gaps = freeGaps().filter { $0.count >= span }
        guard !gaps.isEmpty else { return false }
        // Uniform over every start that fits, so long silences take more talk than short ones.
        var position = random.index(gaps.reduce(0) { $0 + $1.count - span + 1 })
        var start = gaps[0].lowerBound
        for candidate in gaps {
            let starts = candidate.count - span + 1
            if position < starts {
                start = candidate.lowerBound + position
                break
            }
            position -= starts
        }
        for (index, (speaker, text)) in lines.enumerated() {
            placed.append(PlacedUtterance(speaker: speaker, text: text, audio: audios[index], start: start, optional: false))
            chatterSaid.insert(text)
            start += audios[index].samples.count + pauses[index]
        }
        return true
    }

    /// Sample ranges where a new utterance may start and end, keeping the gap to neighbours.
    private func freeGaps() -> [Range<Int>] {
        var gaps: [Range<Int>] = []
        var cursor = sample(0.3)
        for range in placed.map(\.range).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound - gap > cursor { gaps.append(cursor..<(range.lowerBound - gap)) }
            cursor = max(cursor, range.upperBound + gap)
        }
        if total - sample(0.3) > cursor { gaps.append(cursor..<(total - sample(0.3))) }
        return gaps
    }

    private static func weightedPick(_ weights: [(NarrationSpeaker, Double)], _ random: inout RandomSource) -> NarrationSpeaker {
        var u = random.unit() * weights.reduce(0) { $0 + $1.1 }
        for (speaker, weight) in weights {
            if u < weight { return speaker }
            u -= weight
        }
        return weights.last?.0 ?? .sonographer
    }
}
