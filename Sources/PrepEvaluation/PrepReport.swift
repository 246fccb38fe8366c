import Foundation
import GroundTruth
import Platform
import Prep

/// prep-report.md and prep-report.json: the prepared dataset measured against the phantom
/// ground truth (speech, diarization, recognition, keywords, clips, speed).
public struct PrepReport: Codable, Sendable {
    public struct Session: Codable, Sendable {
        public var name: String
        public var duration: Double
        public var speechFraction: Double
        public var speakersFound: Int
        public var speakerSeconds: [String: Double]
        public var kept: String?
        public var der: DiarizationError?
        /// Share of the kept segments' speech (time the reference has anyone speaking) that is the sonographer's.
        public var sonographerShare: Double?
        /// Share of the sonographer's speech that the kept segments cover.
        public var sonographerCoverage: Double?
        public var wer: WordErrorRate?
        public var keywords: KeywordScore?
        public var keywordsPerAnatomy: [String: KeywordScore]
        public var clips: Int
        public var clipsPerAnatomy: [String: Int]
        /// Wall seconds (the machine may be shared) and CPU seconds of the one thread that ran it.
        public var seconds: Double
        public var cpuSeconds: Double
        public var stageSeconds: [String: Double]
        public var stageCPUSeconds: [String: Double]
        /// Duration / CPU seconds: speed on one core.
        public var realTimeFactor: Double
        public var wallRealTimeFactor: Double
        public var notes: [String]
        public var truth: String?
    }

    public var sessions: [Session]
    public var total: Session
    public var collarSeconds = 0.25
    public var keywordToleranceSeconds = 0.5

