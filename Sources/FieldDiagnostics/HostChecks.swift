import ControlPlane
import CSystemShims
import Glibc
import Platform

/// Checks of the box itself: CPU, disk, clock, temperature. Each reads the kernel's own
/// interfaces (/proc, statvfs, adjtimex, /sys/class/thermal), so they run anywhere.
public enum HostChecks {
    /// Free space below this stops session recording (recording.min_free_mb, its owner) and
    /// fails the self-test; below `warnFreeBytes` the self-test warns.
    public static let minimumFreeBytes = UInt64(ApplianceConfig().recording.minFreeMegabytes) << 20
    public static let warnFreeBytes: UInt64 = 2 << 30

    /// CPU model and the instruction-set features the kernels use.
    public static func cpu(cpuinfo: String? = try? ProcessStats.readText("/proc/cpuinfo")) -> Check {
        guard let cpuinfo else { return Check("cpu", .warn, "cannot read /proc/cpuinfo", remedy: "is /proc mounted?") }
        let features = CPUFeatures(cpuinfo: cpuinfo)
        let model = features.model.isEmpty ? "unknown CPU" : features.model
        let listed = features.relevant.isEmpty ? "no SIMD features recognised" : features.relevant.joined(separator: " ")
        let detail = "\(model), \(features.logicalCPUs) logical CPU(s), \(listed)"
        if features.isX86 && !features.flags.contains("avx2") {
            return Check("cpu", .warn, detail, remedy: "no AVX2: the float kernels run generic SSE code, 3-4x slower; the edge model may not keep 30 fps")
        }
        return Check("cpu", .pass, detail)
    }

    /// Free space where the appliance writes (state, recordings, metrics).
    public static func disk(path: String) -> Check {
        var existing = path
        while !FileIO.exists(existing), let slash = existing.lastIndex(of: "/"), existing != "/" {
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
        guard let free = DiskSpace.freeBytes(existing) else {
            return Check("disk", .fail, "cannot statvfs \(existing)", remedy: "is the filesystem mounted?")
        }
        let detail = "\(DiskSpace.describe(free)) free on \(existing)" + (existing == path ? "" : " (\(path) does not exist yet)")
        if free < minimumFreeBytes {
            return Check("disk", .fail, detail, remedy: "below \(DiskSpace.describe(minimumFreeBytes)): recordings are refused; delete old sessions under /var/lib/showtell or make room")
        }
        if free < warnFreeBytes {
            return Check("disk", .warn, detail, remedy: "below \(DiskSpace.describe(warnFreeBytes)): session recordings will soon be refused")
        }
        return Check("disk", .pass, detail)
    }

    /// The kernel's NTP state (adjtimex): recordings and logs need a true clock.
    public static func timeSync() -> Check {
        var esterror = 0
        let state = shim_clock_synchronised(&esterror)
        if state < 0 { return Check("time-sync", .warn, "adjtimex failed (errno \(errno))", remedy: "check with timedatectl") }
        if state == 0 {
            return Check("time-sync", .warn, "the system clock is not synchronised (adjtimex: STA_UNSYNC)",
                         remedy: "enable a time service (systemd-timesyncd or chrony) and network time; timedatectl show")
        }
        return Check("time-sync", .pass, "synchronised, estimated error \(esterror) us")
    }

    /// Board temperatures: WARN from 80 °C, FAIL from 95 °C (throttling, then shutdown).
    public static func temperature(thermalRoot: String = "/sys/class/thermal") -> Check {
        let zones = ProcessStats.read(thermalRoot: thermalRoot).thermalZones
        guard let hottest = zones.max(by: { $0.celsius < $1.celsius }) else {
            return Check("temperature", .warn, "no thermal zones under \(thermalRoot) (a virtual machine has none)",
                         remedy: "on a real board, check that the SoC's thermal driver is loaded")
        }
        let detail = zones.map { "\($0.type) \(String(format1: $0.celsius)) °C" }.joined(separator: ", ")
        if hottest.celsius >= 95 { return Check("temperature", .fail, detail, remedy: "\(hottest.type) is overheating: check the fan, airflow and enclosure") }
        if hottest.celsius >= 80 { return Check("temperature", .warn, detail, remedy: "\(hottest.type) is hot: the CPU may throttle; check the fan and airflow") }
        return Check("temperature", .pass, detail)
    }
}

/// What /proc/cpuinfo says about the CPU.
public struct CPUFeatures: Sendable, Equatable {
    public var model = ""
    public var flags: Set<String> = []
    public var logicalCPUs = 0
    public var isX86: Bool { flags.contains("sse2") }

    /// The features the float and int8 kernels care about, in a fixed order.
    public static let interesting = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8",
                                     "asimd", "asimddp", "i8mm", "sve", "fphp", "asimdhp"]
    public var relevant: [String] { Self.interesting.filter(flags.contains) }

    public init(cpuinfo: String) {
        for line in cpuinfo.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(), value = line[line.index(after: colon)...].trimmingCharacters()
            switch key {
            case "processor": logicalCPUs += 1
            case "model name", "Model": if model.isEmpty { model = value }
            case "flags", "Features": if flags.isEmpty { flags = Set(value.split(separator: " ").map(String.init)) }
            default: break
            }
        }
    }
}

/// Free space of a filesystem (statvfs, as an unprivileged user sees it).
public enum DiskSpace {
    public static func freeBytes(_ path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    public static func describe(_ bytes: UInt64) -> String {
        bytes >= 1 << 30 ? "\(String(format1: Double(bytes) / Double(1 << 30))) GiB" : "\(bytes >> 20) MiB"
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

extension String {
    /// One decimal, without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths < 0 ? "-" : "")\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}
