/// Finds the line of a `[section]` header or a `key = ...` inside it, so schema errors can
/// name a line (the TOML parser reports positions for syntax errors only). Best effort:
/// plain and quoted keys under table headers, which is how the appliance's file is written.
struct KeyLocator {
    private var sectionLines: [String: Int] = [:]
    private var keyLines: [String: Int] = [:]  // "section.key"

    init(_ text: String) {
        var section = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.hasPrefix("[") && !line.hasPrefix("[[") {
                let inside = line.dropFirst().prefix(while: { $0 != "]" })
                section = Self.unquote(String(inside).trimmingWhitespace())
                if sectionLines[section] == nil { sectionLines[section] = index + 1 }
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = Self.unquote(String(line[..<equals]).trimmingWhitespace())
                let qualified = section.isEmpty ? key : section + "." + key
                if keyLines[qualified] == nil { keyLines[qualified] = index + 1 }
            }
        }
    }

    func line(section: String, key: String? = nil) -> Int? {
        if let key, let line = keyLines[section + "." + key] { return line }
        return sectionLines[section] ?? keyLines[section]
    }

    private static func unquote(_ text: String) -> String {
        if text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first {
            return String(text.dropFirst().dropLast())
        }
        return text
    }
}
