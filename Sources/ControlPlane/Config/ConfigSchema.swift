/// A scalar from the TOML file or a `--set` argument, before it is checked against the schema.
enum ConfigValue: Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// A table, array or date: never valid for a key of this schema.
    case unsupported(typeName: String)

    var description: String {
        switch self {
        case .string(let text): return "a string \"\(text.capped())\""
        case .integer(let number): return "an integer \(number)"
        case .float(let number): return "a float \(number)"
        case .boolean(let flag): return "a boolean \(flag)"
        case .unsupported(let typeName): return "a \(typeName)"
        }
    }
}

/// One key of the configuration: its name, what it accepts (worded for the error message)
/// and how it is stored.
struct ConfigKey: Sendable {
    let section: String
    let name: String
    let expected: String
    /// Stores the value, or returns false when it has the wrong type or is out of range.
    let assign: @Sendable (inout ApplianceConfig, ConfigValue) -> Bool
}

/// Every key the appliance reads, by section. Adding a setting means one line here plus its
/// field and default in `ApplianceConfig`.
enum ConfigSchema {
    static let keys: [ConfigKey] = [
        endpoint("video", "source", \.video.source, forms: ["v4l2:DEVICE", "replay:SESSION_DIR", "phantom:SEED"]),
        integer("video", "width", \.video.width, 16...7680),
        integer("video", "height", \.video.height, 16...4320),
        choice("video", "pixel_format", \.video.pixelFormat),
        integer("video", "fps", \.video.fps, 1...240),
        choice("video", "replay_pace", \.video.replayPace),
        boolean("video", "replay_loop", \.video.replayLoop),

        endpoint("audio", "source", \.audio.source, forms: ["alsa:PCM", "replay:SESSION_DIR", "phantom:SEED", "none"]),
        integer("audio", "rate", \.audio.rate, 8000...192_000),
        integer("audio", "period_ms", \.audio.periodMilliseconds, 1...100),
        integer("audio", "periods", \.audio.periods, 2...32),

        endpoint("display", "output", \.display.output,
                 forms: ["drm", "drm:DEVICE", "fbdev", "fbdev:DEVICE", "avi:PATH", "null", "auto"]),
        string("display", "record_path", \.display.recordPath),
        float("display", "wait_seconds", \.display.waitSeconds, 0...80),

        string("model", "bundle", \.model.bundle),
        integer("model", "threads", \.model.threads, 1...8),

        choice("loop", "window", \.loop.window),
        integer("loop", "audio_hop_ms", \.loop.audioHopMilliseconds, 10...1000),
        float("loop", "heatmap_alpha", \.loop.heatmapAlpha, 0...1),
        float("loop", "smoothing", \.loop.smoothing, 0...0.99),
        float("loop", "speaker_min_db", \.loop.speakerMinDB, 0...40),
        float("loop", "speaker_below_sonographer_db", \.loop.speakerBelowSonographerDB, 0...40),
        boolean("loop", "anatomy_gate", \.loop.anatomyGate),

        string("control", "socket", \.control.socket),
        string("control", "state_directory", \.control.stateDirectory),
        string("control", "metrics_textfile", \.control.metricsTextfile, allowEmpty: true),
        portOrNone("control", "metrics_port", \.control.metricsPort),

        integer("realtime", "fifo_priority", \.realtime.fifoPriority, 0...99),
        boolean("realtime", "mlockall", \.realtime.mlockall),

        string("recording", "sessions_dir", \.recording.sessionsDirectory),
        boolean("recording", "at_start", \.recording.atStart),
        integer("recording", "quota_mb", \.recording.quotaMegabytes, 1...100_000_000),
        integer("recording", "min_free_mb", \.recording.minFreeMegabytes, 0...100_000_000),
        integer("recording", "jpeg_quality", \.recording.jpegQuality, 10...100),
    ]

    /// Keys of earlier versions, with what to write instead (an unknown-key error says so).
    static let renamed: [String: String] = [
        "video.device": "video.source = \"v4l2:/dev/video0\"",
        "audio.device": "audio.source = \"alsa:hw:CARD=NAME\"",
        "display.backend": "display.output = \"drm\" (or fbdev, avi:PATH, null, auto)",
        "display.device": "display.output = \"drm:/dev/dri/card0\" (or fbdev:/dev/fb0)",
    ]

