import Glibc

/// Unbuffered writes to stdout/stderr by file descriptor (Swift 6 rejects the C `stderr`
/// global as shared mutable state, and fd writes are never lost in a stdio buffer).
public enum Console {
    public static func error(_ text: String) { emit(2, text) }
    public static func out(_ text: String) { emit(1, text) }

    private static func emit(_ fd: Int32, _ text: String) {
        var copy = text
        copy.withUTF8 { _ = FileIO.writeFully(fd, UnsafeRawBufferPointer($0)) }
    }
}
