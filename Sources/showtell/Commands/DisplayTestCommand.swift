import ArgumentParser
import Display
import Foundation
import Platform

/// Field-engineer check of the screen: show colour bars on DRM/KMS (or fbdev) for a while
/// and report the mode and the presentation rate.
struct DisplayTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "display-test",
        abstract: "Show a colour-bar test pattern on the display (DRM/KMS, or fbdev) and report mode and frame rate."
    )

    enum Backend: String, ExpressibleByArgument { case drm, fbdev }

    @Option(help: "drm or fbdev.")
    var backend: Backend = .drm

    @Option(help: "Device node (default /dev/dri/card0 or /dev/fb0).")
    var device: String?

    @Option(help: "Seconds to show the pattern.")
    var seconds = 2.0

    func run() throws {
        let screen: Screen = switch backend {
        case .drm: try DRMScreen(device: device ?? "/dev/dri/card0")
        case .fbdev: try FBDevScreen(device: device ?? "/dev/fb0")
        }
        let start = MonotonicClock.seconds()
        var frames = 0
        while MonotonicClock.seconds() - start < seconds {
            TestPattern.colourBars(screen.beginFrame(), frame: frames)
            try screen.present()
            frames += 1
        }
        let elapsed = MonotonicClock.seconds() - start
        print("screen      \(screen.summary)")
        print("frames      \(frames) in \(String(format: "%.2f", elapsed)) s (\(String(format: "%.1f", Double(frames) / elapsed)) fps)")
        print("PATTERN-SHOWN")
        fflush(nil)
        // Keep the last frame up so it can be looked at (or grabbed by the board test).
        Thread.sleep(forTimeInterval: 3)
    }
}
