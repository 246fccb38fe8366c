/// Builds the Prometheus text exposition format (version 0.0.4): per metric family a
/// `# HELP` and `# TYPE` line, then its samples, all of one family together. No timestamps:
/// node_exporter's textfile collector rejects them.
struct PrometheusText {
    enum Kind: String { case counter, gauge, summary }

    private(set) var text = ""

    mutating func family(_ name: String, _ kind: Kind, help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        text += name + Self.labelSet(labels) + " " + Self.format(value) + "\n"
    }

    mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: UInt64) {
        text += name + Self.labelSet(labels) + " " + String(value) + "\n"
    }

    /// One summary series: quantile 0.5, 0.99 and 1 (the maximum), `_sum` and `_count`.
    mutating func summary(_ name: String, labels: [(String, String)] = [], _ latency: LatencySummary) {
        var base = labels
        for (quantile, value) in [("0.5", latency.p50Seconds), ("0.99", latency.p99Seconds), ("1", latency.maxSeconds)] {
            base.append(("quantile", quantile))
            text += name + Self.labelSet(base) + " " + Self.format(value ?? .nan) + "\n"
            base.removeLast()
        }
        sample(name + "_sum", labels: labels, latency.sumSeconds)
        sample(name + "_count", labels: labels, latency.count)
    }

    private static func labelSet(_ labels: [(String, String)]) -> String {
        if labels.isEmpty { return "" }
        return "{" + labels.map { $0.0 + "=\"" + escapeLabel($0.1) + "\"" }.joined(separator: ",") + "}"
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func escapeHelp(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    private static func escapeLabel(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\"": result += "\\\""
            default: result.append(character)
            }
        }
        return result
    }
}
