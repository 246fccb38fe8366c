import CSystemShims
import Glibc
import Platform

/// Pixel formats the capture path accepts, in order of preference for ultrasound
/// (grayscale content: GREY is cheapest, YUYV's Y plane is the image, MJPEG needs decoding).
public enum CapturePixelFormat: Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case grey, yuyv, mjpeg

    public var fourCC: UInt32 {
        switch self {
        case .grey: SHIM_V4L2_PIX_FMT_GREY
        case .yuyv: SHIM_V4L2_PIX_FMT_YUYV
        case .mjpeg: SHIM_V4L2_PIX_FMT_MJPEG
        }
    }

    public init?(fourCC: UInt32) {
        guard let match = Self.allCases.first(where: { $0.fourCC == fourCC }) else { return nil }
        self = match
    }

    public var description: String {
        switch self {
        case .grey: "GREY"
        case .yuyv: "YUYV"
        case .mjpeg: "MJPG"
        }
    }
}

/// A V4L2 video capture device in mmap streaming mode.
///
/// The node is chosen by `device_caps` (a device's metadata node shares `capabilities`);
/// the driver's answer to S_FMT is re-read and used as is. Buffers are mapped once;
/// `next` polls with a timeout (a stall returns nil, the caller shows NO SIGNAL), dequeues
/// the newest filled buffer, counts sequence gaps as drops and re-queues buffers the driver
/// flagged as errors. ENODEV (unplugged) surfaces as `SystemError` with errno ENODEV: close
/// and reopen with backoff. No allocation after `init`.
public final class V4L2Capture {
    public struct Settings: Sendable {
        public var device = "/dev/video0"
        public var width = 1280
        public var height = 720
        public var preferred: [CapturePixelFormat] = [.grey, .yuyv, .mjpeg]
        /// Frame rate to ask for (VIDIOC_S_PARM; the driver picks its nearest). nil, or a
        /// driver that cannot set its frame interval: the driver's own rate.
        public var framesPerSecond: Int?
        public var bufferCount = 4
        public init() {}
    }

    /// One dequeued buffer; valid until `release(_:)`.
    public struct Frame {
        public let index: Int
        public let data: UnsafeRawBufferPointer
        public let sequence: UInt32
        /// CLOCK_MONOTONIC ns (driver timestamp when it is monotonic, else dequeue time).
        public let timestamp: Int64
    }

    public struct Counters: Sendable, Equatable {
        public var frames = 0
        /// Frames the driver skipped (sequence gaps).
        public var dropped = 0
        /// Buffers flagged V4L2_BUF_FLAG_ERROR and re-queued.
        public var errors = 0
    }

    public let path: String
    public let driver: String
    public let card: String
    public let width: Int
    public let height: Int
    public let bytesPerLine: Int
    /// The frame rate the driver reports after negotiation (nil: it reports none).
    public let framesPerSecond: Double?
    public let format: CapturePixelFormat
    public private(set) var counters = Counters()
    private let fd: Int32
    private var buffers: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
    private var lastSequence: UInt32?
    private var streaming = false
    private var closed = false

