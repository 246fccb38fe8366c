import CSystemShims
import Glibc

/// A dedicated OS thread with a name and, optionally, SCHED_FIFO priority: the capture
/// threads and the real-time loop each get one (Swift concurrency's cooperative pool is
/// the wrong tool for deadline work). Falls back to normal scheduling when the process may
/// not use real-time priority, and says so in `realtimeGranted`.
public final class RealtimeThread: @unchecked Sendable {
    public let name: String
    private var thread = pthread_t()
    private let body: () -> Void
    public private(set) var realtimeGranted = false
    private var started = false

    public init(name: String, body: @escaping () -> Void) {
        self.name = name
        self.body = body
    }

    /// Starts the thread; `fifoPriority` 1...99 asks for SCHED_FIFO, 0 for normal scheduling.
    /// `detached`: nobody joins it (a short-lived worker, e.g. one control-socket client).
    public func start(fifoPriority: Int32 = 0, detached: Bool = false) throws(SystemError) {
        let box = Unmanaged.passRetained(self)
        let status = pthread_create(&thread, nil, { argument in
            let me = Unmanaged<RealtimeThread>.fromOpaque(argument!).takeRetainedValue()
            _ = String(me.name.prefix(15)).withCString { shim_set_thread_name($0) }
            me.body()
            return nil
        }, box.toOpaque())
        if status != 0 {
            box.release()
            throw SystemError("pthread_create", subject: name, errno: status)
        }
        if detached {
            pthread_detach(thread)
            return
        }
        started = true
        if fifoPriority > 0 {
            var parameters = sched_param()
            parameters.sched_priority = fifoPriority
            realtimeGranted = pthread_setschedparam(thread, SCHED_FIFO, &parameters) == 0
        }
    }

    /// Waits for the thread to finish.
    public func join() {
        guard started else { return }
        pthread_join(thread, nil)
        started = false
    }
}

/// Locks the process's memory so page faults cannot stall the real-time loop. Returns false
/// (with errno) when not permitted (no CAP_IPC_LOCK and RLIMIT_MEMLOCK too small).
public func lockAllMemory() -> Int32 {
    mlockall(MCL_CURRENT | MCL_FUTURE) == 0 ? 0 : shim_errno()
}
