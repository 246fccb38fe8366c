import ControlPlane

/// `showtelld [--config PATH] [--set section.key=value ...] [--stats] [--duration SECONDS]`,
/// parsed by hand: the daemon has four flags and no subcommands.
public struct DaemonOptions: Sendable, Equatable {
    /// The config file; `configIsExplicit` is false when it is the default path, which may
    /// then be missing (built-in defaults apply). An explicit file must exist.
    public var configPath = ApplianceConfig.defaultPath
    public var configIsExplicit = false
    public var overrides: [String] = []
    /// One line per second on stderr: fps, drops, latency, speech, CPU, RSS.
    public var stats = false
    /// Stop (exit 0) after this many seconds; nil: run until SIGTERM (or a replay ends).
    public var durationSeconds: Double?

    public static let usage = """
        usage: showtelld [--config PATH] [--set section.key=value ...] [--stats] [--duration SECONDS]
          --config PATH        TOML configuration (default \(ApplianceConfig.defaultPath); if that
                               default is missing, built-in defaults apply)
          --set KEY=VALUE      override one key, e.g. --set video.source=replay:/data/session1
                               (repeatable; applied after the file, in order)
          --stats              print one line of statistics per second on stderr
          --duration SECONDS   stop SECONDS after READY (demos, tests)
          --help               this text

        """

    public init() {}

    /// Parses `arguments` (without the program name). `--help` throws `.help`.
    public init(arguments: [String]) throws(DaemonOptionsError) {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            // `--flag=value` spelling too.
            var flag = argument, inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            // The value: after `=`, or the next argument.
            var value: String? = inline
            if value == nil, ["--config", "-c", "--set", "--duration"].contains(flag) {
                guard let next = rest.popFirst() else { throw .missingValue(flag) }
                value = next
            }
            switch flag {
            case "--config", "-c":
                configPath = value!
                configIsExplicit = true
            case "--set":
                overrides.append(value!)
            case "--stats":
                stats = true
            case "--duration":
                let text = value!
                guard let seconds = Double(text), seconds > 0 else { throw .badValue(flag, text, "a positive number of seconds") }
                durationSeconds = seconds
            case "--help", "-h":
                throw .help
            default:
                throw .unknown(argument)
            }
        }
    }
}

public enum DaemonOptionsError: Error, Equatable, CustomStringConvertible {
    case help
    case missingValue(String)
    case badValue(String, String, String)
    case unknown(String)

    public var description: String {
        switch self {
        case .help: return DaemonOptions.usage
        case .missingValue(let flag): return "\(flag) needs a value\n" + DaemonOptions.usage
        case .badValue(let flag, let text, let expected): return "\(flag) \(text): expected \(expected)"
        case .unknown(let argument): return "unknown argument \"\(argument)\"\n" + DaemonOptions.usage
        }
    }
}
