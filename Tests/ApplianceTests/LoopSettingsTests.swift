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
