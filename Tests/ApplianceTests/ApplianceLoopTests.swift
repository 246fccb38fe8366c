import Capture
import ControlPlane
import Display
import Foundation
import MediaFormats
import ShowTellModel
import Testing
@testable import Appliance

/// The loop end to end on real files: an MJPEG AVI and a WAV replayed as fast as possible
/// through the same sources, front-end and compositor the appliance uses, onto a null screen.
@Suite struct ApplianceLoopTests {
    /// 2 s at 30 fps of a moving bar (frame i: columns barAt(i)..<barAt(i) + 10); frame
    /// `corrupt` (if any) is garbage.
    func writeVideo(_ path: String, frames: Int = 60, corrupt: Int? = nil, barAt: (Int) -> Int = { $0 * 2 % 150 }) throws {
        let writer = try AVIWriter(path: path, width: 160, height: 120, frameRate: FrameRate(30))
        for i in 0..<frames {
            var image = Image8(width: 160, height: 120, channels: 1, fill: 40)
            for y in 0..<120 { for x in barAt(i)..<(barAt(i) + 10) { image.pixels[y * 160 + x] = 220 } }
            if i == corrupt {
                // Headers intact, scan cut in half: what a grabber sends when a USB packet is lost.
                let jpeg = try JPEGCodec.encode(image, quality: 85)
                try writer.append(jpeg: Array(jpeg[0..<(jpeg.count / 2)]) + [0xFF, 0xD9])
                continue
            }
            try writer.append(image, quality: 85)
        }
        try writer.finish()
    }

    /// 48 kHz: silence, and a voiced, speech-like harmonic sound where `voiced(seconds)`
    /// (by default 2 s: 1 s of silence, then the sound).
    func writeAudio(_ path: String, seconds: Int = 2, voiced: (Double) -> Bool = { $0 >= 1 }) throws {
        let rate = 48_000
        let samples = (0..<(seconds * rate)).map { n -> Float in
            guard voiced(Double(n) / Double(rate)) else { return 0 }
            let t = Double(n) / Double(rate)
            var x = 0.0
            for h in 1...10 { x += sin(2 * .pi * 130 * Double(h) * t) / Double(h) }
            return Float(0.2 * x * (0.6 + 0.4 * sin(2 * .pi * 4 * t)))
        }
        try WAVFile.write(AudioClip(sampleRate: rate, channels: 1, samples: samples), to: path)
    }

    /// Paced: the replay runs at 30 fps of real time from the moment this returns.
    func makeLoop(directory: String, corrupt: Int? = nil, settings: ApplianceLoop.Settings = .init(),
                  model: LocalisationModel? = nil, paced: Bool = false) throws -> (ApplianceLoop, NullScreen) {
        try writeVideo(directory + "/video.avi", corrupt: corrupt)
        try writeAudio(directory + "/audio.wav")
        let clock = ReplayClock(paced: paced)
        let video = try ReplayVideoSource(path: directory + "/video.avi", clock: clock)
        let audio = try ReplayAudioSource(path: directory + "/audio.wav", clock: clock)
        let screen = NullScreen(width: 320, height: 264)
        let loop = try ApplianceLoop(video: video, audio: audio, audioThreaded: false, screen: screen, model: model, settings: settings)
        clock.restart()
        return (loop, screen)
    }

    /// Screen columns of the bright bar on row 100 (the bar of frame i covers frame x 2i...2i+9).
    func barColumns(_ screen: NullScreen) -> [Int] {
        (0..<320).filter { screen.canvas.row(100)[$0] & 0xFF > 180 }
    }

    /// Causal: the newest frame is shown. Centred: the frame 0.3 s (9 frames at 30 fps) older,
    /// so the audio window that ends now is centred on it.
    @Test func centredWindowShowsTheFrameFromHalfAWindowAgo() throws {
        for centred in [false, true] {
            let scratch = ScratchFolder("showtell-loop")
            let directory = scratch.path
            var settings = ApplianceLoop.Settings()
            settings.centredWindow = centred
            let (loop, screen) = try makeLoop(directory: directory, settings: settings)
            for _ in 0..<30 { _ = try loop.step() }
            let shown = centred ? 29 - 9 : 29
            // 160 frame pixels onto 320 screen pixels: the bar starts at screen x 4 * shown.
            let columns = barColumns(screen)
            #expect(columns.first.map { abs($0 - 4 * shown) <= 2 } == true, "centred \(centred): bar at \(columns.first ?? -1), expected \(4 * shown)")
        }
    }

