/// A small checker for the Prometheus text exposition format (0.0.4), strict enough to catch
/// what breaks a scrape or node_exporter's textfile collector: comment syntax, metric and
/// label names, label escaping, float values, a TYPE before its samples, one family per
/// block, counter and summary naming, no timestamps, final newline.
struct ExpositionChecker {
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    private(set) var samples: [Sample] = []
    private(set) var types: [String: String] = [:]
    private(set) var helps: [String: String] = [:]

    /// Returns the problems found, one per offending line ("line N: ...").
    mutating func check(_ text: String) -> [String] {
        var problems: [String] = []
        if !text.hasSuffix("\n") { problems.append("no final newline") }
        var finishedFamilies: Set<String> = []
        var currentFamily: String?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = index + 1
            func fail(_ message: String) { problems.append("line \(number): \(message): \(line)") }
            if line.isEmpty { fail("empty line"); continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 3, parts[0] == "#", parts[1] == "HELP" || parts[1] == "TYPE" else {
                    fail("comment is neither # HELP nor # TYPE"); continue
                }
                let name = parts[2]
                if !Self.isMetricName(name) { fail("bad metric name") }
                if name != currentFamily {
                    if finishedFamilies.contains(name) { fail("family \(name) appears twice") }
                    if let currentFamily { finishedFamilies.insert(currentFamily) }
                    currentFamily = name
                }
                if parts[1] == "HELP" {
                    if helps[name] != nil { fail("second HELP") }
                    helps[name] = parts.count > 3 ? parts[3] : ""
                } else {
                    guard parts.count == 4, ["counter", "gauge", "summary", "histogram", "untyped"].contains(parts[3]) else {
                        fail("bad TYPE"); continue
                    }
                    if types[name] != nil { fail("second TYPE") }
                    if samples.contains(where: { Self.family(of: $0.name, types: [name: parts[3]]) == name }) {
                        fail("TYPE after samples")
                    }
                    types[name] = parts[3]
                }
                continue
            }
            guard let sample = Self.parseSample(String(line)) else { fail("unparsable sample"); continue }
            let family = Self.family(of: sample.name, types: types)
            guard let type = types[family] else { fail("sample without TYPE"); continue }
            if family != currentFamily { fail("sample outside its family block") }
            switch type {
            case "counter":
                if !sample.name.hasSuffix("_total") { fail("counter not named _total") }
                if !(sample.value >= 0) { fail("negative or NaN counter") }
            case "summary":
                if sample.name == family {
                    guard let quantile = sample.labels["quantile"].flatMap(Double.init), (0...1).contains(quantile) else {
                        fail("summary sample without quantile in 0...1"); continue
                    }
                } else if sample.labels["quantile"] != nil {
                    fail("quantile label on _sum/_count")
                }
            default:
                break
            }
            if samples.contains(where: { $0.name == sample.name && $0.labels == sample.labels }) { fail("duplicate series") }
            samples.append(sample)
        }
        return problems
    }

    /// `name{a="x",b="y"} value` with no timestamp.
    static func parseSample(_ line: String) -> Sample? {
        var rest = Substring(line)
        let name = rest.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
        guard isMetricName(String(name)) else { return nil }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = rest.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" })
                guard !labelName.isEmpty, labelName.first!.isLetter || labelName.first == "_" else { return nil }
                rest = rest.dropFirst(labelName.count)
                guard rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { return nil }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: return nil
                        }
                    } else if character == "\n" {
                        return nil
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"", labels[String(labelName)] == nil else { return nil }
                labels[String(labelName)] = value
                rest = rest.dropFirst()
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { return nil }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { return nil }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 1, let value = parseValue(String(fields[0])) else { return nil }  // no timestamp
        return Sample(name: String(name), labels: labels, value: value)
    }

    static func parseValue(_ text: String) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return text.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }) ? nil : Double(text)
        }
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    /// The family a sample belongs to: summaries and histograms own their `_sum`/`_count`/`_bucket`.
    static func family(of name: String, types: [String: String]) -> String {
        for suffix in ["_sum", "_count", "_bucket"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let type = types[base], type == "summary" || type == "histogram" { return base }
        }
        return name
    }
}
