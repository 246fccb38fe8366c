import CSystemShims
import Glibc

/// A failed system call: which call, on what, and the errno it returned.
/// `description` reads like `open(/dev/video0): No such file or directory (errno 2)`.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    public let operation: String
    public let subject: String?
    public let errno: Int32

    public init(_ operation: String, subject: String? = nil, errno: Int32) {
        self.operation = operation
        self.subject = subject
        self.errno = errno
    }

    public var description: String {
        let message = String(cString: strerror(errno))
        let target = subject.map { "(\($0))" } ?? ""
        return "\(operation)\(target): \(message) (errno \(errno))"
    }
}

/// The one place that turns a C call's `-1`/errno into a thrown `SystemError`.
/// Retries on EINTR, so callers never see an interrupted call.
@inline(__always)
public func syscall<Result: BinaryInteger>(
    _ operation: @autoclosure () -> String,
    subject: @autoclosure () -> String? = nil,
    _ body: () -> Result
) throws(SystemError) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = shim_errno()
        if code == EINTR { continue }
        throw SystemError(operation(), subject: subject(), errno: code)
    }
}
