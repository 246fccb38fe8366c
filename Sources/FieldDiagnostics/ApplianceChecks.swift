import Appliance
import Capture
import ControlPlane
import Glibc
import InferenceEngine
import Platform
import ShowTellModel

/// Checks of what the appliance is configured to use: the configuration file, the model
/// bundle, the grabber, the microphone and the screen. Devices are opened (not streamed), so
/// a running daemon holding one shows as "busy", which is fine.
public enum ApplianceChecks {
    /// Reads and validates the configuration; on failure the defaults stand in for the other
    /// checks (and the report says so).
    public static func configuration(path: String) -> (Check, ApplianceConfig) {
        do {
            let config = try ApplianceConfig.load(path: path)
            return (Check("config", .pass, "\(path) is valid"), config)
        } catch {
            return (Check("config", .fail, "\(error)".replacingNewlines(),
                          remedy: "fix the file named above (or reinstall the showtell package for the default); the other checks use built-in defaults"),
                    ApplianceConfig())
        }
    }

    /// Loads the bundle (manifest, size, SHA-256, every tensor, no NaN/Inf), then runs the
    /// golden inputs and compares with the manifest's values.
    public static func model(bundle directory: String) -> [Check] {
        if directory.isEmpty || directory == "none" {
            return [Check("model", .warn, "no model configured (model.bundle): the appliance shows the live image without heatmap",
                          remedy: "set model.bundle in showtell.toml to a bundle folder")]
        }
        func unusable(_ error: any Error) -> [Check] {
            [Check("model", .fail, "\(error)".replacingNewlines(),
                   remedy: "reinstall the showtell package (it ships a bundle) or copy a verified bundle to \(directory)")]
        }
        // Float bundles run on the float network, int8 ones on the int8 engine: check each
        // with what the appliance will run it on.
        let m: ModelManifest
        let inference: any ShowTellBranches
        do {
            if try ModelBundle.readManifest(directory: directory).precision == "int8" {
                let parts = try Int8Bundle.read(directory: directory)
                (m, inference) = (parts.manifest, PlannedInference(network: parts.network, quantization: parts.quantization))
            } else {
                let bundle = try ModelBundle.load(directory: directory)
                (m, inference) = (bundle.manifest, ShowTellInference(network: bundle.network, threads: 1))
            }
        } catch { return unusable(error) }
        let summary = "\(directory): \(m.backbones), D = \(m.embeddingDimension), \(m.precision ?? "float32"), sha256 \(m.sha256.prefix(16))… verified"
        var checks = [m.trained
            ? Check("model", .pass, summary)
            : Check("model", .warn, summary + ", UNTRAINED", remedy: "an untrained bundle runs but its heatmaps mean nothing: install a trained one")]
        do {
            let golden = try GoldenInference.verify(inference, manifest: m, directory: directory)
            let compared = m.golden == nil ? " (manifest has no golden values: not compared)" : " match the manifest"
            checks.append(Check("model-golden", m.golden == nil ? .warn : .pass,
                                "|a| = \(golden.audioNorm), |V| = \(golden.videoNorm)\(compared)",
                                remedy: "the bundle carries no golden values; re-export it with showtell model init/train"))
        } catch {
            checks.append(Check("model-golden", .fail, "\(error)".replacingNewlines(),
                                remedy: "the inference engine on this box computes differently from where the bundle was made: run showtell selftest kernels, reinstall"))
        }
        return checks
    }

    public static func devices(_ config: ApplianceConfig) -> [Check] {
        [grabber(config.video.source), microphone(config.audio.source, rate: config.audio.rate), screen(config.display.output)]
    }

    static func grabber(_ source: String) -> Check {
        let endpoint: VideoEndpoint
        do { endpoint = try VideoEndpoint(parsing: source) } catch {
            return Check("grabber", .fail, "video.source: \(error)", remedy: "fix video.source in showtell.toml")
        }
        switch endpoint {
        case .v4l2(let path, _, _):
            guard FileIO.exists(path) else {
                let found = DeviceDiscovery.videoDevices().filter(\.capture).map { "\($0.path) (\($0.card))" }
                return Check("grabber", .fail, "no grabber at \(path)" + (found.isEmpty ? "; no video capture device at all" : "; capture devices present: \(found.joined(separator: ", "))"),
                             remedy: "check the grabber's USB and HDMI/SDI cables; the udev rule (/usr/lib/udev/rules.d/70-showtell.rules) names it by vendor/product: see board/<name>/; showtell devices")
            }
            let device = DeviceDiscovery.probeVideo(path)
            if let error = device.error {
                let busy = error.contains("busy")
                return Check("grabber", busy ? .pass : .fail, "\(path): \(error)" + (busy ? " (in use, by showtelld?)" : ""),
                             remedy: "check permissions (group video) and dmesg for the driver")
            }
            guard device.capture, device.streaming else {
                return Check("grabber", .fail, "\(path) is \(device.card) (\(device.driver)) but not a streaming capture node",
                             remedy: "the udev rule matched the wrong node: check ENV{ID_V4L_CAPABILITIES} in 70-showtell.rules")
            }
            return Check("grabber", .pass, "\(path): \(device.card) (\(device.driver), \(device.busInfo)) \(device.formats.joined(separator: " "))")
        case .replay(let session):
            let file = session + "/video.avi"
            return FileIO.exists(file) ? Check("grabber", .pass, "replay of \(file) (no grabber used)")
                : Check("grabber", .fail, "replay session has no \(file)", remedy: "fix video.source (replay:SESSION_DIR)")
        case .phantom(let seed):
            return Check("grabber", .warn, "phantom:\(seed): a generated scan, no grabber used", remedy: "set video.source = \"v4l2:/dev/showtell/grabber\" for a real box")
        }
    }

