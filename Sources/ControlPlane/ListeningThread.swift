import Glibc
import Platform
import Synchronization

/// A listening socket whose thread only accepts: each client is served on a thread of its
/// own, at most `maximumClients` at once, so an idle, trickling or non-reading client delays
/// nobody else. A client beyond the limit gets `busyReply` and is closed at once, which also
/// keeps the kernel's backlog drained (a full backlog blocks connect()). `stop()` ends every
/// thread promptly even while clients idle (a wake pipe sits in every poll). Shared by the
/// control socket and the metrics scrape endpoint.
final class ListeningThread: Sendable {
    /// What a client handler gets: the client socket and a way to wait for it that returns
    /// nil once the server is stopping.
    struct Client: Sendable {
        let fd: Int32
        fileprivate let wakeFD: Int32

        /// true: readable; false: timed out; nil: stop requested (or poll failed).
        func waitReadable(timeoutMilliseconds: Int32) -> Bool? {
            ListeningThread.waitReadable(fd, wakeFD: wakeFD, timeout: timeoutMilliseconds)
        }

        /// Sends all of `bytes`; false when the peer went away. MSG_NOSIGNAL: a closed peer
        /// must not raise SIGPIPE in the daemon.
        /// A peer that does not read makes send fail after the socket's send timeout
        /// (`sendTimeoutMilliseconds`) instead of blocking the thread for ever.
        func send(_ bytes: [UInt8]) -> Bool {
            var sent = 0
            while sent < bytes.count {
                let result = try? syscall("send", subject: "client socket") {
                    bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
                }
                guard let result, result > 0 else { return false }
                sent += result
            }
            return true
        }

        /// Receives what is available (up to `limit` bytes); nil at end of stream or error.
        func receive(limit: Int = 4096) -> [UInt8]? {
            var chunk = [UInt8](repeating: 0, count: limit)
            let count = try? syscall("recv", subject: "client socket") {
                chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            }
            guard let count, count > 0 else { return nil }
            return Array(chunk[..<count])
        }
    }

    private let listenFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let thread: RealtimeThread
    private let stopped = Atomic<Bool>(false)
    /// Client threads running; `stop()` waits for them before closing the wake pipe.
    private let active: ClientCount

    /// Backlog for listen(): small, as the accept thread drains it at once.
    static let backlog: Int32 = 16
    static let sendTimeoutMilliseconds = 1000

    /// Takes ownership of `listenFD` (bound and listening) and serves each accepted client
    /// with `serve` on its own thread; `serve` must return when `waitReadable` returns nil.
    init(name: String, listenFD: Int32, maximumClients: Int = 8, busyReply: [UInt8] = [],
         serve: @escaping @Sendable (Client) -> Void) throws(SystemError) {
        var fds: [Int32] = [-1, -1]
        do {
            _ = try syscall("pipe", subject: "\(name) wake pipe") { pipe(&fds) }
        } catch {
            close(listenFD)
            throw error
        }
        for descriptor in fds { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        self.listenFD = listenFD
        wakeRead = fds[0]
        wakeWrite = fds[1]
        let wakeFD = fds[0]
        let active = ClientCount()
        self.active = active
        thread = RealtimeThread(name: name) {
            while true {
                guard let ready = Self.waitReadable(listenFD, wakeFD: wakeFD, timeout: -1) else { return }
                guard ready else { continue }
                let client = accept(listenFD, nil, nil)
                if client < 0 { continue }  // EINTR, ECONNABORTED: next
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                var timeout = timeval(tv_sec: Self.sendTimeoutMilliseconds / 1000, tv_usec: Self.sendTimeoutMilliseconds % 1000 * 1000)
                _ = setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                guard active.value.load(ordering: .acquiring) < maximumClients else {
                    _ = busyReply.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                    close(client)
                    continue
                }
                active.value.wrappingAdd(1, ordering: .acquiringAndReleasing)
                let worker = RealtimeThread(name: name + "-client") {
                    serve(Client(fd: client, wakeFD: wakeFD))
                    close(client)
                    active.value.wrappingSubtract(1, ordering: .acquiringAndReleasing)
                }
                do { try worker.start(detached: true) } catch {
                    close(client)
                    active.value.wrappingSubtract(1, ordering: .acquiringAndReleasing)
                }
            }
        }
        do {
            try thread.start()
        } catch {
            for descriptor in [listenFD, fds[0], fds[1]] { close(descriptor) }
            throw error
        }
    }

    /// Ends the thread (interrupting a client conversation) and closes the sockets. Idempotent.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        thread.join()
        // Client threads see the wake pipe and return; wait for them (bounded) before the
        // pipe they poll is closed.
        let deadline = MonotonicClock.nanoseconds() + 3_000_000_000
        while active.value.load(ordering: .acquiring) > 0 && MonotonicClock.nanoseconds() < deadline { usleep(1_000) }
        for descriptor in [listenFD, wakeRead, wakeWrite] { close(descriptor) }
    }

    deinit { stop() }

    fileprivate static func waitReadable(_ fd: Int32, wakeFD: Int32, timeout: Int32) -> Bool? {
        var entries = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        guard let ready = try? syscall("poll", subject: "listening socket", { poll(&entries, 2, timeout) }) else { return nil }
        if entries[1].revents != 0 { return nil }
        return ready > 0 && entries[0].revents != 0
    }
}

/// The number of client threads, shared by the accept thread and the workers.
private final class ClientCount: Sendable {
    let value = Atomic<Int>(0)
}
