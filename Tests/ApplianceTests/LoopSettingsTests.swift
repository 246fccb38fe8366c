import ControlPlane
import Testing
@testable import Appliance

/// The loop's configurable settings have one owner of their defaults: the configuration.
struct LoopSettingsTests {
    @Test func defaultsAreTheConfigurations() {
        let settings = ApplianceLoop.Settings(), loop = ApplianceConfig().loop
        #expect(settings.heatmapAlpha == Float(loop.heatmapAlpha))  // was 0.6 here, 0.5 in the config
        #expect(settings.audioHopMilliseconds == loop.audioHopMilliseconds)
        #expect(settings.heatSmoothing == Float(1 - loop.smoothing))
        #expect(settings.nearSpeakerDB == Float(loop.speakerMinDB))
        #expect(settings.centredWindow == (loop.window == .centred))
    }

    @Test func configuredValuesReachTheLoop() throws {
        var config = ApplianceConfig()
        for line in ["loop.heatmap_alpha=0.8", "loop.audio_hop_ms=50", "loop.smoothing=0.25", "loop.speaker_min_db=6", "loop.window=centred"] {
            try config.applyOverride(line)
        }
        let settings = ApplianceLoop.Settings(config.loop)
        #expect(settings.heatmapAlpha == 0.8)
        #expect(settings.audioHopMilliseconds == 50)
        #expect(settings.heatSmoothing == 0.75)
        #expect(settings.nearSpeakerDB == 6)
        #expect(settings.centredWindow)
    }
}

/// The shedding rule alone, on made-up timings (ms -> ns): period 33 ms, a full iteration 10 ms.
@Suite struct LoadShedderTests {
    let ms: Int64 = 1_000_000
    let period: Int64 = 33_000_000
    let cost: Float = 10_000_000

    func shed(_ shedder: inout LoadShedder, lateness: Int64, period: Int64? = nil, cost: Float? = nil) -> Bool {
        shedder.shouldShed(lateness: lateness, period: period ?? self.period, cost: cost ?? self.cost)
    }

    @Test func oneLongIterationCostsNoPass() {
        var shedder = LoadShedder()
        for _ in 0..<10 { let s = shed(&shedder, lateness: 5 * ms); #expect(!s) }
        // The frame after a 50 ms iteration is 17 ms late: 17 + 10 < 33, it catches up.
        let afterLong = shed(&shedder, lateness: 5 * ms + 17 * ms)
        #expect(!afterLong)
        // A frame more than a period behind is shed.
        let behind = shed(&shedder, lateness: 5 * ms + 40 * ms)
        #expect(behind)
    }

    @Test func sustainedOverloadShedsAboutEveryOtherPass() {
        // A full iteration takes 45 ms, a shed one 3 ms; frames every 33 ms.
        var shedder = LoadShedder()
        var lateness: Int64 = 0, sheds = 0
        for _ in 0..<60 {
            let s = shed(&shedder, lateness: lateness, cost: 45_000_000)
            sheds += s ? 1 : 0
            lateness = max(0, lateness + (s ? 3 : 45) * ms - period)
        }
        #expect(sheds >= 20 && sheds <= 40, "\(sheds) of 60 shed")
        #expect(lateness < period, "the loop keeps up: \(lateness / ms) ms late at the end")
    }

    @Test func aSourceDelayThatGrowsIsRelearnt() {
        var shedder = LoadShedder()
        for _ in 0..<10 { _ = shed(&shedder, lateness: 2 * ms) }
        // From now on every frame arrives 200 ms after its timestamp (a clock step): shed at
        // first, then the floor takes the new delay and passes run again.
        var sheds = 0
        for _ in 0..<30 { sheds += shed(&shedder, lateness: 202 * ms) ? 1 : 0 }
        #expect(sheds > 0 && sheds <= 9, "\(sheds) passes shed before relearning")
        let settled = shed(&shedder, lateness: 202 * ms)
        #expect(!settled)
        // After a reopen the floor starts again from the new device's first frame.
        shedder.reset()
        let first = shed(&shedder, lateness: 500 * ms, period: 0)
        let second = shed(&shedder, lateness: 500 * ms)
        #expect(!first && !second)
    }
}
