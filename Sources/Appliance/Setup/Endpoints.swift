/// Where video comes from, written as on the command line and in the config:
/// `v4l2:/dev/video0`, `replay:SESSION_DIR` (its video.avi), `phantom:SEED` (a phantom scan
/// rendered live).
public enum VideoEndpoint: Sendable, Equatable, CustomStringConvertible {
    case v4l2(device: String, width: Int, height: Int)
    case replay(session: String)
    case phantom(seed: UInt64)

    public init(parsing text: String, width: Int = 1280, height: Int = 720) throws(EndpointError) {
        if let device = text.stripping(prefix: "v4l2:") {
            self = .v4l2(device: device, width: width, height: height)
        } else if let session = text.stripping(prefix: "replay:") {
            self = .replay(session: session)
        } else if let seed = text.stripping(prefix: "phantom:").flatMap(UInt64.init) {
            self = .phantom(seed: seed)
        } else {
            throw EndpointError(text: text, expected: "v4l2:/dev/videoN, replay:SESSION_DIR or phantom:SEED")
        }
    }

    public var description: String {
        switch self {
        case .v4l2(let device, _, _): "v4l2:\(device)"
        case .replay(let session): "replay:\(session)"
        case .phantom(let seed): "phantom:\(seed)"
        }
    }
}

/// Where audio comes from: `alsa:PCM` (e.g. `alsa:hw:CARD=showtellmic`), `replay:SESSION_DIR`
/// (its audio.wav), `phantom:SEED` (the phantom's narration; needs espeak-ng), or `none` (live
/// image without heatmap).
public enum AudioEndpoint: Sendable, Equatable, CustomStringConvertible {
    case alsa(device: String, rate: Int)
    case replay(session: String)
    case phantom(seed: UInt64)
    case none

    public init(parsing text: String, rate: Int = 48_000) throws(EndpointError) {
        if text == "none" {
            self = .none
        } else if let device = text.stripping(prefix: "alsa:") {
            self = .alsa(device: device, rate: rate)
        } else if let session = text.stripping(prefix: "replay:") {
            self = .replay(session: session)
        } else if let seed = text.stripping(prefix: "phantom:").flatMap(UInt64.init) {
            self = .phantom(seed: seed)
        } else {
            throw EndpointError(text: text, expected: "alsa:PCM_NAME, replay:SESSION_DIR, phantom:SEED or none")
        }
    }

    public var description: String {
        switch self {
        case .alsa(let device, _): "alsa:\(device)"
        case .replay(let session): "replay:\(session)"
        case .phantom(let seed): "phantom:\(seed)"
        case .none: "none"
        }
    }
}

/// Where composed frames go: `drm[:/dev/dri/cardN]`, `fbdev[:/dev/fbN]`, `avi:PATH`, `null`,
/// or `auto` (DRM if it opens, else fbdev, else null).
public enum DisplayEndpoint: Sendable, Equatable, CustomStringConvertible {
    case drm(String), fbdev(String), avi(String), null, auto

    public init(parsing text: String) throws(EndpointError) {
        switch text {
        case "drm": self = .drm("/dev/dri/card0")
        case "fbdev": self = .fbdev("/dev/fb0")
        case "null": self = .null
        case "auto": self = .auto
        default:
            if let device = text.stripping(prefix: "drm:") { self = .drm(device) }
            else if let device = text.stripping(prefix: "fbdev:") { self = .fbdev(device) }
            else if let path = text.stripping(prefix: "avi:") { self = .avi(path) }
            else { throw EndpointError(text: text, expected: "drm[:DEVICE], fbdev[:DEVICE], avi:PATH, null or auto") }
        }
    }

    public var description: String {
        switch self {
        case .drm(let d): "drm:\(d)"
        case .fbdev(let d): "fbdev:\(d)"
        case .avi(let p): "avi:\(p)"
        case .null: "null"
        case .auto: "auto"
        }
    }
}

public struct EndpointError: Error, CustomStringConvertible {
    public let text: String
    public let expected: String
    public var description: String { "'\(text)' is not a valid endpoint; expected \(expected)" }
}

extension String {
    func stripping(prefix: String) -> String? {
        hasPrefix(prefix) && count > prefix.count ? String(dropFirst(prefix.count)) : nil
    }
}
