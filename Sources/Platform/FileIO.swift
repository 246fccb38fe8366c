import CSystemShims
import Glibc

/// Whole-file reads and atomic writes (write to a temporary file, fsync, rename, fsync the
/// folder), so a crash or power cut leaves either the old file or the new one, never half of
/// each, and a rename that returned is on disk.
public enum FileIO {
    public static func readAll(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = try syscall("open", subject: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var info = stat()
        _ = try syscall("fstat", subject: path) { fstat(fd, &info) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let filled = bytes.withUnsafeMutableBytes { buffer in readFully(fd, buffer) }
        if filled < 0 { throw SystemError("read", subject: path, errno: Int32(-filled)) }
        if filled < bytes.count { bytes.removeLast(bytes.count - filled) }  // file shrank while reading
        return bytes
    }

    /// Reads until the buffer is full or end of file; returns bytes read or -errno.
    public static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if n < 0 {
                let code = shim_errno()
                if code == EINTR { continue }
                return -Int(code)
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    public static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(SystemError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = try syscall("open", subject: temporary) {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        // The descriptor is closed exactly once: in a multithreaded daemon a second close
        // of the same number can close a file another thread has just opened.
        do {
            defer { close(fd) }
            try writeAll(fd, bytes, subject: temporary)
            _ = try syscall("fsync", subject: temporary) { fsync(fd) }
        } catch {
            unlink(temporary)
            throw error
        }
        do {
            _ = try syscall("rename", subject: path) { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
        try syncDirectory(parent(of: path))
    }

    /// fsync of a folder: makes a rename or a new file in it durable.
    public static func syncDirectory(_ path: String) throws(SystemError) {
        let fd = try syscall("open", subject: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        _ = try syscall("fsync", subject: path) { fsync(fd) }
    }

    /// The folder part of `path` ("." for a bare name, "/" for a file at the root).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], subject: String) throws(SystemError) {
        let code = bytes.withUnsafeBytes { writeFully(fd, $0) }
        if code != 0 { throw SystemError("write", subject: subject, errno: code) }
    }

    /// Writes the whole buffer, retrying short writes and EINTR; returns 0 or errno.
    /// Allocation-free, for the recording path.
    public static func writeFully(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
        var written = 0
        while written < buffer.count {
            let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
            if n < 0 {
                let code = shim_errno()
                if code == EINTR { continue }
                return code
            }
            written += n
        }
        return 0
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Creates a directory and its parents; an existing directory is fine.
    public static func makeDirectories(_ path: String) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 {
                let code = shim_errno()
                if code != EEXIST { throw SystemError("mkdir", subject: prefix, errno: code) }
            }
            prefix += "/"
        }
    }
}
