import Testing
@testable import PrepEvaluation

/// DER, WER and keyword scoring on hand-made cases with answers worked out by hand.
struct MetricTests {
    typealias Turn = DiarizationError.Turn

    @Test func perfectAndRelabelledHypothesesScoreZero() {
        let reference: [Turn] = [(0, 2, "sonographer"), (3, 5, "parent"), (6, 8, "sonographer")]
        let same = DiarizationError.compute(reference: reference, hypothesis: reference, duration: 10)
        #expect(same.rate == 0)
        let renamed: [Turn] = [(0, 2, "S0"), (3, 5, "S1"), (6, 8, "S0")]
        #expect(DiarizationError.compute(reference: reference, hypothesis: renamed, duration: 10).rate == 0)
    }

    @Test func missedFalseAlarmAndConfusionWithCollar() {
        // Reference: A 0-4, B 5-9. Collar 0.25 s around 0, 4, 5, 9: scored reference = 4 - 0.5 + 4 - 0.5 = 7 s.
        let reference: [Turn] = [(0, 4, "A"), (5, 9, "B")]
        // Hypothesis: X 0-4 (correct), X 5-7 (confusion 5.25-7 = 1.75 s), nothing 7-9 (missed 7-8.75 = 1.75 s),
        // Y 9.5-10 (false alarm 0.5 s).
        let hypothesis: [Turn] = [(0, 4, "X"), (5, 7, "X"), (9.5, 10, "Y")]
        let der = DiarizationError.compute(reference: reference, hypothesis: hypothesis, duration: 10)
        #expect(abs(der.scoredSeconds - 7) < 0.011)
        #expect(abs(der.missed - 1.75) < 0.011)
        #expect(abs(der.falseAlarm - 0.5) < 0.011)
        #expect(abs(der.confusion - 1.75) < 0.011)
        #expect(abs(der.rate - 4.0 / 7) < 0.005)
        // Without a collar the same case scores 8 s of reference.
        let strict = DiarizationError.compute(reference: reference, hypothesis: hypothesis, duration: 10, collar: 0)
        #expect(abs(strict.scoredSeconds - 8) < 0.011)
    }

    @Test func wordErrorRateCountsEachKind() {
        let wer = WordErrorRate.compute(reference: ["the", "heart", "looks", "good"], hypothesis: ["the", "hat", "good", "now"])
        // heart->hat (S), looks deleted (D), now inserted (I).
        #expect(wer.referenceWords == 4)
        #expect(wer.substitutions + wer.deletions + wer.insertions == 3)
        #expect(WordErrorRate.compute(reference: ["a", "b", "c"], hypothesis: ["a", "c"]) == .init(referenceWords: 3, substitutions: 0, deletions: 1, insertions: 0))
        #expect(WordErrorRate.compute(reference: ["a", "b"], hypothesis: ["a", "x", "b"]) == .init(referenceWords: 2, substitutions: 0, deletions: 0, insertions: 1))
        #expect(WordErrorRate.compute(reference: ["a", "b"], hypothesis: ["a", "x"]) == .init(referenceWords: 2, substitutions: 1, deletions: 0, insertions: 0))
        #expect(abs(wer.rate - 0.75) < 1e-12)
        #expect(WordErrorRate.compute(reference: ["a", "b"], hypothesis: []).deletions == 2)
        #expect(WordErrorRate.compute(reference: [], hypothesis: ["a"]).insertions == 1)
        #expect(WordErrorRate.compute(reference: ["a", "b"], hypothesis: ["a", "b"]).rate == 0)
    }

    @Test func keywordNeedsSameAnatomyWithinHalfASecond() {
        let spoken = [KeywordScore.Event(anatomy: "heart", start: 10, end: 10.4),
                      KeywordScore.Event(anatomy: "spine", start: 20, end: 20.5),
                      KeywordScore.Event(anatomy: "femur", start: 30, end: 30.4)]
        let detected = [KeywordScore.Event(anatomy: "heart", start: 10.8, end: 11),   // 0.4 s after the end: found
                        KeywordScore.Event(anatomy: "spine", start: 21.1, end: 21.3), // 0.6 s after: not found
                        KeywordScore.Event(anatomy: "aorta", start: 30, end: 30.4),   // wrong anatomy
                        KeywordScore.Event(anatomy: "heart", start: 10.1, end: 10.3)] // a second detection of one word
        let (total, perAnatomy) = KeywordScore.score(spoken: spoken, detected: detected)
        #expect(total.spoken == 3 && total.detected == 4 && total.found == 1)
        #expect(abs(total.recall - 1.0 / 3) < 1e-12)
        #expect(abs(total.precision - 0.25) < 1e-12)
        #expect(perAnatomy["heart"] == KeywordScore(spoken: 1, detected: 2, found: 1))
        #expect(perAnatomy["aorta"]?.detected == 1)
    }
}
