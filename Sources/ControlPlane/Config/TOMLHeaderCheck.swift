/// toml++ 3 (inside TOMLKit, built with its assertions on) stops the process with a failed
/// assertion, instead of reporting a syntax error, on two shapes of invalid TOML (found by
/// fuzzing; showtelld aborted on such a config file):
/// - a table header whose key starts with a character no key can start with: `[ (`, `[[#`,
///   `[` alone on a line, also after the byte-order mark toml++ skips at the start of a file;
/// - a `}` where an array expects a value: `x = [}`, `x = [1, }`.
/// This scan finds them first (outside strings and comments) so they become ordinary syntax
/// errors naming the line.
enum TOMLHeaderCheck {
    /// The 1-based line of the first such construct and what is wrong there, or nil.
    static func abortingConstruct(in text: String) -> (line: Int, problem: String)? {
        let bytes = Array(text.utf8)
        var line = 1
        var lineStart = true  // only blanks so far on this line
        var previous: UInt8 = 0  // last significant byte outside strings and comments
        // toml++ skips a UTF-8 byte-order mark at the start; a header right after it is still
        // at the start of its line.
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        func at(_ k: Int) -> UInt8 { k < bytes.count ? bytes[k] : 0 }
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                lineStart = true
                i += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                i += 1
                continue
            case UInt8(ascii: "#"):
                while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                // Skip the string; `"""` / `'''` are multi-line, `"` strings have escapes.
                let triple = at(i + 1) == byte && at(i + 2) == byte
                i += triple ? 3 : 1
                while i < bytes.count {
                    if byte == UInt8(ascii: "\""), bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
                    if bytes[i] == UInt8(ascii: "\n") {
                        if !triple { break }
                        line += 1
                    }
                    if bytes[i] == byte, !triple || (at(i + 1) == byte && at(i + 2) == byte) {
                        i += triple ? 3 : 1
                        break
                    }
                    i += 1
                }
            case UInt8(ascii: "["):
                if lineStart, !headerKeyStartsWell(bytes, after: i) {
                    return (line, "a table header must be [section] with a letter, digit, _ or - after the '['")
                }
                i += 1
            case UInt8(ascii: "}"):
                if previous == UInt8(ascii: "[") || previous == UInt8(ascii: ",") {
                    return (line, "'}' where an array expects a value or ']'")
                }
                i += 1
            default:
                i += 1
            }
            previous = byte
            lineStart = false
        }
        return nil
    }

    /// After a header's `[` (or `[[`) and blanks: a bare key character, a quote, or the `]`
    /// that toml++ reports itself as an empty key.
    private static func headerKeyStartsWell(_ bytes: [UInt8], after open: Int) -> Bool {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        var rest = bytes[(open + 1)...].prefix { $0 != UInt8(ascii: "\n") }.drop(while: blank)
        if rest.first == UInt8(ascii: "[") { rest = rest.dropFirst().drop(while: blank) }
        guard let first = rest.first else { return false }
        switch first {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }
}