    public init(settings: Settings) throws(SystemError) {
        path = settings.device
        let device = settings.device
        fd = try syscall("open", subject: device) { open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC) }
        var mapped: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
        do throws(SystemError) {
            let negotiated = try Self.negotiate(fd, settings)
            (driver, card, format, width, height, bytesPerLine) = negotiated
            framesPerSecond = try Self.frameRate(fd, asking: settings.framesPerSecond, device: device)
            mapped = try Self.mapBuffers(fd, count: settings.bufferCount, device: device) { mapped.append($0) }
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_STREAMON, &type, "VIDIOC_STREAMON", device)
        } catch {
            for buffer in mapped { munmap(buffer.pointer, buffer.length) }
            Glibc.close(fd)
            throw error
        }
        buffers = mapped
        streaming = true
    }

    private static func negotiate(_ fd: Int32, _ settings: Settings) throws(SystemError)
        -> (String, String, CapturePixelFormat, Int, Int, Int)
    {
        let device = settings.device
        var caps = v4l2_capability()
        _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_QUERYCAP, &caps, "VIDIOC_QUERYCAP (is it a V4L2 device?)", device)
        let effective = caps.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? caps.device_caps : caps.capabilities
        guard effective & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 else {
            throw SystemError("not a video capture node (device_caps 0x\(String(effective, radix: 16)))", subject: device, errno: ENODEV)
        }
        guard effective & UInt32(V4L2_CAP_STREAMING) != 0 else {
            throw SystemError("no streaming I/O", subject: device, errno: EINVAL)
        }
        let offered = formats(fd)
        guard let chosen = settings.preferred.first(where: { offered.contains($0.fourCC) }) else {
            let names = offered.map { fourCCString($0) }.joined(separator: ", ")
            throw SystemError("none of the formats \(settings.preferred) offered (device has: \(names))", subject: device, errno: EINVAL)
        }
        var fmt = v4l2_format()
        fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        fmt.fmt.pix.width = UInt32(settings.width)
        fmt.fmt.pix.height = UInt32(settings.height)
        fmt.fmt.pix.pixelformat = chosen.fourCC
        fmt.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_S_FMT, &fmt, "VIDIOC_S_FMT", device)
        _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_G_FMT, &fmt, "VIDIOC_G_FMT", device)  // what the driver really set
        guard let granted = CapturePixelFormat(fourCC: fmt.fmt.pix.pixelformat) else {
            throw SystemError("driver switched to unsupported format \(fourCCString(fmt.fmt.pix.pixelformat))", subject: device, errno: EINVAL)
        }
        return (string(caps.driver), string(caps.card), granted,
                Int(fmt.fmt.pix.width), Int(fmt.fmt.pix.height), Int(fmt.fmt.pix.bytesperline))
    }

    /// Asks for `wanted` frames per second where the driver can set its frame interval
    /// (V4L2_CAP_TIMEPERFRAME; after S_FMT, which may reset it), and returns the rate it
    /// reports. A driver without G_PARM reports none.
    private static func frameRate(_ fd: Int32, asking wanted: Int?, device: String) throws(SystemError) -> Double? {
        var parameters = v4l2_streamparm()
        parameters.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        guard Glibc.ioctl(fd, SHIM_VIDIOC_G_PARM, &parameters) == 0 else { return nil }
        if let wanted, wanted > 0, parameters.parm.capture.capability & UInt32(V4L2_CAP_TIMEPERFRAME) != 0 {
            parameters.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(wanted))
            _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_S_PARM, &parameters, "VIDIOC_S_PARM (\(wanted) fps)", device)  // answers with what it set
        }
        return rate(of: parameters.parm.capture.timeperframe)
    }

    /// Frames per second of a frame interval (nil when the driver leaves it zero).
    static func rate(of interval: v4l2_fract) -> Double? {
        interval.numerator > 0 && interval.denominator > 0 ? Double(interval.denominator) / Double(interval.numerator) : nil
    }

    /// Requests, maps and queues the buffers; `mapped` sees each mapping as soon as it exists
    /// so the caller can unmap on failure.
    private static func mapBuffers(_ fd: Int32, count: Int, device: String,
                                   mapped: ((pointer: UnsafeMutableRawPointer, length: Int)) -> Void) throws(SystemError)
        -> [(pointer: UnsafeMutableRawPointer, length: Int)]
    {
        var request = v4l2_requestbuffers()
        request.count = UInt32(count)
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_REQBUFS, &request, "VIDIOC_REQBUFS", device)
        guard request.count >= 2 else { throw SystemError("driver granted only \(request.count) buffers", subject: device, errno: ENOMEM) }
        var result: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
        for index in 0..<Int(request.count) {
            var buffer = V4L2Calls.buffer(type: V4L2_BUF_TYPE_VIDEO_CAPTURE, index: index)
            _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_QUERYBUF, &buffer, "VIDIOC_QUERYBUF", device)
            let pointer = mmap(nil, Int(buffer.length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(buffer.m.offset))
            guard let pointer, pointer != MAP_FAILED else { throw SystemError("mmap", subject: device, errno: shim_errno()) }
            mapped((pointer, Int(buffer.length)))
            result.append((pointer, Int(buffer.length)))
            _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_QBUF, &buffer, "VIDIOC_QBUF", device)
        }
        return result
    }

    deinit { teardown() }

    /// Stops streaming, unmaps the buffers and closes the device now rather than at deinit.
    /// A driver whose device went away (USB unplug, vivid's "disconnect") re-registers it only
    /// once every handle and mapping is gone, so this must happen before reopening.
    public func close() { teardown() }

    private func teardown() {
        guard !closed else { return }
        closed = true
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = Glibc.ioctl(fd, SHIM_VIDIOC_STREAMOFF, &type)
            streaming = false
        }
        for buffer in buffers { munmap(buffer.pointer, buffer.length) }
        buffers.removeAll()
        Glibc.close(fd)
    }

    /// Waits up to `timeoutMilliseconds` for a frame. Nil on timeout (a stalled source).
    public func next(timeoutMilliseconds: Int32) throws(SystemError) -> Frame? {
        guard !closed else { throw SystemError("poll", subject: path, errno: EBADF) }
        while true {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = try syscall("poll", subject: path) { poll(&descriptor, 1, timeoutMilliseconds) }
            if ready == 0 { return nil }
            if descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && descriptor.revents & Int16(POLLIN) == 0 {
                throw SystemError("poll", subject: path, errno: ENODEV)
            }
            var buffer = V4L2Calls.buffer(type: V4L2_BUF_TYPE_VIDEO_CAPTURE, index: 0)
            if Glibc.ioctl(fd, SHIM_VIDIOC_DQBUF, &buffer) != 0 {
                let code = shim_errno()
                if code == EAGAIN || code == EINTR { continue }
                throw SystemError("VIDIOC_DQBUF", subject: path, errno: code)
            }
            if buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0 {
                counters.errors += 1
                _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_QBUF, &buffer, "VIDIOC_QBUF", path)
                continue
            }
            if let last = lastSequence, buffer.sequence > last &+ 1 {
                counters.dropped += Int(buffer.sequence - last - 1)
            }
            lastSequence = buffer.sequence
            counters.frames += 1
            let monotonic = buffer.flags & UInt32(V4L2_BUF_FLAG_TIMESTAMP_MASK) == UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
            let stamp = monotonic
                ? Int64(buffer.timestamp.tv_sec) * 1_000_000_000 + Int64(buffer.timestamp.tv_usec) * 1_000
                : MonotonicClock.nanoseconds()
            let mapped = buffers[Int(buffer.index)]
            let used = min(Int(buffer.bytesused), mapped.length)
            return Frame(index: Int(buffer.index), data: UnsafeRawBufferPointer(start: mapped.pointer, count: used),
                         sequence: buffer.sequence, timestamp: stamp)
        }
    }

    /// Gives a frame's buffer back to the driver.
    public func release(_ frame: Frame) throws(SystemError) {
        var buffer = V4L2Calls.buffer(type: V4L2_BUF_TYPE_VIDEO_CAPTURE, index: frame.index)
        _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_QBUF, &buffer, "VIDIOC_QBUF", path)
    }

    // MARK: helpers



    private static func formats(_ fd: Int32) -> [UInt32] {
        var found: [UInt32] = []
        var description = v4l2_fmtdesc()
        description.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        while Glibc.ioctl(fd, SHIM_VIDIOC_ENUM_FMT, &description) == 0 {
            found.append(description.pixelformat)
            description.index += 1
        }
        return found
    }

    static func fourCCString(_ code: UInt32) -> String {
        String(decoding: (0..<4).map { UInt8((code >> ($0 * 8)) & 0xFF) }, as: UTF8.self)
    }

    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