    @Test func replaysEveryFrameAndHearsTheSpeech() throws {
        let scratch = ScratchFolder("showtell-loop")
        let directory = scratch.path
        let (loop, screen) = try makeLoop(directory: directory)
        try loop.run { false }
        let c = loop.counters
        #expect(c.framesIn == 60 && c.framesOut == 60 && screen.presented == 60)
        #expect(c.framesDropped == 0)
        // Windows every 100 ms once 0.6 s of audio is there: about 14 in 2 s.
        #expect(c.audioWindows >= 12 && c.audioWindows <= 16)
        // Silence for the first second, the voiced sound after it.
        #expect(c.speechWindows >= 4 && c.speechWindows < c.audioWindows)
        #expect(loop.metrics.latencySummariesIdle().captureToDisplay.count == 60)
    }

    /// With a relevance head the heatmap follows speech about anatomy only: a head that says
    /// "anatomy" lets every speech window drive the map; one that says "not anatomy" keeps the
    /// picture grey and the status bar says why. Without a head, or with `loop.anatomy_gate =
    /// false`, every speech window counts.
    @Test func relevanceHeadGatesTheHeatmap() throws {
        for (bias, gate, expectHeat) in [(Float(6), true, true), (Float(-6), true, false), (nil, true, true), (Float(-6), false, true)] {
            let scratch = ScratchFolder("showtell-loop")
            let head = bias.map { RelevanceHead(weights: [0, 0, 0, 0], bias: $0, threshold: 0.5, taughtBy: "test") }
            var settings = ApplianceLoop.Settings()
            settings.anatomyGate = gate
            let (loop, screen) = try makeLoop(directory: scratch.path, settings: settings, model: ConstantModel(relevance: head))
            try loop.run { false }
            let c = loop.counters
            #expect(c.speechWindows >= 4)
            #expect(c.anatomyWindows == (expectHeat ? c.speechWindows : 0), "bias \(String(describing: bias)), gate \(gate)")
            // The last frame, 1 s into the voiced sound: coloured pixels only under a heatmap
            // (rows 0..<240 hold the picture; the status bar below has coloured text).
            let coloured = (0..<240).contains { y in
                let row = screen.canvas.row(y)
                return (0..<320).contains { x in (row[x] >> 16) & 0xFF != row[x] & 0xFF }
            }
            #expect(coloured == expectHeat, "bias \(String(describing: bias)): heatmap shown \(coloured)")
        }
    }

