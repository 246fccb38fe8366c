import Foundation
import Platform
@testable import PhantomScan
import Testing

@Suite struct VoicePoolTests {
    /// Held-out evaluation must hear no accent and no variant that training heard.
    @Test func trainAndHeldOutPoolsAreDisjoint() {
        #expect(Set(VoicePool.train.accents).isDisjoint(with: VoicePool.heldout.accents))
        #expect(Set(VoicePool.train.variants).isDisjoint(with: VoicePool.heldout.variants))
        #expect(Set(VoicePool.train.accents + VoicePool.heldout.accents) == Set(VoicePool.all.accents))
        for pool in VoicePool.allCases { #expect(pool.variants.count >= NarrationSpeaker.allCases.count) }
    }

    @Test func castingDrawsOnlyFromThePool() {
        for seed in UInt64(0)..<20 {
            var random = RandomSource(seed: seed, stream: 1)
            let voices = VoiceCasting.cast(&random, pool: .heldout)
            for voice in voices.values {
                let parts = voice.name.split(separator: "+").map(String.init)
                #expect(VoicePool.heldout.accents.contains(parts[0]) && VoicePool.heldout.variants.contains(parts[1]))
            }
            #expect(Set(voices.values.map(\.name)).count == voices.count)
        }
    }

    /// The acoustic model's adaptation speech (models/tools/adapt_acoustic_model.py) must use the
    /// training pool only, or the held-out voices' keyword figures would not be held out.
    @Test func acousticAdaptationUsesTheTrainingPool() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../models/tools/adapt_acoustic_model.py").standardized
        let text = try String(contentsOf: script, encoding: .utf8)
        func list(_ name: String) -> [String]? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + " = [") }) else { return nil }
            return line.split(separator: "[")[1].split(separator: "]")[0].split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        #expect(list("TRAIN_ACCENTS") == VoicePool.train.accents)
        #expect(list("TRAIN_VARIANTS") == VoicePool.train.variants)
    }
}
