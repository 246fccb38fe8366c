import Glibc
import Platform
import TOMLKit

extension ApplianceConfig {
    /// Reads `path` (TOML), then applies `overrides` (`section.key=value`, from `--set`) in
    /// order. A missing file is an error unless `fileIsOptional`, then the defaults apply.
    /// Unknown sections or keys, wrong types and out-of-range values are all errors, reported
    /// together.
    public static func load(path: String = defaultPath, overrides: [String] = [],
                            fileIsOptional: Bool = false) throws(ConfigError) -> ApplianceConfig {
        let text: String
        do {
            text = String(decoding: try FileIO.readAll(path), as: UTF8.self)
        } catch {
            if fileIsOptional && error.errno == ENOENT {
                text = ""
            } else {
                throw ConfigError(problems: [.init(source: path, line: nil, key: nil,
                                                   message: "cannot read the config file: \(error)")])
            }
        }
        return try parse(text, source: path, overrides: overrides)
    }

    /// Parses TOML text; `source` names it in errors (the file path).
    public static func parse(_ text: String, source: String, overrides: [String] = []) throws(ConfigError) -> ApplianceConfig {
        var config = ApplianceConfig()
        if let found = TOMLHeaderCheck.abortingConstruct(in: text) {
            throw ConfigError(problems: [.init(source: source, line: found.line, key: nil, message: "TOML syntax: \(found.problem)")])
        }
        var problems = config.apply(toml: text, source: source)
        for override in overrides {
            problems += config.apply(override: override)
        }
        problems += config.crossCheck()
        if !problems.isEmpty { throw ConfigError(problems: problems) }
        return config
    }

    /// Applies one `section.key=value`. The value is read as a TOML value (`640`, `true`,
    /// `0.4`, `"text"`); text that is not TOML, or where the key wants a string, is taken as
    /// the raw string, so `--set video.source=replay:/data/session` needs no quotes.
    public mutating func applyOverride(_ assignment: String) throws(ConfigError) {
        let problems = apply(override: assignment)
        if !problems.isEmpty { throw ConfigError(problems: problems) }
    }

    // MARK: Internals.

    private mutating func apply(toml text: String, source: String) -> [ConfigError.Problem] {
        // The TOML parser reads a C string: everything after a NUL byte (unknown keys and
        // bad values included) would be silently ignored.
        if let nul = text.utf8.firstIndex(of: 0) {
            let line = text.utf8[..<nul].reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            return [.init(source: source, line: line, key: nil,
                          message: "a NUL byte: the file is binary or damaged (nothing after it could be read); remove it")]
        }
        let document: TOMLTable
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            return [.init(source: source, line: error.source.begin.line, key: nil, message: "TOML syntax: \(error.description)")]
        } catch {
            return [.init(source: source, line: nil, key: nil, message: "TOML syntax: \(error)")]
        }
        let locator = KeyLocator(text)
        var problems: [ConfigError.Problem] = []
        for (sectionName, sectionValue) in document {
            guard ConfigSchema.sections.contains(sectionName) else {
                problems.append(.init(source: source, line: locator.line(section: sectionName), key: "[\(sectionName)]",
                                      message: "unknown section; known sections: \(ConfigSchema.sections.joined(separator: ", "))"))
                continue
            }
            guard let section = sectionValue.table else {
                problems.append(.init(source: source, line: locator.line(section: sectionName), key: sectionName,
                                      message: "expected a table [\(sectionName)], found \(Self.value(of: sectionValue).description)"))
                continue
            }
            for (keyName, value) in section {
                let where_ = locator.line(section: sectionName, key: keyName)
                if let problem = assign(section: sectionName, key: keyName, value: Self.value(of: value),
                                        source: source, line: where_) {
                    problems.append(problem)
                }
            }
        }
        return problems
    }

    private mutating func apply(override assignment: String) -> [ConfigError.Problem] {
        let source = "--set \(assignment.capped())"
        guard let equals = assignment.firstIndex(of: "=") else {
            return [.init(source: source, line: nil, key: nil, message: "expected section.key=value")]
        }
        let path = assignment[..<equals].split(separator: ".", omittingEmptySubsequences: false)
        let rawValue = String(assignment[assignment.index(after: equals)...])
        guard path.count == 2, !path[0].isEmpty, !path[1].isEmpty else {
            return [.init(source: source, line: nil, key: nil, message: "expected section.key=value")]
        }
        let (section, key) = (String(path[0]), String(path[1]))
        // The TOML reading first (640 is an integer), then the raw text as a string.
        var candidates: [ConfigValue] = [.string(rawValue)]
        if let parsed = Self.parseScalar(rawValue) { candidates.insert(parsed, at: 0) }
        for candidate in candidates {
            var trial = self
            if trial.assign(section: section, key: key, value: candidate, source: source, line: nil) == nil {
                self = trial
                return []
            }
        }
        return assign(section: section, key: key, value: candidates[0], source: source, line: nil).map { [$0] } ?? []
    }

    /// Stores one value, or describes what is wrong with it.
    private mutating func assign(section: String, key: String, value: ConfigValue,
                                 source: String, line: Int?) -> ConfigError.Problem? {
        guard ConfigSchema.sections.contains(section) else {
            return .init(source: source, line: line, key: "[\(section)]",
                         message: "unknown section; known sections: \(ConfigSchema.sections.joined(separator: ", "))")
        }
        guard let spec = ConfigSchema.key(section: section, name: key) else {
            if let replacement = ConfigSchema.renamed["\(section).\(key)"] {
                return .init(source: source, line: line, key: "\(section).\(key)",
                             message: "no longer a key; write \(replacement)")
            }
            return .init(source: source, line: line, key: "\(section).\(key)",
                         message: "unknown key; keys of [\(section)]: \(ConfigSchema.names(in: section).joined(separator: ", "))")
        }
        guard spec.assign(&self, value) else {
            return .init(source: source, line: line, key: "\(section).\(key)",
                         message: "expected \(spec.expected), found \(value.description)")
        }
        return nil
    }

    /// Rules that involve more than one key.
    private func crossCheck() -> [ConfigError.Problem] {
        var problems: [ConfigError.Problem] = []
        if loop.audioHopMilliseconds < audio.periodMilliseconds {
            problems.append(.init(source: "configuration", line: nil, key: "loop.audio_hop_ms",
                                  message: "must be at least audio.period_ms (\(audio.periodMilliseconds))"))
        }
        return problems
    }

    /// `value = <text>` through the TOML parser: a TOML scalar, or nil when it is not one.
    private static func parseScalar(_ text: String) -> ConfigValue? {
        let document = "value = " + text
        guard !text.contains("\n"), TOMLHeaderCheck.abortingConstruct(in: document) == nil, let table = try? TOMLTable(string: document),
              let value = table["value"] else { return nil }
        return withExtendedLifetime(table) { Self.value(of: value) }
    }

    private static func value(of node: TOMLValueConvertible) -> ConfigValue {
        switch node.type {
        case .string: return node.string.map(ConfigValue.string) ?? .unsupported(typeName: "string")
        case .int: return node.int.map(ConfigValue.integer) ?? .unsupported(typeName: "integer")
        case .double: return node.double.map(ConfigValue.float) ?? .unsupported(typeName: "float")
        case .bool: return node.bool.map(ConfigValue.boolean) ?? .unsupported(typeName: "boolean")
        case .table: return .unsupported(typeName: "table")
        case .array: return .unsupported(typeName: "array")
        case .date, .time, .dateTime: return .unsupported(typeName: "date/time")
        }
    }
}

