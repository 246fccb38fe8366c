import CSystemShims

/// CLOCK_MONOTONIC, the clock V4L2 buffer timestamps and ALSA htimestamps use.
/// (Swift's ContinuousClock reads CLOCK_BOOTTIME on Linux, which drifts from it after a suspend.)
public enum MonotonicClock {
    @inline(__always)
    public static func nanoseconds() -> Int64 { shim_monotonic_ns() }

    @inline(__always)
    public static func seconds() -> Double { Double(shim_monotonic_ns()) * 1e-9 }

    /// CPU time consumed by the calling thread, for per-core throughput figures.
    @inline(__always)
    public static func threadCPUNanoseconds() -> Int64 { shim_thread_cpu_ns() }
}
