import CSystemShims
import Glibc
import Platform

/// The V4L2 calls capture and output share: an ioctl that throws a typed error naming the
/// request and the device, and a buffer descriptor for mmap streaming.
enum V4L2Calls {
    static func ioctl<T>(_ fd: Int32, _ request: UInt, _ argument: inout T, _ name: String, _ device: String) throws(SystemError) -> Int32 {
        try syscall(name, subject: device) { withUnsafeMutablePointer(to: &argument) { Glibc.ioctl(fd, request, $0) } }
    }

    static func buffer(type: v4l2_buf_type, index: Int) -> v4l2_buffer {
        var buffer = v4l2_buffer()
        buffer.index = UInt32(index)
        buffer.type = type.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        return buffer
    }
}
