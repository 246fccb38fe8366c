import ArgumentParser
import Capture
import Foundation
import MediaFormats
import Platform

/// Plays a recorded session into a V4L2 video output and an ALSA playback device at its real
/// pace, as a scanner and a voice would feed the box: on the virtual board vivid's output
/// loops back into its capture and snd-aloop's playback into its capture; on a bench rig,
/// any output cabled to the grabber and a speaker or line out to the microphone input. Both
/// start from one clock. A frame that would be late is skipped, never queued behind, so the
/// picture keeps to the recording's clock however slow the machine; the sound card's clock
/// paces the audio.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a recorded session's video into a V4L2 output (a grabber's far end) at its real pace.",
        discussion: """
            --mark prints "MARK <seconds> frame <n>" when the first frame at or after that time \
            goes out, so a script can act at a moment of the recording (grab the screen, say). \
            Exit codes: 0 played to the end, 2 an output cannot be opened, 64 bad option or session.
            """
    )

    @Argument(help: "Session folder (video.avi: MJPEG AVI, as `showtell synth` and the recorder write).") var session: String
    @Option(name: .customLong("video-out"), help: "V4L2 video output node.") var videoOut: String
    @Option(name: .customLong("audio-out"), help: "ALSA playback device for the session's audio.wav (e.g. hw:Loopback,0,0); none by default.")
    var audioOut: String?
    @Option(help: "Start this many seconds into the recording.") var from: Double = 0
    @Option(help: "Stop at this time of the recording (default: its end).") var to: Double?
    @Option(help: "Announce this moment of the recording on stdout (repeatable).") var mark: [Double] = []
    @Option(name: .customLong("max-fps"), help: "Write at most this many frames a second, skipping the rest on the recording's clock (spares a slow machine that also runs the box, such as an emulated board); default: every frame.")
    var maxFps: Double?
    @Flag(help: "Draw each frame's number as a bar code in the bottom-left corner, outside the model's crop, so a screen grab tells which frame it shows.")
    var stamp = false

    func validate() throws {
        guard from >= 0 else { throw ValidationError("--from must be 0 or more seconds") }
        if let to, to <= from { throw ValidationError("--to (\(to)) must be after --from (\(from))") }
        if let maxFps, !(maxFps > 0) { throw ValidationError("--max-fps must be more than 0 (got \(maxFps))") }
    }

    func run() throws {
        let reader: AVIReader
        do { reader = try AVIReader(path: SessionFolder(path: session).videoPath) } catch {
            throw FieldFailure(exit: .usage, message: "\(error) (give a session folder holding video.avi)").report(json: false)
        }
        let output: V4L2Output
        do { output = try V4L2Output(device: videoOut) } catch {
            throw FieldFailure(exit: .deviceUnavailable,
                               message: "\(error): check the node with `v4l2-ctl -d \(videoOut) --info` (it must be a video output)").report(json: false)
        }
        let narration: NarrationPlayer?
        if let audioOut {
            do { narration = try NarrationPlayer(session: session, device: audioOut, from: from, to: to) } catch let error as ALSAError {
                throw FieldFailure(exit: .deviceUnavailable, message: "\(error): check the device with `aplay -L`").report(json: false)
            } catch {
                throw FieldFailure(exit: .usage, message: "\(error) (give a session folder holding audio.wav)").report(json: false)
            }
        } else {
            narration = nil
        }
        let fps = reader.info.frameRate.framesPerSecond
        let first = min(reader.frameCount - 1, Int((from * fps).rounded(.down)))
        let end = min(reader.frameCount, to.map { Int(($0 * fps).rounded(.up)) } ?? reader.frameCount)
        Console.out("replay \(session): frames \(first)..<\(end) at \(String(format: "%.2f", fps)) fps into \(videoOut) "
              + "(\(output.driver), \(output.width)x\(output.height) \(output.format))\n")
        var pending = mark.sorted().filter { $0 >= from }
        var image = Image8(width: reader.info.width, height: reader.info.height, channels: 1)
        let start = MonotonicClock.nanoseconds()
        let pacing = ReplayClock(paced: true, start: start)
        narration?.start()
        var written = 0, shown = 0, decoded = -1
        while true {
            // The frame that is due now on the recording's clock: late frames are skipped.
            let elapsed = Double(MonotonicClock.nanoseconds() - start) * 1e-9
            let index = first + Int((elapsed * fps).rounded(.down))
            if index >= end { break }
            if index != decoded {
                try reader.decodeFrame(index, into: &image)
                if stamp { FrameStamp.draw(index, into: &image) }
                decoded = index
                shown += 1
            }
            try image.pixels.withUnsafeBufferPointer { pixels throws(SystemError) in
                try output.write(gray: pixels.baseAddress!, sourceWidth: image.width, sourceHeight: image.height)
            }
            written += 1
            if let maxFps { pacing.wait(until: Double(written) / maxFps) }
            let time = Double(index) / fps
            while let next = pending.first, next <= time + 0.5 / fps {
                Console.out(String(format: "MARK %.2f frame %d\n", next, index))  // unbuffered: a script acts on it now
                pending.removeFirst()
            }
        }
        narration?.finish()
        let seconds = Double(MonotonicClock.nanoseconds() - start) * 1e-9
        if let narration {
            Console.out("audio into \(narration.device): \(narration.played) frames at \(narration.rate) Hz, \(narration.underruns) underruns"
                        + (narration.failure.map { ", stopped: \($0)" } ?? "") + "\n")
        }
        Console.out(String(format: "replayed %.1f s: %d writes, %d of %d recorded frames shown (%.1f per second), %d skipped as late\n",
                     seconds, written, shown, end - first, Double(shown) / max(seconds, 1e-9), end - first - shown))
    }
}

