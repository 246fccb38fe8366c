import Platform

/// Sends `WATCHDOG=1` at the interval systemd asked for, but only while the appliance makes
/// progress: each ping needs every progress counter (say frames captured and frames shown,
/// or per-thread heartbeats) to have advanced since the previous ping. A stalled loop then
/// stops the pings and systemd restarts the service. Control thread only.
public struct WatchdogPinger: Sendable {
    public let intervalNanoseconds: Int64
    private var lastPing: Int64
    private var lastProgress: [UInt64] = []

    /// nil when the watchdog is off (no `WATCHDOG_USEC`, or it is meant for another process).
    public init?(notifier: SystemdNotifier, now: Int64 = MonotonicClock.nanoseconds()) {
        guard let interval = notifier.watchdogPingIntervalNanoseconds else { return nil }
        self.init(intervalNanoseconds: interval, now: now)
    }

    public init(intervalNanoseconds: Int64, now: Int64 = MonotonicClock.nanoseconds()) {
        self.intervalNanoseconds = intervalNanoseconds
        lastPing = now
    }

    /// Call often (e.g. every 100 ms); returns true when a ping is due now and the counters
    /// show progress, in which case the caller sends `notifier.watchdog()`.
    public mutating func shouldPing(progress: [UInt64], now: Int64 = MonotonicClock.nanoseconds()) -> Bool {
        guard now - lastPing >= intervalNanoseconds else { return false }
        let advanced = lastProgress.count != progress.count
            || zip(lastProgress, progress).allSatisfy { previous, current in current > previous }
        guard advanced else { return false }
        lastPing = now
        lastProgress = progress
        return true
    }
}
