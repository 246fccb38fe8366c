import Glibc
import Platform
import Synchronization
import Testing
@testable import ControlPlane

/// Serialized: the flag and the handlers are process-wide.
@Suite(.serialized) struct ShutdownSignalTests {
    @Test func sigtermSetsTheFlagAndWakesAWaiter() throws {
        let shutdown = ShutdownSignal.shared
        try shutdown.install(signals: [SIGTERM])
        shutdown.resetForTesting()
        // Raise only once our handler is verifiably installed: the default action would
        // kill the test runner.
        var current = sigaction()
        try #require(sigaction(SIGTERM, nil, &current) == 0)
        try #require(current.__sigaction_handler.sa_handler != nil)
        let installed = unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
        try #require(installed != unsafeBitCast(SIG_DFL, to: Int.self) && installed != unsafeBitCast(SIG_IGN, to: Int.self))

        #expect(!shutdown.isRequested)
        #expect(!shutdown.wait(timeoutMilliseconds: 20))  // times out
        let woke = WakeResult()
        let waiter = RealtimeThread(name: "test-waiter") {
            woke.value.store(shutdown.wait(timeoutMilliseconds: 5000) ? 1 : 0, ordering: .releasing)
        }
        try waiter.start()
        // Test runner threads (Dispatch workers) block signals; unblock SIGTERM on this
        // thread only, so raise() delivers it here, synchronously, then restore the mask.
        var terminate = sigset_t()
        sigemptyset(&terminate)
        sigaddset(&terminate, SIGTERM)
        var previousMask = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &terminate, &previousMask)
        raise(SIGTERM)
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        #expect(shutdown.isRequested)
        #expect(shutdown.receivedSignal == SIGTERM)
        waiter.join()
        #expect(woke.value.load(ordering: .acquiring) == 1)
        shutdown.resetForTesting()
        #expect(!shutdown.isRequested)
    }

    @Test func requestBehavesLikeASignal() throws {
        let shutdown = ShutdownSignal.shared
        try shutdown.install(signals: [SIGTERM])
        shutdown.resetForTesting()
        shutdown.request(SIGINT)
        #expect(shutdown.wait(timeoutMilliseconds: 1000))
        #expect(shutdown.receivedSignal == SIGINT)
        shutdown.resetForTesting()
    }

    /// What the waiting thread saw: -1 not yet, 0 timed out, 1 woken by the signal.
    final class WakeResult: Sendable {
        let value = Atomic<Int>(-1)
    }
}