/// The session's audio.wav played on its own thread, written a period at a time (blocking:
/// the sound card paces it).
final class NarrationPlayer: @unchecked Sendable {
    let device: String
    let rate: Int
    private let playback: ALSAPlayback
    private let samples: [Int16]
    private let channels: Int
    private let done = DispatchSemaphore(value: 0)
    private(set) var played = 0
    private(set) var failure: ALSAError?
    var underruns: Int { playback.underruns }

    init(session: String, device: String, from: Double, to: Double?) throws {
        let (clip, _) = try WAVFile.read(SessionFolder(path: session).audioPath)
        playback = try ALSAPlayback(device: device, rate: clip.sampleRate, channels: clip.channels)
        guard playback.rate == clip.sampleRate else {
            throw ALSAError("set rate \(clip.sampleRate) (the device offers \(playback.rate) Hz; use a plug device such as plughw:)", device: device, code: -EINVAL)
        }
        self.device = device
        rate = clip.sampleRate
        channels = clip.channels
        let perSecond = Double(clip.sampleRate)
        let first = min(clip.frameCount, Int(from * perSecond)) * clip.channels
        let last = min(clip.frameCount, to.map { Int($0 * perSecond) } ?? clip.frameCount) * clip.channels
        samples = clip.samples[first..<max(first, last)].map { Int16((min(max($0, -1), 1) * 32767).rounded()) }
    }

    func start() {
        Thread.detachNewThread { [self] in
            let period = rate / 50
            samples.withUnsafeBufferPointer { all in
                var frame = 0
                let total = all.count / channels
                while frame < total {
                    let n = min(period, total - frame)
                    do throws(ALSAError) { try playback.write(all.baseAddress! + frame * channels, frames: n) } catch {
                        failure = error
                        break
                    }
                    frame += n
                    played = frame
                }
            }
            if failure == nil { playback.drain() }
            done.signal()
        }
    }

    /// Waits until the last sample has been played.
    func finish() { done.wait() }
}

/// A frame number drawn into the picture: 20 cells of 8 × 8 pixels on one row, 8 pixels above
/// the bottom edge and 8 from the left: white, black, the 16 bits of the number (most
/// significant first, white = 1), black, white. The corner lies outside the 224/256 centre crop
/// the model sees (`inputs.video` of the bundle), so the stamp cannot steer the map.
/// `board/qemu-x86_64/heatmap_on_screen.py` reads it back from screen grabs.
enum FrameStamp {
    static let cell = 8

    static func draw(_ number: Int, into image: inout Image8) {
        let bits = (0..<16).map { (number >> (15 - $0)) & 1 == 1 }
        let cells = [true, false] + bits + [false, true]
        let top = image.height - 2 * cell
        guard top >= 0, cell * (cells.count + 1) <= image.width else { return }
        for (i, white) in cells.enumerated() {
            for y in top..<(top + cell) {
                for x in (cell * (i + 1))..<(cell * (i + 2)) { image.pixels[y * image.width + x] = white ? 255 : 0 }
            }
        }
    }
}
