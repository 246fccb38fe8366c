import Glibc
import Platform

/// A read-only file descriptor with positioned, bounds-checked reads for the AVI reader.
/// Reads past the end return short counts instead of failing, so callers see truncation.
final class AVIFileHandle {
    let path: String
    let fd: Int32
    let size: Int

    init(path: String) throws(AVIError) {
        self.path = path
        do {
            fd = try syscall("open", subject: path) { open(path, O_RDONLY | O_CLOEXEC) }
        } catch {
            throw AVIError(path: path, problem: .io(error.description))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw AVIError(path: path, problem: .io(SystemError("fstat", subject: path, errno: code).description))
        }
        size = Int(info.st_size)
    }

    deinit { close(fd) }

    /// Reads up to `buffer.count` bytes at `offset`; returns the count (short at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(AVIError) -> Int {
        let filled = Self.read(fd, into: buffer, at: offset)
        guard filled >= 0 else {
            throw AVIError(path: path, problem: .io(SystemError("pread", subject: path, errno: Int32(-filled)).description))
        }
        return filled
    }

    /// Reads `count` bytes at `offset` into the start of `array` (which must be large enough).
    func read(into array: inout [UInt8], count: Int, at offset: Int) throws(AVIError) -> Int {
        precondition(count <= array.count)
        let fd = fd
        let filled = array.withUnsafeMutableBytes { raw in Self.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]), at: offset) }
        guard filled >= 0 else {
            throw AVIError(path: path, problem: .io(SystemError("pread", subject: path, errno: Int32(-filled)).description))
        }
        return filled
    }

    /// Bytes read, or -errno.
    private static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = pread(fd, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled))
            if n < 0 {
                if errno == EINTR { continue }
                return -Int(errno)
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Exactly `count` bytes at `offset`, or nil if the file ends first.
    func bytes(at offset: Int, count: Int) throws(AVIError) -> [UInt8]? {
        guard offset >= 0, count >= 0, offset + count <= size else { return nil }
        var out = [UInt8](repeating: 0, count: count)
        let filled = try read(into: &out, count: count, at: offset)
        return filled == count ? out : nil
    }

    /// The FourCC at `offset` (a list type), or nil if fewer than 4 bytes remain.
    func fourCC(at offset: Int) throws(AVIError) -> UInt32? {
        var value: UInt32 = 0
        let filled = try withUnsafeMutableBytes(of: &value) { (raw) throws(AVIError) -> Int in try read(into: raw, at: offset) }
        return filled == 4 ? UInt32(littleEndian: value) : nil
    }

    /// A chunk header (FourCC, size) at `offset`, or nil if fewer than 8 bytes remain.
    func chunkHeader(at offset: Int) throws(AVIError) -> (id: UInt32, size: Int)? {
        var header: (UInt32, UInt32) = (0, 0)
        let filled = try withUnsafeMutableBytes(of: &header) { (raw) throws(AVIError) -> Int in try read(into: raw, at: offset) }
        guard filled == 8 else { return nil }
        return (UInt32(littleEndian: header.0), Int(UInt32(littleEndian: header.1)))
    }
}

/// Bounds-checked little-endian reads of a parsed header block: out of range reads give nil.
struct CheckedBytes {
    let bytes: [UInt8]

    func u16(_ offset: Int) -> Int? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        return Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
    }

    func u32(_ offset: Int) -> Int? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
    }

    func fourCC(_ offset: Int) -> String? {
        guard let raw = u32(offset) else { return nil }
        return fourCCText(UInt32(raw))
    }
}

/// A FourCC as text, with non-printable bytes shown as '?'.
func fourCCText(_ value: UInt32) -> String {
    var text = ""
    for shift in stride(from: 0, to: 32, by: 8) {
        let byte = UInt8((value >> UInt32(shift)) & 0xFF)
        text.append((0x20...0x7E).contains(byte) ? Character(Unicode.Scalar(byte)) : "?")
    }
    return text
}
