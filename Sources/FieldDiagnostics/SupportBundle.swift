import ControlPlane
import Foundation
import Platform

/// `showtell support-bundle`: what a field engineer sends back when a box misbehaves, as one
/// .tar.gz: configuration, versions, devices, self-test, the unit's recent journal, metrics,
/// the daemon's status and the last snapshot of the screen. Recordings (patients' video and
/// audio) stay out unless `includeRecordings` is set.
public enum SupportBundle {
    public struct Options: Sendable {
        public var output: String
        public var configPath = ApplianceConfig.defaultPath
        public var journalLines = 2000
        public var unit = "showtelld.service"
        public var includeSnapshot = true
        public var includeRecordings = false
        public init(output: String) { self.output = output }
    }

    /// One entry of the bundle and where it came from (or why it is missing).
    public struct Entry: Codable, Sendable {
        public var file: String
        public var note: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Parts the caller produces (they live in the CLI's commands): JSON texts.
    public struct Parts: Sendable {
        public var version: String
        public var devicesJSON: String
        public var selftestJSON: String
        public var selftestText: String
        /// The daemon's status JSON, or why it could not be asked.
        public var status: Result<String, Failure>
        public init(version: String, devicesJSON: String, selftestJSON: String, selftestText: String, status: Result<String, Failure>) {
            (self.version, self.devicesJSON, self.selftestJSON, self.selftestText, self.status) = (version, devicesJSON, selftestJSON, selftestText, status)
        }
    }

    /// Writes the bundle (atomically: a temporary name, then rename) and lists its entries.
    public static func write(_ options: Options, parts: Parts) throws(Failure) -> [Entry] {
        let folder = options.output.deletingLastComponent()
        guard access(folder, W_OK) == 0 else {
            throw Failure(description: "cannot write \(options.output): the folder \(folder) does not exist or is not writable (\(String(cString: strerror(errno))))")
        }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let name = "showtell-support-\(hostName())-\(stamp)"
        let scratch = NSTemporaryDirectory() + "/\(name)-\(getpid())"
        let root = scratch + "/" + name
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var entries: [Entry] = []
        func put(_ file: String, _ text: String, _ note: String) throws(Failure) {
            do { try FileIO.writeAtomically(root + "/" + file, Array(text.utf8)) } catch { throw Failure(description: "cannot write \(root)/\(file): \(error)") }
            entries.append(Entry(file: file, note: note))
        }
        func copy(_ source: String, as file: String, _ note: String) throws(Failure) {
            do {
                try FileIO.makeDirectories((root + "/" + file).deletingLastComponent())
                try FileManager.default.copyItem(atPath: source, toPath: root + "/" + file)
                entries.append(Entry(file: file, note: note))
            } catch { entries.append(Entry(file: file, note: "not included: \(source): \(error.localizedDescription)")) }
        }
        do { try FileIO.makeDirectories(root) } catch { throw Failure(description: "cannot create \(root): \(error); check TMPDIR") }

        try put("versions.txt", versions(parts.version), "showtell, package, kernel, OS, model manifest")
        let config = (try? ApplianceConfig.load(path: options.configPath)) ?? ApplianceConfig()
        if FileIO.exists(options.configPath) {
            try copy(options.configPath, as: "config/showtell.toml", "the configuration file as installed")
        } else {
            entries.append(Entry(file: "config/showtell.toml", note: "not included: \(options.configPath) does not exist (built-in defaults apply)"))
        }
        for dropIn in (try? FileManager.default.contentsOfDirectory(atPath: "/etc/systemd/system/\(options.unit).d")) ?? [] {
            try copy("/etc/systemd/system/\(options.unit).d/\(dropIn)", as: "config/\(options.unit).d/\(dropIn)", "systemd drop-in")
        }
        try put("devices.json", parts.devicesJSON + "\n", "showtell devices --json")
        try put("selftest.json", parts.selftestJSON + "\n", "showtell selftest --json")
        try put("selftest.txt", parts.selftestText + "\n", "showtell selftest")
        switch parts.status {
        case .success(let json): try put("status.json", json + "\n", "showtell status --json (the running daemon)")
        case .failure(let failure): entries.append(Entry(file: "status.json", note: "not included: \(failure.description)"))
        }
        let journal = journalLines(unit: options.unit, lines: options.journalLines)
        try put("journal.txt", journal.text, journal.note)
        if FileIO.exists(config.control.metricsTextfile) {
            try copy(config.control.metricsTextfile, as: "metrics/showtell.prom", "control.metrics_textfile")
        } else {
            entries.append(Entry(file: "metrics/showtell.prom", note: "not included: \(config.control.metricsTextfile) does not exist (daemon not run yet?)"))
        }
        let recordings = config.display.recordPath.deletingLastComponent()
        if options.includeSnapshot {
            if let last = newest(in: recordings, prefix: "snapshot-", suffix: ".png") {
                try copy(recordings + "/" + last, as: "snapshot/" + last, "the last screen snapshot (showtell control snapshot)")
            } else {
                entries.append(Entry(file: "snapshot/", note: "not included: no snapshot-*.png in \(recordings)"))
            }
        }
        if options.includeRecordings {
            for file in (try? FileManager.default.subpathsOfDirectory(atPath: recordings)) ?? [] where file.hasSuffix(".avi") || file.hasSuffix(".wav") || file.hasSuffix(".json") || file.hasSuffix(".jsonl") {
                try copy(recordings + "/" + file, as: "recordings/" + file, "recording (included on request: --include-recordings)")
            }
        } else {
            entries.append(Entry(file: "recordings/", note: "not included: patients' video and audio stay on the box unless --include-recordings"))
        }
        let index = entries.map { "\($0.file)\t\($0.note)" }.joined(separator: "\n") + "\n"
        try put("INDEX.txt", index, "this list")

        let partial = options.output + ".partial"
        let tar = run("/bin/tar", ["-czf", partial, "-C", scratch, name])
        guard tar.status == 0 else {
            try? FileManager.default.removeItem(atPath: partial)
            throw Failure(description: "tar -czf \(options.output) failed: \(tar.output.trimmingCharacters(in: .whitespacesAndNewlines)); check that the folder exists and is writable and the disk has room")
        }
        guard rename(partial, options.output) == 0 else {
            throw Failure(description: "cannot rename \(partial) to \(options.output): \(String(cString: strerror(errno)))")
        }
        return entries
    }

    static func versions(_ version: String) -> String {
        var lines = ["showtell \(version)"]
        let package = run("/usr/bin/dpkg-query", ["-W", "-f=${Package} ${Version} ${Architecture}\\n", "showtell"])
        lines.append("package: " + (package.status == 0 ? package.output.trimmingCharacters(in: .whitespacesAndNewlines) : "showtell is not installed as a Debian package"))
        var name = utsname()
        uname(&name)
        func field<T>(_ value: T) -> String { withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
        lines.append("kernel: \(field(name.sysname)) \(field(name.release)) \(field(name.version)) \(field(name.machine))")
        if let os = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) {
            lines.append("os: " + (os.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }.map { String($0.dropFirst(12)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "unknown"))
        }
        lines.append("uptime: " + ((try? String(contentsOfFile: "/proc/uptime", encoding: .utf8))?.split(separator: " ").first.map { "\($0) s" } ?? "unknown"))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The unit's recent journal, one line per entry with its syslog priority (journald keeps
    /// the `<N>` prefixes the daemon writes as PRIORITY): `2026-11-30T21:00:00.123Z <5> ready ...`.
    static func journalLines(unit: String, lines: Int) -> (text: String, note: String) {
        let journalctl = ["/usr/bin/journalctl", "/bin/journalctl"].first(where: FileIO.exists)
        guard let journalctl else { return ("journalctl is not installed on this machine\n", "no journal (journalctl missing)") }
        let result = run(journalctl, ["-u", unit, "-n", "\(lines)", "--no-pager", "-o", "json", "--output-fields=PRIORITY,MESSAGE"])
        if result.status != 0 { return ("journalctl failed: \(result.output)\n", "journalctl -u \(unit) failed (exit \(result.status))") }
        var text = ""
        for line in result.output.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { text += line + "\n"; continue }
            let micros = Double(object["__REALTIME_TIMESTAMP"] as? String ?? "") ?? 0
            let time = ISO8601DateFormatter.withFraction.string(from: Date(timeIntervalSince1970: micros / 1e6))
            let message = object["MESSAGE"] as? String ?? "(binary message)"
            text += "\(time) <\(object["PRIORITY"] as? String ?? "?")> \(message)\n"
        }
        if text.isEmpty { text = "(no journal entries for \(unit))\n" }
        return (text, "journalctl -u \(unit) -n \(lines), with priorities <0>..<7>")
    }

    private static func newest(in directory: String, prefix: String, suffix: String) -> String? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }
        return names.max { modified(directory + "/" + $0) < modified(directory + "/" + $1) }
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(cString: buffer)
    }

    /// Runs a program and returns its exit status and combined output.
    static func run(_ program: String, _ arguments: [String]) -> (status: Int32, output: String) {
        guard FileIO.exists(program) else { return (127, "\(program) not found") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (127, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let withFraction: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}

extension String {
    func deletingLastComponent() -> String {
        guard let slash = lastIndex(of: "/") else { return "." }
        return slash == startIndex ? "/" : String(self[..<slash])
    }
}
