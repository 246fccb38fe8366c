import Foundation
import NeuralCore
import Testing
@testable import Prep

/// Clip placement and the safetensors encodings training reads.
struct ClipIndexTests {
    @Test func clipsWhereTheKeptSpeakerCoversHalfTheWindow() {
        // Kept speech 1.0-2.0 s; windows [t-0.3, t+0.3] on t = 0.3, 0.5, ...
        let kept = [SpeakerSegment(start: 1.0, end: 2.0, speaker: "S0")]
        let speech = [Bool](repeating: true, count: 400)
        let clips = ClipPlanner().plan(kept: kept, speech: speech, duration: 4, fps: 30, frameCount: 120)
        // Coverage >= 0.3 s: t in [1.0, 2.0] -> 1.1, 1.3, 1.5, 1.7, 1.9 (0.9 covers 0.2 s only; 2.1 covers 0.2 s).
        #expect(clips.map(\.t) == [1.1, 1.3, 1.5, 1.7, 1.9])
        #expect(clips[0].frames == [30, 36])  // 1.0 s and 1.2 s at 30 fps
        #expect(clips.allSatisfy { $0.vad == 1 })
        #expect(ClipPlanner().plan(kept: [], speech: speech, duration: 4, fps: 30, frameCount: 120).isEmpty)
    }

    @Test func halvesAndBytesRoundTripThroughSafeTensors() throws {
        var writer = SafeTensorsWriter()
        writer.add("spectrograms", shape: [2, 3], halves: [0, 1.5, -2, 65504, 0.000061035156, -0.25])
        writer.add("frames", shape: [2, 2], bytes: [0, 17, 200, 255])
        writer.add("empty", shape: [0, 4], bytes: [])
        let file = try SafeTensorsFile(bytes: writer.encode())
        #expect(try file.floats("spectrograms") == [0, 1.5, -2, 65504, 0.000061035156, -0.25])
        #expect(try file.integers("frames") == [0, 17, 200, 255])
        #expect(file.info("spectrograms")?.dtype == "F16")
        #expect(file.info("empty")?.shape == [0, 4])
    }
}
