import Glibc
import Platform
import Synchronization

/// The control socket: a Unix stream socket on its own thread that answers one-line commands
/// (`ControlCommand`) with one JSON line each, as many per connection as the client sends.
/// Clients are served concurrently (at most `maximumClients`; one more is told "busy" and
/// closed), commands run one at a time, and every client has deadlines so none can hold a
/// slot for long: idle for `idleTimeoutMilliseconds`, a request line not complete within
/// `lineTimeoutMilliseconds` of its first byte (a trickle), a reply not taken within 1 s
/// (a client that does not read), or connected longer than `lifetimeMilliseconds`.
public final class ControlServer: Sendable {
    public let path: String
    private let listener: ListeningThread

    static let maximumLineBytes = 4096

    /// Binds `path` (replacing a stale socket file, refusing when another process still
    /// answers on it) and starts serving.
    public init(path: String, handler: any ControlHandler, logger: Logger? = nil,
                idleTimeoutMilliseconds: Int32 = 5000, lineTimeoutMilliseconds: Int32 = 2000,
                lifetimeMilliseconds: Int32 = 60_000, maximumClients: Int = 8) throws(SystemError) {
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
            _ = try syscall("listen", subject: path) { listen(fd, ListeningThread.backlog) }
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        let session = Session(handler: handler, logger: logger, idleTimeoutMilliseconds: idleTimeoutMilliseconds,
                              lineTimeoutMilliseconds: lineTimeoutMilliseconds, lifetimeMilliseconds: lifetimeMilliseconds)
        let busy = ControlReply(ok: false, error: "busy: \(maximumClients) clients are connected; try again")
        do {
            listener = try ListeningThread(name: "control", listenFD: fd, maximumClients: maximumClients,
                                           busyReply: Array((session.encoded(busy) + "\n").utf8)) { session.converse($0) }
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

/// Client conversations, each on its own thread; commands one at a time.
private struct Session: Sendable {
    let handler: any ControlHandler
    let logger: Logger?
    let idleTimeoutMilliseconds: Int32
    let lineTimeoutMilliseconds: Int32
    let lifetimeMilliseconds: Int32
    /// The handler was written for one client at a time: commands stay serialised.
    let commands = CommandLock()

    /// Answers lines until the client closes, misses a deadline, sends an overlong line, or stop.
    func converse(_ client: ListeningThread.Client) {
        var pending: [UInt8] = []
        let connected = MonotonicClock.nanoseconds()
        var lineStarted: Int64?
        while true {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                lineStarted = nil  // the next line's deadline starts with its own first byte
                let answer = commands.lock.withLock { _ in reply(to: line) }
                guard client.send(Array((answer + "\n").utf8)) else { return }
            }
            lineStarted = pending.isEmpty ? nil : (lineStarted ?? MonotonicClock.nanoseconds())
            if pending.count > ControlServer.maximumLineBytes {
                let error = ControlReply(ok: false, error: "line longer than \(ControlServer.maximumLineBytes) bytes")
                _ = client.send(Array((encoded(error) + "\n").utf8))
                return
            }
            // The nearest deadline: idle, the partial line's, the connection's.
            let now = MonotonicClock.nanoseconds()
            var remaining = Int64(idleTimeoutMilliseconds)
            if let lineStarted { remaining = min(remaining, Int64(lineTimeoutMilliseconds) - (now - lineStarted) / 1_000_000) }
            remaining = min(remaining, Int64(lifetimeMilliseconds) - (now - connected) / 1_000_000)
            guard remaining > 0, client.waitReadable(timeoutMilliseconds: Int32(remaining)) == true,
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

    func encoded(_ reply: ControlReply) -> String {
        (try? ControlJSON.encode(reply)) ?? #"{"ok":false,"error":"reply could not be encoded"}"#
    }
}

private final class CommandLock: Sendable {
    let lock = Mutex<Void>(())
}
