import Glibc
import Platform

/// Opening a display that may not be there yet. At boot the DRM driver can probe after the
/// daemon starts, and a monitor can be switched on after the box: failing at once would leave
/// `auto` on the null screen for good and make an explicit `drm` burn through systemd's
/// restart limit. So start-up retries for a bounded time while the error says "absent"
/// (no node, no device, no connected output); any other error (permission, not a KMS
/// device, unsupported format) is reported at once. One exception, found by the systemd
/// boot on the virtual board: a node that appears while the daemon waits belongs to root
/// until udev applies its rules a moment later, so a permission error right after an
/// absent one is waited out too.
enum DisplayWait {
    static let pollNanoseconds = 250_000_000

    static func isAbsent(_ error: SystemError) -> Bool { [ENOENT, ENODEV, ENXIO].contains(error.errno) }
    static func isDenied(_ error: SystemError) -> Bool { [EACCES, EPERM].contains(error.errno) }

    /// Returns what `attempt` opened, retrying absent-device errors for up to `seconds`;
    /// and permission errors after an absent one; throws the last error when the time is up
    /// or at once for other errors. `waiting` is told once, when the first attempt finds the
    /// display absent.
    static func open<Opened>(_ what: String, within seconds: Double, waiting: (String) -> Void,
                             _ attempt: () throws(SystemError) -> Opened) throws(SystemError) -> Opened {
        let deadline = MonotonicClock.nanoseconds() + Int64(seconds * 1e9)
        var told = false  // also: the display was absent at first
        while true {
            do { return try attempt() } catch {
                let settling = Self.isAbsent(error) || (told && Self.isDenied(error))  // udev still at work on a new node
                guard settling, MonotonicClock.nanoseconds() < deadline else { throw error }
                if !told {
                    waiting("waiting up to \(seconds) s for the display \(what): \(error)")
                    told = true
                }
                var pause = timespec(tv_sec: 0, tv_nsec: pollNanoseconds)
                nanosleep(&pause, nil)
            }
        }
    }
}
