/// Everything wrong with a configuration, each problem naming where it is (file and line,
/// or the `--set` argument) and what to write instead, e.g.
/// `/etc/showtell/showtell.toml:4: video.width: expected an integer in 16...7680, found a string "wide"`.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public struct Problem: Sendable, Equatable {
        /// The config file, or the `--set ...` argument the value came from.
        public let source: String
        public let line: Int?
        /// `section.key`, `[section]`, or nil for a syntax error.
        public let key: String?
        public let message: String

        public var description: String {
            let location = line.map { "\(source):\($0)" } ?? source
            return key.map { "\(location): \($0): \(message)" } ?? "\(location): \(message)"
        }
    }

    public let problems: [Problem]

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
