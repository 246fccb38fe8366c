import CSystemShims
import Glibc
import Platform

/// A V4L2 video output node in mmap streaming mode: the far end of a grabber on bench rigs and on
/// the virtual board, where vivid's output loops back into its capture ("Loop Video"). Gray
/// pictures are scaled to the driver's output size (nearest neighbour) and written as GREY,
/// or YUYV with neutral chroma. `write` blocks until the driver hands a buffer back, so the
/// driver's frame rate paces the writer.
public final class V4L2Output {
    public let path: String
    public let driver: String
    public let card: String
    public let width: Int
    public let height: Int
    public let bytesPerLine: Int
    public let format: CapturePixelFormat
    private let fd: Int32
    private let field: UInt32
    private let imageSize: Int
    private var buffers: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
    private var queued = 0
    private var streaming = false
    private var columns: [Int] = []
    private var rows: [Int] = []
    private var sourceSize = (width: 0, height: 0)

    /// Opens `device` and keeps the driver's output size (a standard or DV timing decides it),
    /// switching the pixel format to GREY or YUYV.
    public init(device: String) throws(SystemError) {
        path = device
        fd = try syscall("open", subject: device) { open(device, O_RDWR | O_CLOEXEC) }
        do throws(SystemError) {
            var caps = v4l2_capability()
            _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_QUERYCAP, &caps, "VIDIOC_QUERYCAP (is it a V4L2 device?)", device)
            let effective = caps.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? caps.device_caps : caps.capabilities
            guard effective & UInt32(V4L2_CAP_VIDEO_OUTPUT) != 0 else {
                throw SystemError("not a video output node (device_caps 0x\(String(effective, radix: 16)); vivid makes one with node_types=0x101)",
                                  subject: device, errno: ENODEV)
            }
            guard effective & UInt32(V4L2_CAP_STREAMING) != 0 else {
                throw SystemError("the output node has no streaming I/O", subject: device, errno: EINVAL)
            }
            driver = V4L2Capture.string(caps.driver)
            card = V4L2Capture.string(caps.card)
            var fmt = v4l2_format()
            fmt.type = V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue
            _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_G_FMT, &fmt, "VIDIOC_G_FMT", device)
            var granted: CapturePixelFormat?
            for wanted in [CapturePixelFormat.grey, .yuyv] where granted == nil {
                fmt.fmt.pix.pixelformat = wanted.fourCC
                fmt.fmt.pix.bytesperline = 0
                if Glibc.ioctl(fd, SHIM_VIDIOC_S_FMT, &fmt) == 0, fmt.fmt.pix.pixelformat == wanted.fourCC { granted = wanted }
            }
            guard let granted else {
                throw SystemError("the output takes neither GREY nor YUYV (it has \(V4L2Capture.fourCCString(fmt.fmt.pix.pixelformat)))",
                                  subject: device, errno: EINVAL)
            }
            format = granted
            width = Int(fmt.fmt.pix.width)
            height = Int(fmt.fmt.pix.height)
            bytesPerLine = Int(fmt.fmt.pix.bytesperline)
            field = fmt.fmt.pix.field
            imageSize = max(Int(fmt.fmt.pix.sizeimage), bytesPerLine * height)
            var request = v4l2_requestbuffers()
            request.count = 4
            request.type = V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue
            request.memory = V4L2_MEMORY_MMAP.rawValue
            _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_REQBUFS, &request, "VIDIOC_REQBUFS", device)
            for index in 0..<Int(request.count) {
                var buffer = V4L2Calls.buffer(type: V4L2_BUF_TYPE_VIDEO_OUTPUT, index: index)
                _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_QUERYBUF, &buffer, "VIDIOC_QUERYBUF", device)
                let pointer = mmap(nil, Int(buffer.length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(buffer.m.offset))
                guard let pointer, pointer != MAP_FAILED else { throw SystemError("mmap", subject: device, errno: shim_errno()) }
                buffers.append((pointer, Int(buffer.length)))
                // Neutral chroma once: only luma bytes are written per frame.
                memset(pointer, granted == .yuyv ? 128 : 0, Int(buffer.length))
            }
        } catch {
            for buffer in buffers { munmap(buffer.pointer, buffer.length) }
            Glibc.close(fd)
            throw error
        }
    }

    deinit {
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue)
            _ = Glibc.ioctl(fd, SHIM_VIDIOC_STREAMOFF, &type)
        }
        for buffer in buffers { munmap(buffer.pointer, buffer.length) }
        Glibc.close(fd)
    }

    /// Scales a gray picture (`sourceWidth` × `sourceHeight`, rows packed) to the output and
    /// queues it; once every buffer is queued, first waits for the driver to return one.
    public func write(gray: UnsafePointer<UInt8>, sourceWidth: Int, sourceHeight: Int) throws(SystemError) {
        if sourceSize != (sourceWidth, sourceHeight) {
            sourceSize = (sourceWidth, sourceHeight)
            columns = (0..<width).map { min(sourceWidth - 1, ($0 * sourceWidth + sourceWidth / 2) / width) }
            rows = (0..<height).map { min(sourceHeight - 1, ($0 * sourceHeight + sourceHeight / 2) / height) }
        }
        // A buffer never queued yet, else the next one the driver has finished showing.
        let fresh = queued < buffers.count
        var buffer = V4L2Calls.buffer(type: V4L2_BUF_TYPE_VIDEO_OUTPUT, index: fresh ? queued : 0)
        if !fresh {
            _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_DQBUF, &buffer, "VIDIOC_DQBUF", path)
        }
        let target = buffers[Int(buffer.index)]
        guard target.length >= imageSize else { throw SystemError("buffer smaller than the image", subject: path, errno: EINVAL) }
        let base = target.pointer.assumingMemoryBound(to: UInt8.self)
        let step = format == .yuyv ? 2 : 1  // YUYV: luma at even bytes, chroma stays 128
        for y in 0..<height {
            let source = gray + rows[y] * sourceWidth
            let out = base + y * bytesPerLine
            for x in 0..<width { out[x * step] = source[columns[x]] }
        }
        buffer.bytesused = UInt32(imageSize)
        buffer.field = field
        _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_QBUF, &buffer, "VIDIOC_QBUF", path)
        if fresh { queued += 1 }
        if !streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue)
            _ = try V4L2Calls.ioctl(fd, SHIM_VIDIOC_STREAMON, &type, "VIDIOC_STREAMON", path)
            streaming = true
        }
    }


}