    /// Builds the report; a session without readable ground truth is reported without the
    /// truth-based numbers (and says why).
    public static func make(_ stored: [DatasetBuilder.Stored], keywords: KeywordDictionary, setupSeconds: Double = 0, setupCPUSeconds: Double = 0) -> PrepReport {
        let matcher = KeywordMatcher(keywords)
        var sessions: [Session] = []
        var allSpoken = KeywordScore(), perAnatomyAll: [String: KeywordScore] = [:]
        var werAll = WordErrorRate(referenceWords: 0, substitutions: 0, deletions: 0, insertions: 0)
        var derAll = DiarizationError(scoredSeconds: 0, missed: 0, falseAlarm: 0, confusion: 0)
        var sonoKept = 0.0, speechKept = 0.0, sonoTotal = 0.0
        var clipsPerAnatomyAll: [String: Int] = [:]
        var haveTruth = false
        for item in stored {
            let summary = item.summary
            var clipsPerAnatomy: [String: Int] = [:]
            for clip in item.clips {
                for anatomy in Set(clip.words.compactMap(\.anatomy)) { clipsPerAnatomy[anatomy, default: 0] += 1 }
            }
            for (k, v) in clipsPerAnatomy { clipsPerAnatomyAll[k, default: 0] += v }
            let wall = summary.seconds.values.reduce(0, +), cpu = summary.cpuSeconds.values.reduce(0, +)
            var session = Session(
                name: summary.name, duration: summary.duration,
                speechFraction: summary.duration > 0 ? summary.speechSeconds / summary.duration : 0,
                speakersFound: summary.speakers.count, speakerSeconds: summary.speakers, kept: summary.kept,
                der: nil, sonographerShare: nil, sonographerCoverage: nil, wer: nil, keywords: nil, keywordsPerAnatomy: [:],
                clips: summary.clips, clipsPerAnatomy: clipsPerAnatomy, seconds: wall, cpuSeconds: cpu,
                stageSeconds: summary.seconds, stageCPUSeconds: summary.cpuSeconds,
                realTimeFactor: cpu > 0 ? summary.duration / cpu : 0, wallRealTimeFactor: wall > 0 ? summary.duration / wall : 0,
                notes: summary.notes, truth: nil)
            do {
                let truth = try SessionTruth.read(directory: summary.source)
                haveTruth = true
                let reference = truth.speakerTurns()
                let hypothesis = summary.segments.map { (start: $0.start, end: $0.end, speaker: $0.speaker ?? "?") }
                let der = DiarizationError.compute(reference: reference, hypothesis: hypothesis, duration: summary.duration)
                session.der = der
                derAll.scoredSeconds += der.scoredSeconds; derAll.missed += der.missed
                derAll.falseAlarm += der.falseAlarm; derAll.confusion += der.confusion

                let kept = summary.segments.filter { $0.speaker == summary.kept }
                var sono = 0.0, any = 0.0
                for segment in kept {
                    for turn in reference {
                        let overlap = max(0, min(segment.end, turn.end) - max(segment.start, turn.start))
                        any += overlap
                        if turn.speaker == SessionTruth.sonographer { sono += overlap }
                    }
                }
                let sonoSpeech = reference.filter { $0.speaker == SessionTruth.sonographer }.reduce(0) { $0 + $1.end - $1.start }
                session.sonographerShare = any > 0 ? sono / any : nil
                session.sonographerCoverage = sonoSpeech > 0 ? sono / sonoSpeech : nil
                sonoKept += sono; speechKept += any; sonoTotal += sonoSpeech

                let sonographerWords = truth.words.filter { $0.speaker == SessionTruth.sonographer }
                let referenceText = sonographerWords.map { KeywordDictionary.normalise($0.text) }.filter { !$0.isEmpty }
                let wer = WordErrorRate.compute(reference: referenceText, hypothesis: summary.words.map(\.word))
                session.wer = wer
                werAll.referenceWords += wer.referenceWords; werAll.substitutions += wer.substitutions
                werAll.deletions += wer.deletions; werAll.insertions += wer.insertions

                let spoken = KeywordScore.events(sonographerWords.map { ($0.text, $0.start, $0.end) }, matcher: matcher)
                let detected = KeywordScore.events(summary.words.map { ($0.word, $0.start, $0.end) }, matcher: matcher)
                let (score, perAnatomy) = KeywordScore.score(spoken: spoken, detected: detected)
                session.keywords = score
                session.keywordsPerAnatomy = perAnatomy
                allSpoken = KeywordScore.add(allSpoken, score)
                for (k, v) in perAnatomy { perAnatomyAll[k] = KeywordScore.add(perAnatomyAll[k] ?? KeywordScore(), v) }
            } catch {
                session.truth = "no ground truth: \(error)"
            }
            sessions.append(session)
        }
        let duration = sessions.reduce(0) { $0 + $1.duration }, wall = sessions.reduce(0) { $0 + $1.seconds } + setupSeconds
        let cpu = sessions.reduce(0) { $0 + $1.cpuSeconds } + setupCPUSeconds
        let speech = stored.reduce(0) { $0 + $1.summary.speechSeconds }
        var stages: [String: Double] = ["setup (language model, recogniser)": setupSeconds]
        var stagesCPU = ["setup (language model, recogniser)": setupCPUSeconds]
        for s in sessions {
            for (k, v) in s.stageSeconds { stages[k, default: 0] += v }
            for (k, v) in s.stageCPUSeconds { stagesCPU[k, default: 0] += v }
        }
        let total = Session(
            name: "total", duration: duration, speechFraction: duration > 0 ? speech / duration : 0,
            speakersFound: sessions.reduce(0) { $0 + $1.speakersFound }, speakerSeconds: [:], kept: nil,
            der: haveTruth ? derAll : nil, sonographerShare: speechKept > 0 ? sonoKept / speechKept : nil,
            sonographerCoverage: sonoTotal > 0 ? sonoKept / sonoTotal : nil,
            wer: haveTruth ? werAll : nil, keywords: haveTruth ? allSpoken : nil, keywordsPerAnatomy: perAnatomyAll,
            clips: sessions.reduce(0) { $0 + $1.clips }, clipsPerAnatomy: clipsPerAnatomyAll, seconds: wall, cpuSeconds: cpu,
            stageSeconds: stages, stageCPUSeconds: stagesCPU,
            realTimeFactor: cpu > 0 ? duration / cpu : 0, wallRealTimeFactor: wall > 0 ? duration / wall : 0, notes: [], truth: nil)
        return PrepReport(sessions: sessions, total: total)
    }

