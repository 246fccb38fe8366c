/// toml++ 3 (inside TOMLKit) stops the process with a failed assertion, instead of reporting a
/// syntax error, on a table header whose key starts with a character no key can start with:
/// `[ (`, `[[#`, `[` alone on a line (found by fuzzing; showtelld aborted on such a config).
/// Those lines are reported here before the text reaches the parser. A line inside a multi-line
/// string that looks the same is refused too (no key of this schema needs one); the error names
/// the line.
enum TOMLHeaderCheck {
    /// The 1-based line of the first such header, or nil.
    static func unparsableHeaderLine(in text: String) -> Int? {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        var number = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var rest = line.drop(while: blank)
            guard rest.first == UInt8(ascii: "[") else { continue }
            rest = rest.dropFirst().drop(while: blank)
            if rest.first == UInt8(ascii: "[") { rest = rest.dropFirst().drop(while: blank) }
            if let first = rest.first, canStartKey(first) { continue }
            return number
        }
        return nil
    }

    /// A bare key character (ASCII letter, digit, `_`, `-`), a quote, or the `]` that toml++
    /// reports itself as an empty key.
    private static func canStartKey(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }
}
