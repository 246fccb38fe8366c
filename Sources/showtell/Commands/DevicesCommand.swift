import ArgumentParser
import Capture
import Foundation

/// Lists the grabbers, microphones and displays the box has.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List video capture devices, sound capture devices and displays."
    )

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    struct Report: Codable {
        var video: [DeviceDiscovery.VideoDevice]
        var sound: [DeviceDiscovery.SoundCapture]
        var displays: [DeviceDiscovery.DisplayDevice]
    }

    func run() throws {
        let report = Report(video: DeviceDiscovery.videoDevices(), sound: DeviceDiscovery.soundCaptures(), displays: DeviceDiscovery.displays())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
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
    }
}
