import Testing
@testable import ControlPlane

@Suite struct WatchdogPingerTests {
    @Test func pingsOnlyWhenDueAndProgressing() {
        let second: Int64 = 1_000_000_000
        var pinger = WatchdogPinger(intervalNanoseconds: 2 * second, now: 0)
        func ping(_ progress: [UInt64], at now: Int64) -> Bool { pinger.shouldPing(progress: progress, now: now) }
        #expect(!ping([10, 10], at: second))          // not due
        #expect(ping([10, 10], at: 2 * second))       // first ping sets the baseline
        #expect(!ping([20, 20], at: 3 * second))      // not due
        #expect(ping([70, 69], at: 4 * second))       // both advanced
        #expect(!ping([130, 69], at: 6 * second))     // display stalled: no ping
        #expect(!ping([190, 69], at: 7 * second))
        #expect(ping([250, 70], at: 8 * second))      // recovered
    }

    @Test func offWithoutWatchdogUsec() throws {
        #expect(WatchdogPinger(notifier: try SystemdNotifier(environment: [:])) == nil)
        let pinger = WatchdogPinger(notifier: try SystemdNotifier(environment: ["WATCHDOG_USEC": "4000000"]))
        #expect(pinger?.intervalNanoseconds == 2_000_000_000)
    }
}