    /// Paced at 30 fps (2 s of real time per case): a long iteration now
    /// and then does not cost a video pass; a video branch longer than the frame period sheds
    /// about every other pass, and every frame is still shown.
    @Test func videoPassesAreSkippedOnlyWhenTheLoopIsBehind() throws {
        for (audioMilliseconds, videoMilliseconds) in [(26, 0), (0, 45)] {
            let scratch = ScratchFolder("showtell-loop")
            let model = ConstantModel(audioMilliseconds: audioMilliseconds, videoMilliseconds: videoMilliseconds)
            let (loop, _) = try makeLoop(directory: scratch.path, model: model, paced: true)
            try loop.run { false }
            let c = loop.counters
            #expect(c.framesIn == 60 && c.framesOut == 60 && c.framesDropped == 0)
            let eligible = model.videoPasses + c.framesSkipped
            #expect(eligible >= 20, "\(eligible) frames during speech")
            if videoMilliseconds == 0 {
                // Each audio window (every 3rd frame) makes an iteration longer than the 33 ms
                // period, after which the old rule skipped; the next frame is then a few ms late
                // and a normal iteration catches up. The old rule skips once per audio window;
                // a few passes may still go when the parallel test run starves this one of a
                // core for whole frame periods (clean clones: 2 of 23, and once 5 of 23 with 8
                // audio windows), so the bound is the old rule's count, not half of it.
                #expect(model.audioPasses >= 5)
                #expect(c.framesSkipped < model.audioPasses,
                        "\(c.framesSkipped) of \(eligible) video passes skipped after \(model.audioPasses) isolated long iterations")
            } else {
                #expect(c.framesSkipped * 4 >= eligible && c.framesSkipped * 4 <= 3 * eligible,
                        "sustained overload: \(c.framesSkipped) of \(eligible) passes shed, expected about half")
            }
        }
    }

    /// A busy box gets frames a second apart: with the centred window it shows the previous
    /// frame, and must hear what was said over that frame, not over the newest one (the
    /// emulated board's loop takes frames 1-1.5 s apart at times; pairing the shown frame
    /// with the newest audio put the heat of the next sentence on it). Threaded, the audio
    /// is all in the feed's ring before the first frame (a grabber's frames are as old as the
    /// loop's last iteration, the microphone's samples are not): the windows must still be
    /// computed (pushing all of it into the front-end left none within its reach). Speech
    /// from 0.5 to 1.5 s; the box gets the frames at 0, 1, 2 and 3 s.
    @Test(arguments: [false, true])
    func heatHearsTheShownFrameWhenFramesComeSecondsApart(threaded: Bool) throws {
        for centred in [false, true] {
            let scratch = ScratchFolder("showtell-loop")
            let directory = scratch.path
            try writeVideo(directory + "/video.avi", frames: 120)
            try writeAudio(directory + "/audio.wav", seconds: 4, voiced: { (0.5..<1.5).contains($0) })
            let clock = ReplayClock(paced: false)
            let video = EveryNthFrame(try ReplayVideoSource(path: directory + "/video.avi", clock: clock), n: 30)
            let audio = try ReplayAudioSource(path: directory + "/audio.wav", clock: clock)
            var settings = ApplianceLoop.Settings()
            settings.centredWindow = centred
            let loop = try ApplianceLoop(video: video, audio: audio, audioThreaded: threaded, screen: NullScreen(width: 320, height: 264),
                                         model: ConstantModel(), settings: settings)
            clock.restart()
            var heard: [Bool] = [], first = true
            try loop.run {
                if first {
                    first = false
                    for _ in 0..<500 where threaded && !audio.finished { usleep(10_000) }
                } else {
                    heard.append(loop.speaking)
                }
                return false
            }
            // Causal: the frame at 1 s with the window 0.4-1.0 s. Centred: the frame at 1 s is
            // shown beside the one at 2 s, with the window 0.7-1.3 s (the newest audio,
            // 1.4-2.0 s, holds 0.1 s of speech).
            let expected = centred ? [false, false, true, false] : [false, true, false, false]
            #expect(heard == expected, "centred \(centred), threaded \(threaded): speaking per frame \(heard), expected \(expected)")
            // Every frame whose window lies after the first 0.6 s of audio: causal 1, 2, 3 s; centred 1, 2 s.
            let windows = centred ? 2 : 3
            #expect(loop.counters.audioWindows == windows, "\(loop.counters.audioWindows) audio windows computed, expected \(windows)")
            // Window ends a second apart: of each second only the window and 0.2 s before it
            // (0.8 s) is cleaned, the 0.2 s before that passed over (causal: 3 times; centred:
            // the window ends 0.3, 0.3, 1.3, 2.3 s, twice). Cleaning it all made a slow loop slower.
            let skipped = (centred ? 2 : 3) * 9_600
            #expect(abs(loop.counters.audioSkipped - skipped) <= 480, "\(loop.counters.audioSkipped) samples passed over, expected \(skipped)")
        }
    }

    /// An overloaded box sheds video passes; it must not leave a map on a picture that has
    /// moved on. Frames 1 s apart, speech throughout from 0.5 s; the frame at 2 s comes 3 s
    /// late (a stalled grabber), so its pass is shed: the map of the frame at 1 s is not drawn
    /// on it (it was, at full opacity, while the sentence went on).
    @Test func aMapIsNotShownOnAFrameLongAfterItsOwn() throws {
        let scratch = ScratchFolder("showtell-loop")
        let directory = scratch.path
        try writeVideo(directory + "/video.avi", frames: 120)
        try writeAudio(directory + "/audio.wav", seconds: 4, voiced: { $0 >= 0.5 })
        let clock = ReplayClock(paced: false)
        let video = EveryNthFrame(try ReplayVideoSource(path: directory + "/video.avi", clock: clock), n: 30, lateSeconds: [60: 3])
        let audio = try ReplayAudioSource(path: directory + "/audio.wav", clock: clock)
        let settings = ApplianceLoop.Settings()
        let loop = try ApplianceLoop(video: video, audio: audio, audioThreaded: false, screen: NullScreen(width: 320, height: 264),
                                     model: ConstantModel(), settings: settings)
        clock.restart()
        var alphas: [Float] = []
        for _ in 0..<3 {
            #expect(try loop.step())
            alphas.append(loop.alpha)
        }
        #expect(loop.counters.framesSkipped == 1, "\(loop.counters.framesSkipped) video passes shed")
        #expect(loop.speaking)
        // Frames a second apart: each step's opacity reaches its target (the fades take 0.15 and 0.8 s).
        #expect(alphas[1] > 0.9 * settings.heatmapAlpha, "opacity with a fresh map: \(alphas)")
        #expect(alphas[2] < 0.3 * settings.heatmapAlpha, "opacity with the previous frame's map: \(alphas)")
    }

    /// Speech (1-2.5 s) with the bar on the left; then the bar on the right and a second
    /// sentence, after a short pause (4 s: the overlay is still fading out, its video passes
    /// still run) or a long one (8 s, the bar moved at 7 s). The second sentence's first heat is
    /// its own map, not half of it averaged with the first sentence's (`loop.smoothing` 0.5),
    /// which a skipped video pass would also have shown while the overlay faded back in.
    @Test(arguments: [(secondSentence: 4.0, barMoves: 120), (secondSentence: 8.0, barMoves: 210)])
    func newSentenceStartsFromItsOwnMap(_ timing: (secondSentence: Double, barMoves: Int)) throws {
        let scratch = ScratchFolder("showtell-loop")
        let directory = scratch.path
        try writeVideo(directory + "/video.avi", frames: 300, barAt: { $0 < timing.barMoves ? 0 : 150 })
        try writeAudio(directory + "/audio.wav", seconds: 10, voiced: { (1..<2.5).contains($0) || $0 >= timing.secondSentence })
        let clock = ReplayClock(paced: false)
        let video = try ReplayVideoSource(path: directory + "/video.avi", clock: clock)
        let audio = try ReplayAudioSource(path: directory + "/audio.wav", clock: clock)
        let model = ConstantModel(videoMap: ConstantModel.barColumn)
        let loop = try ApplianceLoop(video: video, audio: audio, audioThreaded: false, screen: NullScreen(width: 320, height: 264),
                                     model: model, settings: ApplianceLoop.Settings())
        clock.restart()
        var passesInFirst = 0, passes = 0, checked = false
        while try loop.step() {
            defer { passes = model.videoPasses }
            if loop.counters.framesIn <= 75 { passesInFirst = model.videoPasses }
            guard loop.counters.framesIn > timing.barMoves, loop.speaking, model.videoPasses > passes else { continue }
            // The second sentence's first video pass: row 0, the outer columns of the 4x4 map.
            let left = loop.heat[0], right = loop.heat[3]
            #expect(right == 1 && left == 0, "first heat of the second sentence: left \(left), right \(right); expected 0 and 1")
            checked = true
            break
        }
        #expect(passesInFirst > 5, "\(passesInFirst) video passes during the first sentence")
        #expect(checked, "no video pass during the second sentence")
    }

    @Test func corruptFrameIsSkippedAndCounted() throws {
        let scratch = ScratchFolder("showtell-loop")
        let directory = scratch.path
        let (loop, _) = try makeLoop(directory: directory, corrupt: 17)
        try loop.run { false }
        #expect(loop.counters.framesIn == 59)
        #expect(loop.counters.framesDropped == 1)
    }

    @Test func screenShowsTheFrameWithoutAModel() throws {
        let scratch = ScratchFolder("showtell-loop")
        let directory = scratch.path
        let (loop, screen) = try makeLoop(directory: directory)
        #expect(try loop.step())
        // Gray picture (no overlay without a model), bar near the left edge in frame 0.
        let canvas = screen.canvas
        let p = canvas.row(100)[20]
        #expect(p >> 16 == p & 0xFF)
        let bright = (0..<320).filter { canvas.row(100)[$0] & 0xFF > 180 }.count
        #expect(bright > 10 && bright < 40)
    }
}

