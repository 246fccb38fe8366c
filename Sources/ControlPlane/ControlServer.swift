import Glibc
import Platform

/// The control socket: a Unix stream socket on its own thread that answers one-line commands
/// (`ControlCommand`) with one JSON line each, as many per connection as the client sends.
/// Clients are served one at a time (operators and `showtell status`, not a fleet), and a
/// client idle for `idleTimeoutMilliseconds` is dropped so it cannot hold the socket.
public final class ControlServer: Sendable {
    public let path: String
    private let listener: ListeningThread

    static let maximumLineBytes = 4096

    /// Binds `path` (replacing a stale socket file, refusing when another process still
    /// answers on it) and starts serving.
    public init(path: String, handler: any ControlHandler, logger: Logger? = nil,
                idleTimeoutMilliseconds: Int32 = 5000) throws(SystemError) {
        self.path = path
        var (address, length) = try SystemdNotifier.unixAddress(path)
        try Self.removeStaleSocket(path, address: address, length: length)
        let fd = try syscall("socket", subject: path) {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            _ = try withUnsafePointer(to: &address) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic throws(SystemError) in
                    try syscall("bind", subject: path) { bind(fd, generic, length) }
                }
            }
            // The owner and its group (operators) may talk to it, nobody else.
            _ = try syscall("chmod", subject: path) { chmod(path, 0o660) }
            _ = try syscall("listen", subject: path) { listen(fd, 8) }
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        let session = Session(handler: handler, logger: logger, idleTimeoutMilliseconds: idleTimeoutMilliseconds)
        do {
            listener = try ListeningThread(name: "control", listenFD: fd) { session.converse($0) }
        } catch {
            unlink(path)
            throw error
        }
    }

    /// Stops serving, joins the thread and removes the socket file. Idempotent.
    public func stop() {
        listener.stop()
        unlink(path)
    }

    deinit { stop() }

    /// A socket file left by a crashed daemon would make bind fail with EADDRINUSE; remove it,
    /// but only if it is a socket and nobody accepts on it.
    private static func removeStaleSocket(_ path: String, address: sockaddr_un, length: socklen_t) throws(SystemError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw SystemError("bind (not a socket, will not replace)", subject: path, errno: EEXIST)
        }
        let probe = try syscall("socket", subject: path) {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        defer { close(probe) }
        var address = address
        let answered = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, length) == 0 }
        }
        if answered { throw SystemError("bind (another showtelld answers there)", subject: path, errno: EADDRINUSE) }
        _ = try syscall("unlink", subject: path) { unlink(path) }
    }
}

/// One client conversation, on the control thread.
private struct Session: Sendable {
    let handler: any ControlHandler
    let logger: Logger?
    let idleTimeoutMilliseconds: Int32

    /// Answers lines until the client closes, idles out, sends an overlong line, or stop.
    func converse(_ client: ListeningThread.Client) {
        var pending: [UInt8] = []
        while true {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                guard client.send(Array((reply(to: line) + "\n").utf8)) else { return }
            }
            if pending.count > ControlServer.maximumLineBytes {
                let error = ControlReply(ok: false, error: "line longer than \(ControlServer.maximumLineBytes) bytes")
                _ = client.send(Array((encoded(error) + "\n").utf8))
                return
            }
            guard client.waitReadable(timeoutMilliseconds: idleTimeoutMilliseconds) == true,
                  let bytes = client.receive() else { return }
            pending += bytes
        }
    }

    /// The JSON line for one request line.
    func reply(to line: String) -> String {
        guard let command = ControlCommand(line: line) else {
            let word = line.trimmingWhitespace()
            return encoded(ControlReply(ok: false, error: "unknown command \"\(word)\"; expected one of \(ControlCommand.usage)"))
        }
        switch command {
        case .status:
            return encoded(ControlReply(command: command.name, ok: true, status: handler.status()))
        case .metrics:
            return encoded(ControlReply(command: command.name, ok: true, metrics: handler.metricsText()))
        case .snapshot, .recordStart, .recordStop, .recordSessionStart, .recordSessionStop, .reloadModel:
            do {
                let result = try handler.perform(command)
                logger?.notice("control_command", ["command": command.name, "result": result])
                return encoded(ControlReply(command: command.name, ok: true, result: result))
            } catch {
                logger?.warning("control_command_failed", ["command": command.name, "error": error])
                return encoded(ControlReply(command: command.name, ok: false, error: String(describing: error)))
            }
        }
    }

    private func encoded(_ reply: ControlReply) -> String {
        (try? ControlJSON.encode(reply)) ?? #"{"ok":false,"error":"reply could not be encoded"}"#
    }
}
