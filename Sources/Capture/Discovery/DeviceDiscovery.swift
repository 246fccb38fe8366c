import CALSA
import CALSAGlue
import CSystemShims
import Glibc
import Platform

/// What a field engineer needs to see first: which grabbers, sound cards and displays the
/// box has, in the manner of `v4l2-ctl --list-devices` and `arecord -l`.
public enum DeviceDiscovery {
    public struct VideoDevice: Codable, Sendable, Equatable {
        public var path: String
        public var driver: String
        public var card: String
        public var busInfo: String
        public var capture: Bool
        public var streaming: Bool
        /// FourCC codes offered for capture, e.g. ["YUYV", "MJPG"].
        public var formats: [String]
        public var error: String?
    }

    public struct SoundCapture: Codable, Sendable, Equatable {
        public var card: Int
        public var id: String
        public var name: String
        public var device: Int
        public var deviceName: String
        /// The PCM name to use: hw:CARD=<id>,DEV=<device>.
        public var pcm: String
    }

    public struct DisplayDevice: Codable, Sendable, Equatable {
        public var path: String
        public var kind: String  // "drm" or "fbdev"
    }

    public static func videoDevices() -> [VideoDevice] {
        nodes(prefix: "video", in: "/dev").map(probeVideo)
    }

    public static func displays() -> [DisplayDevice] {
        nodes(prefix: "card", in: "/dev/dri").map { DisplayDevice(path: $0, kind: "drm") }
            + nodes(prefix: "fb", in: "/dev").map { DisplayDevice(path: $0, kind: "fbdev") }
    }

    /// Capture PCMs of every sound card (what `arecord -l` lists).
    public static func soundCaptures() -> [SoundCapture] {
        showtell_alsa_capture_errors()
        var found: [SoundCapture] = []
        var card: Int32 = -1
        while snd_card_next(&card) == 0 && card >= 0 {
            var control: OpaquePointer?
            guard snd_ctl_open(&control, "hw:\(card)", 0) == 0 else { continue }
            defer { snd_ctl_close(control) }
            var info: OpaquePointer?
            snd_ctl_card_info_malloc(&info)
            defer { snd_ctl_card_info_free(info) }
            guard snd_ctl_card_info(control, info) == 0 else { continue }
            let id = String(cString: snd_ctl_card_info_get_id(info))
            let name = String(cString: snd_ctl_card_info_get_name(info))
            var device: Int32 = -1
            while snd_ctl_pcm_next_device(control, &device) == 0 && device >= 0 {
                var pcmInfo: OpaquePointer?
                snd_pcm_info_malloc(&pcmInfo)
                defer { snd_pcm_info_free(pcmInfo) }
                snd_pcm_info_set_device(pcmInfo, UInt32(device))
                snd_pcm_info_set_subdevice(pcmInfo, 0)
                snd_pcm_info_set_stream(pcmInfo, SND_PCM_STREAM_CAPTURE)
                guard snd_ctl_pcm_info(control, pcmInfo) == 0 else { continue }  // playback only
                found.append(SoundCapture(card: Int(card), id: id, name: name, device: Int(device),
                                          deviceName: String(cString: snd_pcm_info_get_name(pcmInfo)),
                                          pcm: "hw:CARD=\(id),DEV=\(device)"))
            }
        }
        return found
    }

    private static func nodes(prefix: String, in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(prefix), name.dropFirst(prefix.count).allSatisfy(\.isNumber), name.count > prefix.count {
                names.append("\(directory)/\(name)")
            }
        }
        return names.sorted { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }
    }

    /// One node's driver, card, capabilities and capture formats (or the error opening it).
    public static func probeVideo(_ path: String) -> VideoDevice {
        var device = VideoDevice(path: path, driver: "", card: "", busInfo: "", capture: false, streaming: false, formats: [])
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            device.error = SystemError("open", subject: path, errno: shim_errno()).description
            return device
        }
        defer { close(fd) }
        var caps = v4l2_capability()
        guard ioctl(fd, SHIM_VIDIOC_QUERYCAP, &caps) == 0 else {
            device.error = SystemError("VIDIOC_QUERYCAP", subject: path, errno: shim_errno()).description
            return device
        }
        func text<T>(_ tuple: T) -> String { withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
        device.driver = text(caps.driver)
        device.card = text(caps.card)
        device.busInfo = text(caps.bus_info)
        let effective = caps.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? caps.device_caps : caps.capabilities
        device.capture = effective & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0
        device.streaming = effective & UInt32(V4L2_CAP_STREAMING) != 0
        if device.capture {
            var description = v4l2_fmtdesc()
            description.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            while ioctl(fd, SHIM_VIDIOC_ENUM_FMT, &description) == 0 {
                device.formats.append(V4L2Capture.fourCCString(description.pixelformat))
                description.index += 1
            }
        }
        return device
    }
}
