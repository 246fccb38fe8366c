import Capture
import Foundation
import MediaFormats
import PhantomScan
import Testing
@testable import Appliance

/// The live phantom sources (`phantom:SEED`) show and say exactly what `showtell synth` would record.
struct PhantomSourcesTests {
    @Test func videoSourceRendersTheScriptedScanAndEnds() throws {
        let clock = ReplayClock(paced: false)
        let source = PhantomVideoSource(seed: 9, minutes: 2.0 / 60, clock: clock, loop: false)
        var renderer = BModeRenderer(timeline: ScanScriptGenerator(seed: 9).timeline(duration: 2), seed: 9)
        var expected = renderer.makeImage()
        let pixels = UnsafeMutablePointer<UInt8>.allocate(capacity: source.width * source.height)
        defer { pixels.deallocate() }
        var frames = 0
        while let stamp = try source.next(into: pixels, timeoutMilliseconds: 100) {
            #expect(stamp.sequence == frames)
            #expect(stamp.captureTime == clock.time(of: Double(frames) / 30))
            if frames % 20 == 0 {
                _ = renderer.render(frame: frames, into: &expected)
                #expect(expected.pixels.withUnsafeBufferPointer { $0.elementsEqual(UnsafeBufferPointer(start: pixels, count: $0.count)) })
            }
            frames += 1
        }
        #expect(frames == 60)
        #expect(source.finished)
    }

    @Test(.enabled(if: NarrationGenerator.isAvailable, "espeak-ng is not installed"))
    func narrationSourcePlaysTheGeneratedNarration() throws {
        let source = try PhantomNarrationSource.open(seed: 4, minutes: 3.0 / 60, clock: ReplayClock(paced: false), loop: false)
        let narration = try NarrationGenerator().generate(timeline: ScanScriptGenerator(seed: 4).timeline(duration: 3), seed: 4)
        var played: [Float] = []
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 4_800)
        defer { buffer.deallocate() }
        while true {
            let (count, _) = try source.read(into: buffer, capacity: 4_800)
            if count == 0 { break }
            played.append(contentsOf: UnsafeBufferPointer(start: buffer, count: count))
        }
        #expect(source.sampleRate == 48_000)
        #expect(played == narration.audio)
    }

    /// The generator is a leaf: the appliance adapts it, not the other way round.
    @Test func phantomScanDoesNotImportCapture() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/PhantomScan").standardized
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(!files.isEmpty)
        for file in files {
            let text = try String(contentsOfFile: sources.path + "/" + file, encoding: .utf8)
            #expect(!text.contains("import Capture"), "\(file) imports Capture")
        }
    }
}
