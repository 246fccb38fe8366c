extension StringProtocol {
    /// Without leading and trailing spaces, tabs and line breaks (no Foundation needed).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

extension String {
    /// At most `limit` characters, with how much was left out: values from outside (a
    /// config string, a `--set` argument, a path) are echoed in logs and errors, and a 10 MB
    /// value must not become a 10 MB log line.
    func capped(_ limit: Int = 256) -> String {
        guard utf8.count > limit else { return self }
        let kept = String(prefix(limit))
        return kept + "…(\(utf8.count - kept.utf8.count) more bytes)"
    }
}
