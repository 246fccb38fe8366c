import ArgumentParser
import Capture
import Foundation
import Platform

/// Field-engineer check of the frame grabber: open, negotiate, stream N frames, report
/// format, rate, drops and errors.
struct CaptureTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture-test",
        abstract: "Stream frames from a V4L2 capture device and report format, frame rate, drops and errors.",
        discussion: FieldExit.table
    )

    @Option(help: "Video device node.")
    var device = "/dev/video0"

    @Option(help: "Frames to capture.")
    var frames = 60

    @Option(help: "Requested width (the driver may choose another).")
    var width = 640

    @Option(help: "Requested height.")
    var height = 480

    @Option(help: "Poll timeout per frame in milliseconds (a longer wait counts as a stall).")
    var timeout: Int32 = 1_000

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        try reportingFailures(json: json) { try test() }
    }

    private func test() throws {
        var settings = V4L2Capture.Settings()
        settings.device = device
        settings.width = width
        settings.height = height
        let capture: V4L2Capture
        do { capture = try V4L2Capture(settings: settings) } catch {
            let found = DeviceDiscovery.videoDevices().filter(\.capture).map(\.path)
            throw FieldFailure(exit: .deviceUnavailable, message: "cannot open the grabber: \(error). "
                + (found.isEmpty ? "This machine has no video capture device: check the grabber's USB and video cables (lsusb, dmesg)."
                                 : "Capture devices on this machine: \(found.joined(separator: ", ")); pass one with --device."))
        }
        var stalls = 0
        var first: Int64?
        var last: Int64 = 0
        var bytes = 0
        while capture.counters.frames < frames {
            guard let frame = try capture.next(timeoutMilliseconds: timeout) else {
                stalls += 1
                if stalls >= 3 { break }
                continue
            }
            if first == nil { first = frame.timestamp }
            last = frame.timestamp
            bytes = frame.data.count
            try capture.release(frame)
        }
        let c = capture.counters
        let seconds = Double(last - (first ?? last)) * 1e-9
        let fps = c.frames > 1 && seconds > 0 ? Double(c.frames - 1) / seconds : 0
        let result: [(String, String)] = [
            ("device", device), ("driver", capture.driver), ("card", capture.card),
            ("format", "\(capture.format) \(capture.width)x\(capture.height) (\(capture.bytesPerLine) bytes/line)"),
            ("frames", "\(c.frames)"), ("fps", String(format: "%.2f", fps)), ("frame_bytes", "\(bytes)"),
            ("dropped", "\(c.dropped)"), ("errors", "\(c.errors)"), ("stalls", "\(stalls)"),
        ]
        if json {
            let object = Dictionary(uniqueKeysWithValues: result)
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (key, value) in result { print(key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        }
        if c.frames < frames {
            Console.error("showtell: only \(c.frames) of \(frames) frames (\(stalls) stalls): is the source sending a picture? check the video cable and the source's output\n")
            throw ExitCode(FieldExit.checkFailed.rawValue)
        }
    }
}
