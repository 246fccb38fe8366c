import CSystemShims
import Glibc
import Platform
import Synchronization

/// SIGTERM/SIGINT turned into a flag the real-time loop polls (one relaxed atomic load) and
/// a pipe the control thread can poll() on. The handler only stores the signal number and
/// writes one byte to the pipe, both async-signal-safe; all the work happens in the loop.
///
/// A sigaction handler, not signalfd: signalfd needs the signals blocked in every thread,
/// and threads started before the mask was set (Swift runtime, Dispatch) would still take
/// SIGTERM with its default action and kill the process.
public final class ShutdownSignal: Sendable {
    /// The one instance: a signal disposition is process-wide.
    public static let shared = ShutdownSignal()

    private let received = Atomic<Int32>(0)
    private let pipeReadFD = Atomic<Int32>(-1)
    private let pipeWriteFD = Atomic<Int32>(-1)
    private let installLock = Mutex<Bool>(false)

    private init() {}

    /// Installs the handler for `signals` (idempotent). SA_RESTART keeps other threads'
    /// blocking calls from failing with EINTR. Call it from the main thread: the kernel
    /// delivers the signal to a thread that does not block it, and Dispatch's worker
    /// threads block all signals.
    public func install(signals: [Int32] = [SIGTERM, SIGINT]) throws(SystemError) {
        try installLock.withLock { (created: inout Bool) throws(SystemError) in
            if !created {
                var fds: [Int32] = [-1, -1]
                _ = try syscall("pipe", subject: "shutdown signal pipe") { pipe(&fds) }
                for fd in fds {  // the handler must never block on a full pipe
                    _ = try syscall("fcntl", subject: "shutdown signal pipe") { fcntl(fd, F_SETFL, O_NONBLOCK) }
                    _ = try syscall("fcntl", subject: "shutdown signal pipe") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
                }
                pipeReadFD.store(fds[0], ordering: .releasing)
                pipeWriteFD.store(fds[1], ordering: .releasing)
                created = true
            }
            // A launcher may hand us these signals blocked (posix_spawn from a thread that
            // blocks them, as Dispatch's workers do): then the handler would never run.
            var unblock = sigset_t()
            sigemptyset(&unblock)
            for number in signals { sigaddset(&unblock, number) }
            _ = pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
            for number in signals {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = { number in ShutdownSignal.shared.handle(number) }
                sigemptyset(&action.sa_mask)
                action.sa_flags = SA_RESTART
                _ = try syscall("sigaction", subject: "signal \(number)") { sigaction(number, &action, nil) }
            }
        }
    }

    /// Runs in signal context: atomics and write(2) only, errno preserved.
    private func handle(_ number: Int32) {
        let savedErrno = shim_errno()
        _ = received.compareExchange(expected: 0, desired: number, ordering: .relaxed)
        var byte: UInt8 = 1
        _ = write(pipeWriteFD.load(ordering: .relaxed), &byte, 1)
        shim_set_errno(savedErrno)
    }

    /// True once SIGTERM or SIGINT arrived. Lock- and allocation-free: safe on the hot path.
    @inline(__always)
    public var isRequested: Bool { received.load(ordering: .relaxed) != 0 }

    /// The first signal received, or nil.
    public var receivedSignal: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// Readable once a signal arrived: add it to a poll() set to wake a blocked thread.
    public var fileDescriptor: Int32 { pipeReadFD.load(ordering: .acquiring) }

    /// Blocks until a signal arrives or the timeout passes (nil: forever); true if requested.
    public func wait(timeoutMilliseconds: Int32? = nil) -> Bool {
        if isRequested { return true }
        let fd = fileDescriptor
        guard fd >= 0 else { return false }  // not installed: nothing can arrive
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = timeoutMilliseconds.map { MonotonicClock.nanoseconds() + Int64($0) * 1_000_000 }
        while !isRequested {
            var remaining: Int32 = -1
            if let deadline {
                let left = deadline - MonotonicClock.nanoseconds()
                if left <= 0 { break }
                remaining = Int32(min(left / 1_000_000 + 1, Int64(Int32.max)))
            }
            let ready = poll(&entry, 1, remaining)
            if ready < 0 && shim_errno() != EINTR { break }
        }
        return isRequested
    }

    /// Clears the flag and empties the pipe (tests that share the one process).
    func resetForTesting() {
        received.store(0, ordering: .relaxed)
        var byte: UInt8 = 0
        while read(fileDescriptor, &byte, 1) == 1 {}
    }

    /// Pretends a signal arrived (tests, and a `stop` path that shares the shutdown route).
    public func request(_ number: Int32 = SIGTERM) { handle(number) }
}