/// A source that stops delivering, for the stall path (the real driver-level stall is
/// exercised with vivid on the qemu-x86_64 board).
final class StallingSource: VideoSource {
    let width = 64, height = 48
    let summary = "stalling test source"
    let lostFrames = 0
    var finished = false
    var delivered = 0
    let deliverBeforeStall: Int
    init(deliverBeforeStall: Int) { self.deliverBeforeStall = deliverBeforeStall }
    func next(into pixels: UnsafeMutablePointer<UInt8>, timeoutMilliseconds: Int32) throws -> FrameStamp? {
        guard delivered < deliverBeforeStall else { return nil }
        delivered += 1
        pixels.update(repeating: 128, count: width * height)
        return FrameStamp(sequence: delivered, captureTime: Platform.MonotonicClock.nanoseconds())
    }
}

/// Every n-th frame of a source: a loop too busy to take the others; `lateSeconds[k]`
/// holds frame k back that long (a stalled grabber).
final class EveryNthFrame: VideoSource {
    let inner: VideoSource
    let n: Int
    let lateSeconds: [Int: Double]
    var width: Int { inner.width }
    var height: Int { inner.height }
    var summary: String { inner.summary }
    var lostFrames: Int { inner.lostFrames }
    var finished: Bool { inner.finished }
    init(_ inner: VideoSource, n: Int, lateSeconds: [Int: Double] = [:]) { (self.inner, self.n, self.lateSeconds) = (inner, n, lateSeconds) }
    func next(into pixels: UnsafeMutablePointer<UInt8>, timeoutMilliseconds: Int32) throws -> FrameStamp? {
        while let stamp = try inner.next(into: pixels, timeoutMilliseconds: timeoutMilliseconds) {
            guard stamp.sequence % n == 0 else { continue }
            if let late = lateSeconds[stamp.sequence] { usleep(UInt32(late * 1e6)) }
            return stamp
        }
        return nil
    }
}