    public func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try FileIO.writeAtomically(directory + "/prep-report.json", Array(try encoder.encode(self)) + [0x0A])
        try FileIO.writeAtomically(directory + "/prep-report.md", Array(markdown.utf8))
    }

    static func percent(_ x: Double?) -> String { x.map { String(format: "%.1f %%", 100 * $0) } ?? "n/a" }

    public var markdown: String {
        var text = "# Prep report\n\n"
        text += "DER: standard definition (missed + false alarm + confusion over reference speech), 10 ms grid, "
        text += "\(collarSeconds) s collar around reference turn boundaries, optimal one-to-one speaker mapping. "
        text += "Sonographer share: sonographer speech / all reference speech inside the kept speaker's segments. "
        text += "WER: the kept speaker's recognised words (with `<unk>`) against the sonographer's true words, whole session aligned. "
        text += "Keywords: the dictionary matched on the sonographer's true words vs on the recognised words; found when the same anatomy starts within \(keywordToleranceSeconds) s.\n\n"
        text += "| session | minutes | speech | speakers (kept) | DER | sonographer share | coverage | WER | keyword P | keyword R | clips | CPU s | x real time (1 core) | wall s |\n"
        text += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        for s in sessions + [total] {
            let speakers = s.name == "total" ? "\(s.speakersFound)" : "\(s.speakersFound) (\(s.kept ?? "none"))"
            text += "| \(s.name) | \(String(format: "%.1f", s.duration / 60)) | \(Self.percent(s.speechFraction)) | \(speakers) | "
            text += "\(Self.percent(s.der?.rate)) | \(Self.percent(s.sonographerShare)) | \(Self.percent(s.sonographerCoverage)) | \(Self.percent(s.wer?.rate)) | "
            text += "\(Self.percent(s.keywords?.precision)) | \(Self.percent(s.keywords?.recall)) | \(s.clips) | "
            text += "\(String(format: "%.1f", s.cpuSeconds)) | \(String(format: "%.1f", s.realTimeFactor)) | \(String(format: "%.1f", s.seconds)) |\n"
        }
        text += "\n## Keywords per anatomy (all sessions)\n\n| anatomy | spoken | detected | found | precision | recall | clips naming it |\n|---|---|---|---|---|---|---|\n"
        let names = Set(total.keywordsPerAnatomy.keys).union(total.clipsPerAnatomy.keys).sorted()
        for name in names {
            let k = total.keywordsPerAnatomy[name] ?? KeywordScore()
            text += "| \(name) | \(k.spoken) | \(k.detected) | \(k.found) | \(Self.percent(k.detected > 0 ? k.precision : nil)) | "
            text += "\(Self.percent(k.spoken > 0 ? k.recall : nil)) | \(total.clipsPerAnatomy[name] ?? 0) |\n"
        }
        if let der = total.der {
            text += "\n## Diarization errors (all sessions)\n\nscored \(String(format: "%.1f", der.scoredSeconds)) s: missed \(String(format: "%.1f", der.missed)) s, "
            text += "false alarm \(String(format: "%.1f", der.falseAlarm)) s, confusion \(String(format: "%.1f", der.confusion)) s.\n"
        }
        if let wer = total.wer {
            text += "\nWER (all sessions): \(wer.referenceWords) reference words, \(wer.substitutions) substitutions, \(wer.deletions) deletions, \(wer.insertions) insertions.\n"
        }
        text += "\n## Time per stage (all sessions; CPU seconds of the one thread, wall seconds)\n\n"
        for (stage, value) in total.stageCPUSeconds.sorted(by: { $0.key < $1.key }) {
            text += "- \(stage): \(String(format: "%.1f", value)) CPU, \(String(format: "%.1f", total.stageSeconds[stage] ?? 0)) wall\n"
        }
        let notes = sessions.flatMap { s in s.notes.map { "\(s.name): \($0)" } + (s.truth.map { ["\(s.name): \($0)"] } ?? []) }
        if !notes.isEmpty { text += "\n## Notes\n\n" + notes.map { "- \($0)\n" }.joined() }
        return text
    }
}
