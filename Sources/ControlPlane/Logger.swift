import Glibc
import Platform

/// syslog priorities, as journald reads them from a `<N>` line prefix on stdout.
public enum LogPriority: Int, Comparable, Sendable, CaseIterable {
    case emergency = 0, alert, critical, error, warning, notice, info, debug

    public static func < (lhs: LogPriority, rhs: LogPriority) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Structured event log: one line per event, `<priority>event key=value ...`, on stdout
/// (journald turns the prefix into PRIORITY=). Each line is one write(2) on fd 1, so lines
/// from several threads never interleave and none wait in a stdio buffer when the watchdog
/// kills the process. Allocates: control plane only, never the real-time loop.
public struct Logger: Sendable {
    public let minimumPriority: LogPriority
    private let output: @Sendable (String) -> Void

    /// Logs to stdout, which is also made line-buffered for any other writer (print).
    public init(minimumPriority: LogPriority = .info) {
        Self.makeStandardOutputLineBuffered()
        self.init(minimumPriority: minimumPriority, output: { Console.out($0) })
    }

    /// Logs to any sink (tests, a file).
    public init(minimumPriority: LogPriority, output: @escaping @Sendable (String) -> Void) {
        self.minimumPriority = minimumPriority
        self.output = output
    }

    public func log(_ priority: LogPriority, _ event: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        guard priority <= minimumPriority else { return }
        output(Self.format(priority, event, fields))
    }

    public func error(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.error, event, fields) }
    public func warning(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.warning, event, fields) }
    public func notice(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.notice, event, fields) }
    public func info(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.info, event, fields) }
    public func debug(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { log(.debug, event, fields) }

    /// `<6>event key=value key2="two words"\n`: values with spaces, quotes or `=` are quoted,
    /// newlines escaped, so one event is always one line; each value is capped at
    /// `maximumValueCharacters` so no value from outside can make a line huge.
    static let maximumValueCharacters = 1024

    static func format(_ priority: LogPriority, _ event: String, _ fields: KeyValuePairs<String, Any>) -> String {
        var line = "<\(priority.rawValue)>" + escapeNewlines(event)
        for (key, value) in fields {
            line += " " + key + "=" + quoteIfNeeded(String(describing: value).capped(maximumValueCharacters))
        }
        return line + "\n"
    }

    private static func escapeNewlines(_ text: String) -> String {
        guard text.contains(where: { $0 == "\n" || $0 == "\r" }) else { return text }
        return text.replacingAll("\n", with: "\\n").replacingAll("\r", with: "\\r")
    }

    private static func quoteIfNeeded(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\\" }
        guard needsQuotes else { return value }
        var quoted = "\""
        for character in value {
            switch character {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            default: quoted.append(character)
            }
        }
        return quoted + "\""
    }

    /// setvbuf(stdout, _IOLBF). Swift 6 rejects the C `stdout` global as shared mutable
    /// state, so its address comes from the dynamic linker instead.
    static func makeStandardOutputLineBuffered() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "stdout") else { return }  // RTLD_DEFAULT
        guard let stream = symbol.load(as: UnsafeMutablePointer<FILE>?.self) else { return }
        setvbuf(stream, nil, _IOLBF, 0)
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
