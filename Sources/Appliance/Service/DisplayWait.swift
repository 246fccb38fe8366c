import Glibc
import Platform

/// Opening a display that may not be there yet. At boot the DRM driver can probe after the
/// daemon starts, and a monitor can be switched on after the box: failing at once would leave
/// `auto` on the null screen for good and make an explicit `drm` burn through systemd's
/// restart limit. So start-up retries for a bounded time while the error says "absent"
/// (no node, no device, no connected output); any other error (not a KMS device,
/// unsupported format) is reported at once. Permission errors, found by the systemd boot on
/// the virtual board: a node that appears belongs to root until udev applies its rules a
/// moment later, so a permission error right after an absent node is waited out for the
/// whole wait, and one on the first attempt (the node appeared just before the daemon
/// started) for a short grace, after which a real misconfiguration is reported.
enum DisplayWait {
    static let pollNanoseconds = 250_000_000
    /// How long a permission error on the first attempt is waited out (udev under emulation
    /// takes well under a second; a denied node stays denied).
    static let permissionGraceSeconds = 3.0

    static func isAbsent(_ error: SystemError) -> Bool { [ENOENT, ENODEV, ENXIO].contains(error.errno) }
    static func isDenied(_ error: SystemError) -> Bool { [EACCES, EPERM].contains(error.errno) }

    /// Returns what `attempt` opened, retrying absent-device errors for up to `seconds`, and
    /// permission errors after an absent one, or for `permissionGrace` seconds from the start;
    /// throws the last error when the time is up or at once for other errors. `waiting` is told
    /// once, when the display is first found absent or not yet accessible.
    static func open<Opened>(_ what: String, within seconds: Double, permissionGrace: Double = permissionGraceSeconds,
                             waiting: (String) -> Void,
                             _ attempt: () throws(SystemError) -> Opened) throws(SystemError) -> Opened {
        let start = MonotonicClock.nanoseconds()
        let deadline = start + Int64(seconds * 1e9), graceEnd = start + Int64(min(seconds, permissionGrace) * 1e9)
        var wasAbsent = false, told = false
        while true {
            do { return try attempt() } catch {
                let now = MonotonicClock.nanoseconds()
                wasAbsent = wasAbsent || Self.isAbsent(error)
                // udev may still be at work on a new node.
                let settling = Self.isAbsent(error) || (Self.isDenied(error) && (wasAbsent || now < graceEnd))
                guard settling, now < deadline else { throw error }
                if !told {
                    waiting("waiting up to \(Self.isAbsent(error) ? seconds : min(seconds, permissionGrace)) s for the display \(what): \(error)")
                    told = true
                }
                var pause = timespec(tv_sec: 0, tv_nsec: pollNanoseconds)
                nanosleep(&pause, nil)
            }
        }
    }
}
