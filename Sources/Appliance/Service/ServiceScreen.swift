import Display
import MediaFormats
import Platform
import Synchronization

/// A copy of one composed screen, asked for by the control thread and filled by the loop
/// at its next `present` (one row-by-row copy into a buffer allocated here, off the loop).
final class SnapshotRequest: @unchecked Sendable {
    let width: Int
    let height: Int
    let pixels: UnsafeMutablePointer<UInt32>  // [height][width] XRGB8888
    let done = Atomic<Bool>(false)

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = .allocate(capacity: width * height)
    }

    deinit { pixels.deallocate() }

    /// As an RGB image for PNG/JPEG writers. Control thread.
    func image() -> Image8 {
        var image = Image8(width: width, height: height, channels: 3)
        for i in 0..<(width * height) {
            let p = pixels[i]
            image.pixels[3 * i] = UInt8(truncatingIfNeeded: p >> 16)
            image.pixels[3 * i + 1] = UInt8(truncatingIfNeeded: p >> 8)
            image.pixels[3 * i + 2] = UInt8(truncatingIfNeeded: p)
        }
        return image
    }
}

/// The control side's view of the screen: requests go in through lock-free handoffs, the
/// loop answers at its next frame. Shared across threads.
final class ScreenMailbox: Sendable {
    /// Frames presented (composed pictures and NO SIGNAL screens): display progress.
    let presents = Atomic<Int>(0)
    let snapshots = Handoff<SnapshotRequest>()
    /// A recorder (a `RecordingScreen` showing on the base screen) to start using.
    let recorderToStart = Handoff<RecordingScreen>()
    let stopRecording = Atomic<Bool>(false)
    /// The recorder the loop stopped using, for the control thread to finish (index write).
    let retiredRecorder = Handoff<RecordingScreen>()
}

/// The screen the loop draws on: the configured display, plus on request a recording of
/// the composed screen (`record start`) and snapshots. Switching happens only between
/// frames, in `beginFrame`; per frame this costs three atomic loads when nothing is asked.
final class ServiceScreen: Screen {
    let base: Screen
    let mailbox = ScreenMailbox()
    private var recorder: RecordingScreen?
    private var target: Screen
    private var drawn: PixelCanvas?

    init(base: Screen) {
        self.base = base
        target = base
    }

    var width: Int { base.width }
    var height: Int { base.height }
    var summary: String { base.summary }

    func beginFrame() -> PixelCanvas {
        if mailbox.stopRecording.load(ordering: .acquiring) {
            mailbox.stopRecording.store(false, ordering: .relaxed)
            if let recorder { mailbox.retiredRecorder.put(recorder) }  // a retain, no allocation
            recorder = nil
        }
        if let fresh = mailbox.recorderToStart.take() {
            if let recorder { mailbox.retiredRecorder.put(recorder) }
            recorder = fresh
        }
        target = recorder ?? base
        let canvas = target.beginFrame()
        drawn = canvas
        return canvas
    }

    func present() throws {
        if let canvas = drawn, let request = mailbox.snapshots.take() {
            for y in 0..<min(request.height, canvas.height) {
                (request.pixels + y * request.width).update(from: canvas.row(y), count: min(request.width, canvas.width))
            }
            request.done.store(true, ordering: .releasing)
        }
        try target.present()
        mailbox.presents.wrappingAdd(1, ordering: .relaxed)
    }

    /// After the loop has stopped: the recorder still in use, to finish.
    func detachRecorder() -> RecordingScreen? {
        defer { recorder = nil; target = base }
        return mailbox.recorderToStart.take() ?? recorder
    }
}
