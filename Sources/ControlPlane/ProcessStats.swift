import Glibc
import Platform

/// CPU time and memory of this process (from /proc/self) and board temperatures (from
/// /sys/class/thermal, when the board has thermal zones). Read on the control thread.
public struct ProcessStats: Sendable, Codable, Equatable {
    public struct ThermalZone: Sendable, Codable, Equatable {
        public let zone: String   // thermal_zone0
        public let type: String   // x86_pkg_temp, cpu-thermal, ...
        public let celsius: Double
    }

    public var cpuSeconds: Double
    public var residentBytes: UInt64
    public var peakResidentBytes: UInt64
    public var thermalZones: [ThermalZone]

    /// Reads the current values; a file that cannot be read leaves its fields at 0.
    public static func read(thermalRoot: String = "/sys/class/thermal") -> ProcessStats {
        ProcessStats(
            cpuSeconds: cpuSeconds(stat: (try? readText("/proc/self/stat")) ?? ""),
            residentBytes: residentBytes(statm: (try? readText("/proc/self/statm")) ?? ""),
            peakResidentBytes: peakResidentBytes(status: (try? readText("/proc/self/status")) ?? ""),
            thermalZones: thermalZones(root: thermalRoot)
        )
    }

    /// utime + stime (fields 14 and 15) in clock ticks. The command name (field 2) may hold
    /// spaces and parentheses, so fields are counted after its last ')'.
    static func cpuSeconds(stat: String) -> Double {
        guard let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ticksPerSecond > 0 ? (user + system) / ticksPerSecond : 0
    }

    /// statm field 2: resident pages.
    static func residentBytes(statm: String) -> UInt64 {
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// `VmHWM:   12345 kB` in /proc/self/status: the peak resident set.
    static func peakResidentBytes(status: String) -> UInt64 {
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.count >= 2, let kilobytes = UInt64(parts[1]) { return kilobytes * 1024 }
        }
        return 0
    }

    static func thermalZones(root: String) -> [ThermalZone] {
        guard let directory = opendir(root) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasPrefix("thermal_zone") { names.append(name) }
        }
        return names.sorted().compactMap { name in
            // temp is in millidegrees Celsius; a zone whose sensor is asleep fails to read.
            guard let text = try? readText("\(root)/\(name)/temp"),
                  let millidegrees = Double(text.trimmingWhitespace()) else { return nil }
            let type = (try? readText("\(root)/\(name)/type"))?.trimmingWhitespace() ?? name
            return ThermalZone(zone: name, type: type, celsius: millidegrees / 1000)
        }
    }

    /// Reads a whole /proc or /sys file (their stat size is 0, so read until end of file).
    /// A /proc or /sys file (their size is 0 to stat, so read until end of file).
    public static func readText(_ path: String) throws(SystemError) -> String {
        let fd = try syscall("open", subject: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let count = try syscall("read", subject: path) { Glibc.read(fd, chunk.baseAddress, chunk.count) }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