import Platform
import TestSupport

@Suite struct StallTests {
    @Test func stallShowsNoSignal() throws {
        let screen = NullScreen(width: 320, height: 264)
        let loop = try ApplianceLoop(video: StallingSource(deliverBeforeStall: 3), audio: nil, audioThreaded: false, screen: screen, model: nil)
        for _ in 0..<3 { #expect(try loop.step()) }
        #expect(screen.presented == 3)
        // 100 ms per empty poll: after 1 s the screen says NO SIGNAL.
        for _ in 0..<12 { #expect(try loop.step()) }
        #expect(loop.counters.videoStalls == 1)
        #expect(screen.presented > 3)
        let canvas = screen.canvas
        let centre = (0..<240).flatMap { y in (0..<320).map { canvas.row(y)[$0] } }
        #expect(centre.contains { $0 & 0xFF > 200 })     // message text drawn
        #expect(canvas.row(10)[10] == 0x101018)           // on the dark NO SIGNAL background
    }
}

/// A 4-dimensional model whose map peaks in one corner whatever it hears (or is made by
/// `videoMap` from the frame); each branch may sleep to stand in for a slow board, and counts
/// its calls.
final class ConstantModel: LocalisationModel {
    let summary = "constant test model"
    let trained = true
    let embeddingDimension = 4
    let mapWidth = 4, mapHeight = 4
    let mapCoverage: (x: Float, y: Float, width: Float, height: Float) = (0, 0, 1, 1)
    let relevance: RelevanceHead?
    let audioMilliseconds: Int, videoMilliseconds: Int
    private(set) var audioPasses = 0, videoPasses = 0
    let videoMap: ((_ frame: UnsafePointer<UInt8>, _ width: Int, _ height: Int, _ map: UnsafeMutablePointer<Float>) -> Void)?
    init(relevance: RelevanceHead? = nil, audioMilliseconds: Int = 0, videoMilliseconds: Int = 0,
         videoMap: ((UnsafePointer<UInt8>, Int, Int, UnsafeMutablePointer<Float>) -> Void)? = nil) {
        self.relevance = relevance
        (self.audioMilliseconds, self.videoMilliseconds) = (audioMilliseconds, videoMilliseconds)
        self.videoMap = videoMap
    }

    /// 1 in the column of cells (of 4) holding the frame's bright bar, 0 elsewhere, every channel.
    static func barColumn(_ frame: UnsafePointer<UInt8>, width: Int, height: Int, into map: UnsafeMutablePointer<Float>) {
        let row = frame + height / 2 * width
        let bar = (0..<width).first { row[$0] > 128 } ?? 0
        for i in 0..<(4 * 16) { map[i] = i % 4 == bar * 4 / width ? 1 : 0 }
    }
    func embedAudio(_ spectrogram: UnsafePointer<Float>, into embedding: UnsafeMutablePointer<Float>) {
        audioPasses += 1
        if audioMilliseconds > 0 { usleep(UInt32(audioMilliseconds * 1000)) }
        embedding.update(repeating: 1, count: 4)
    }
    func embedVideo(_ frame: UnsafePointer<UInt8>, width: Int, height: Int, into map: UnsafeMutablePointer<Float>) {
        videoPasses += 1
        if videoMilliseconds > 0 { usleep(UInt32(videoMilliseconds * 1000)) }
        if let videoMap { videoMap(frame, width, height, map); return }
        for i in 0..<(4 * 16) { map[i] = i % 16 == 0 ? 1 : 0 }
    }
}
