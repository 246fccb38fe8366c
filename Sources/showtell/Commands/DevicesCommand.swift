import ArgumentParser
import Capture
import Foundation

/// Lists the grabbers, microphones and displays the box has.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List video capture devices, sound capture devices and displays.",
        discussion: "Exits 1 when no video capture device, no sound capture device or no display is found (each missing kind is named with what to check).\n\n" + FieldExit.table
    )

    @Flag(help: "Print JSON instead of tables ({video, sound, displays, missing}).")
    var json = false

    struct Report: Codable {
        var video: [DeviceDiscovery.VideoDevice]
        var sound: [DeviceDiscovery.SoundCapture]
        var displays: [DeviceDiscovery.DisplayDevice]
        /// What a box needs and this one lacks, each with what to check.
        var missing: [String]

        static func current() -> Report {
            let video = DeviceDiscovery.videoDevices(), sound = DeviceDiscovery.soundCaptures(), displays = DeviceDiscovery.displays()
            var missing: [String] = []
            if !video.contains(where: \.capture) { missing.append("no video capture device: check the grabber's USB and video cables (lsusb, dmesg)") }
            if sound.isEmpty { missing.append("no sound capture device: check the microphone's USB cable (arecord -l, dmesg)") }
            if displays.isEmpty { missing.append("no display (DRM or fbdev): check the display driver (dmesg | grep drm)") }
            return Report(video: video, sound: sound, displays: displays, missing: missing)
        }
    }

    static func json(_ report: Report) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    func run() throws {
        let report = Report.current()
        if json {
            print(try Self.json(report))
        } else {
            print("Video capture:")
            if report.video.isEmpty { print("  (none)") }
            for v in report.video {
                if let error = v.error { print("  \(v.path): \(error)"); continue }
                let role = v.capture ? (v.streaming ? "capture, streaming" : "capture, no streaming") : "not a capture node"
                print("  \(v.card) (\(v.driver), \(v.busInfo)):\n\t\(v.path)  \(role)  \(v.formats.joined(separator: " "))")
            }
            print("Sound capture:")
            if report.sound.isEmpty { print("  (none)") }
            for s in report.sound {
                print("  card \(s.card): \(s.id) [\(s.name)], device \(s.device): \(s.deviceName)  ->  \(s.pcm)")
            }
            print("Displays:")
            if report.displays.isEmpty { print("  (none)") }
            for d in report.displays { print("  \(d.path)  \(d.kind)") }
            for line in report.missing { print("MISSING: \(line)") }
        }
        if !report.missing.isEmpty { throw ExitCode(FieldExit.checkFailed.rawValue) }
    }
}