    static let sections: [String] = {
        var names: [String] = []
        for key in keys where !names.contains(key.section) { names.append(key.section) }
        return names
    }()

    static func key(section: String, name: String) -> ConfigKey? {
        keys.first { $0.section == section && $0.name == name }
    }

    static func names(in section: String) -> [String] {
        keys.filter { $0.section == section }.map(\.name)
    }

    // MARK: Key kinds.

    private static func string(_ section: String, _ name: String, _ field: WritableKeyPath<ApplianceConfig, String> & Sendable,
                               allowEmpty: Bool = false) -> ConfigKey {
        ConfigKey(section: section, name: name, expected: allowEmpty ? "a string" : "a non-empty string") { config, value in
            guard case .string(let text) = value, allowEmpty || !text.isEmpty else { return false }
            config[keyPath: field] = text
            return true
        }
    }

    /// An endpoint string: `forms` are the accepted shapes, where an upper-case word after
    /// `:` stands for any non-empty text and a form without `:` must match exactly. The full
    /// parse (and opening) happens in the appliance; this catches typos with a file:line.
    private static func endpoint(_ section: String, _ name: String, _ field: WritableKeyPath<ApplianceConfig, String> & Sendable,
                                 forms: [String]) -> ConfigKey {
        let expected = "an endpoint: " + forms.map { "\"\($0)\"" }.joined(separator: ", ")
        return ConfigKey(section: section, name: name, expected: expected) { config, value in
            guard case .string(let text) = value else { return false }
            let matches = forms.contains { form in
                guard let colon = form.firstIndex(of: ":") else { return text == form }
                let prefix = form[...colon]
                return text.hasPrefix(prefix) && text.count > prefix.count
            }
            guard matches else { return false }
            config[keyPath: field] = text
            return true
        }
    }

    private static func integer(_ section: String, _ name: String, _ field: WritableKeyPath<ApplianceConfig, Int> & Sendable,
                                _ range: ClosedRange<Int>) -> ConfigKey {
        ConfigKey(section: section, name: name, expected: "an integer in \(range.lowerBound)...\(range.upperBound)") { config, value in
            guard case .integer(let number) = value, range.contains(number) else { return false }
            config[keyPath: field] = number
            return true
        }
    }

    /// Accepts integers too: `heatmap_alpha = 1` means 1.0.
    private static func float(_ section: String, _ name: String, _ field: WritableKeyPath<ApplianceConfig, Double> & Sendable,
                              _ range: ClosedRange<Double>) -> ConfigKey {
        ConfigKey(section: section, name: name, expected: "a number in \(range.lowerBound)...\(range.upperBound)") { config, value in
            let number: Double
            switch value {
            case .float(let x): number = x
            case .integer(let n): number = Double(n)
            default: return false
            }
            guard range.contains(number) else { return false }
            config[keyPath: field] = number
            return true
        }
    }

    private static func boolean(_ section: String, _ name: String, _ field: WritableKeyPath<ApplianceConfig, Bool> & Sendable) -> ConfigKey {
        ConfigKey(section: section, name: name, expected: "true or false") { config, value in
            guard case .boolean(let flag) = value else { return false }
            config[keyPath: field] = flag
            return true
        }
    }

    private static func choice<Choice: RawRepresentable & CaseIterable & Sendable>(
        _ section: String, _ name: String, _ field: WritableKeyPath<ApplianceConfig, Choice> & Sendable
    ) -> ConfigKey where Choice.RawValue == String {
        let names = Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        return ConfigKey(section: section, name: name, expected: "one of \(names)") { config, value in
            guard case .string(let text) = value, let choice = Choice(rawValue: text) else { return false }
            config[keyPath: field] = choice
            return true
        }
    }

    private static func portOrNone(_ section: String, _ name: String, _ field: WritableKeyPath<ApplianceConfig, Int?> & Sendable) -> ConfigKey {
        ConfigKey(section: section, name: name, expected: "a port in 1...65535 or \"none\"") { config, value in
            switch value {
            case .string("none"): config[keyPath: field] = nil
            case .integer(let port) where (1...65535).contains(port): config[keyPath: field] = port
            default: return false
            }
            return true
        }
    }
}