    static func microphone(_ source: String, rate: Int) -> Check {
        let endpoint: AudioEndpoint
        do { endpoint = try AudioEndpoint(parsing: source, rate: rate) } catch {
            return Check("microphone", .fail, "audio.source: \(error)", remedy: "fix audio.source in showtell.toml")
        }
        switch endpoint {
        case .alsa(let pcm, let rate):
            var settings = ALSACapture.Settings()
            settings.device = pcm
            settings.rate = rate
            do {
                let capture = try ALSACapture(settings: settings)
                return Check("microphone", .pass, "\(pcm): \(capture.rate) Hz, period \(capture.periodFrames), buffer \(capture.bufferFrames) frames")
            } catch {
                let text = "\(error)"
                if text.contains("busy") { return Check("microphone", .pass, "\(pcm): busy (in use, by showtelld?)") }
                let cards = DeviceDiscovery.soundCaptures().map(\.pcm)
                return Check("microphone", .fail, "\(pcm): \(text)" + (cards.isEmpty ? "; no sound capture device at all" : "; capture PCMs present: \(cards.joined(separator: ", "))"),
                             remedy: "check the microphone's USB cable; the udev rule gives its card the id in audio.source (70-showtell.rules); showtell devices, arecord -l")
            }
        case .replay(let session):
            let file = session + "/audio.wav"
            return FileIO.exists(file) ? Check("microphone", .pass, "replay of \(file) (no microphone used)")
                : Check("microphone", .fail, "replay session has no \(file)", remedy: "fix audio.source (replay:SESSION_DIR)")
        case .phantom(let seed):
            return Check("microphone", .warn, "phantom:\(seed): generated narration, no microphone used", remedy: "set audio.source = \"alsa:hw:CARD=showtellmic\" for a real box")
        case .none:
            return Check("microphone", .warn, "audio.source = none: no heatmap is ever shown", remedy: "set audio.source to the microphone (alsa:hw:CARD=showtellmic)")
        }
    }

    static func screen(_ output: String) -> Check {
        let endpoint: DisplayEndpoint
        do { endpoint = try DisplayEndpoint(parsing: output) } catch {
            return Check("screen", .fail, "display.output: \(error)", remedy: "fix display.output in showtell.toml")
        }
        func node(_ path: String, _ kind: String) -> Check {
            let fd = open(path, O_RDWR | O_CLOEXEC)
            if fd >= 0 { close(fd); return Check("screen", .pass, "\(kind) \(path) opens") }
            let error = SystemError("open", subject: path, errno: errno)
            let others = DeviceDiscovery.displays().map { "\($0.path) (\($0.kind))" }
            return Check("screen", .fail, "\(error)" + (others.isEmpty ? "; no display device at all" : "; displays present: \(others.joined(separator: ", "))"),
                         remedy: "check the HDMI cable and that the display driver is loaded (dmesg | grep drm); group video/render")
        }
        switch endpoint {
        case .drm(let path): return node(path, "DRM")
        case .fbdev(let path): return node(path, "fbdev")
        case .auto:
            let found = DeviceDiscovery.displays()
            return found.isEmpty
                ? Check("screen", .fail, "display.output = auto and no DRM or fbdev device: nothing would be shown", remedy: "check the HDMI cable and the display driver (dmesg | grep drm)")
                : Check("screen", .pass, "auto: \(found.map(\.path).joined(separator: ", "))")
        case .avi(let path): return Check("screen", .warn, "avi:\(path): the screen goes to a file, not a display", remedy: "set display.output = \"drm\" on a box with a screen")
        case .null: return Check("screen", .warn, "null: nothing is shown", remedy: "set display.output = \"drm\" on a box with a screen")
        }
    }
}

extension String {
    /// Multi-line errors (config problems) on one report line.
    func replacingNewlines() -> String { split(separator: "\n").joined(separator: "; ") }
}
