import Foundation
import Testing
@testable import Capture

/// The real ALSA capture path without sound hardware: alsa-lib's own `file` plugin over a
/// `null` slave returns the samples of its `infile` as if a microphone had recorded them.
@Suite struct ALSACaptureTests {
    func writeRaw(_ samples: [Int16]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("showtell-alsa-\(UUID().uuidString).raw").path
        try samples.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
        return path
    }

    func replayConfig(infile: String) -> String {
        """
        pcm.nullsink { type null }
        pcm.replay { type file slave.pcm "nullsink" file "/dev/null" infile "\(infile)" format "raw" }
        """
    }

    @Test func capturesTheInfileSamplesExactly() throws {
        let expected = (0..<48_000).map { Int16(truncatingIfNeeded: ($0 * 37) % 20_000 - 10_000) }
        let path = try writeRaw(expected)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var settings = ALSACapture.Settings()
        settings.device = "replay"
        settings.configText = replayConfig(infile: path)
        let capture = try ALSACapture(settings: settings)
        #expect(capture.rate == 48_000)
        var got: [Int16] = []
        var buffer = [Int16](repeating: 0, count: capture.periodFrames)
        var lastTime: Int64 = 0
        while got.count < expected.count {
            let (frames, time) = try buffer.withUnsafeMutableBufferPointer { try capture.read(into: $0.baseAddress!, frames: capture.periodFrames) }
            #expect(frames > 0)
            #expect(time >= lastTime)
            lastTime = time
            got += buffer[0..<frames]
        }
        #expect(Array(got[0..<expected.count]) == expected)
        #expect(capture.counters.overruns == 0)
        #expect(capture.counters.frames >= expected.count)
    }

    @Test func unknownDeviceIsAClearError() {
        var settings = ALSACapture.Settings()
        settings.device = "no_such_pcm"
        settings.configText = "pcm.other { type null }"
        #expect {
            try ALSACapture(settings: settings)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("no_such_pcm") && text.contains("snd_pcm_open_lconf")
        }
    }

    @Test func badConfigurationIsAClearError() {
        var settings = ALSACapture.Settings()
        settings.device = "replay"
        settings.configText = "pcm.replay { type "
        #expect(throws: ALSAError.self) { try ALSACapture(settings: settings) }
    }
}

/// Playback through alsa-lib's `file` plugin (alsa.conf's pcm.file over the null PCM): what
/// `ALSAPlayback` writes is what the file receives, in order.
@Suite struct ALSAPlaybackTests {
    @Test func playsTheSamplesInOrder() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("showtell-playback-\(UUID().uuidString).raw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples = (0..<4_800).map { Int16(truncatingIfNeeded: ($0 * 53) % 30_000 - 15_000) }
        do {
            let playback = try ALSAPlayback(device: "file:FILE=\(path),FORMAT=raw", rate: 48_000, channels: 1)
            #expect(playback.rate == 48_000)
            try samples.withUnsafeBufferPointer { try playback.write($0.baseAddress!, frames: 2_000) }
            try samples.withUnsafeBufferPointer { try playback.write($0.baseAddress! + 2_000, frames: 2_800) }
            playback.drain()
        }
        let written = try Data(contentsOf: URL(fileURLWithPath: path)).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        #expect(written.count >= samples.count)
        #expect(Array(written.prefix(samples.count)) == samples)
    }

    @Test func unknownDeviceIsAClearError() {
        #expect {
            try ALSAPlayback(device: "no_such_playback_pcm", rate: 48_000, channels: 1)
        } throws: { error in
            String(describing: error).contains("no_such_playback_pcm")
        }
    }
}

@Suite struct SampleRingTests {
    @Test func readsWhatWasWrittenAndReportsLaps() {
        let ring = SampleRing(capacity: 1_024, sampleRate: 48_000)
        let block = (0..<300).map(Float.init)
        for i in 0..<3 { block.withUnsafeBufferPointer { ring.write($0, firstSampleTime: Int64(i) * 6_250_000) } }
        var out = [Float](repeating: 0, count: 300)
        #expect(out.withUnsafeMutableBufferPointer { ring.read(from: 300, count: 300, into: $0.baseAddress!) })
        #expect(out == block)
        #expect(ring.newest().index == 899)
        // Not written yet.
        #expect(!out.withUnsafeMutableBufferPointer { ring.read(from: 800, count: 300, into: $0.baseAddress!) })
        // Lapped: the first block has been overwritten.
        for i in 3..<5 { block.withUnsafeBufferPointer { ring.write($0, firstSampleTime: Int64(i) * 6_250_000) } }
        #expect(!out.withUnsafeMutableBufferPointer { ring.read(from: 0, count: 300, into: $0.baseAddress!) })
    }

    @Test func concurrentReaderNeverSeesTornData() async {
        // Producer writes blocks whose samples all equal the block number; the reader checks
        // every block it manages to read is uniform.
        let ring = SampleRing(capacity: 4_096, sampleRate: 48_000)
        let blocks = 20_000
        let producer = Task.detached {
            var block = [Float](repeating: 0, count: 64)
            for b in 0..<blocks {
                for i in 0..<64 { block[i] = Float(b) }
                block.withUnsafeBufferPointer { ring.write($0, firstSampleTime: Int64(b)) }
            }
        }
        var out = [Float](repeating: 0, count: 64)
        var checked = 0
        while ring.writeCount < blocks * 64 {
            let newest = ring.writeCount / 64 - 1
            if newest < 0 { continue }
            if out.withUnsafeMutableBufferPointer({ ring.read(from: newest * 64, count: 64, into: $0.baseAddress!) }) {
                #expect(out.allSatisfy { $0 == Float(newest) })
                checked += 1
            }
        }
        await producer.value
        #expect(checked > 0)
    }
}
