import Platform

/// One transcript cue: a word or phrase, who said it, and when (seconds from session start).
public struct TranscriptCue: Sendable, Equatable, Codable {
    public var start: Double
    public var end: Double
    /// The voice span's name (e.g. "Sonographer"); nil when the cue has no `<v>` span.
    public var speaker: String?
    public var text: String

    public init(start: Double, end: Double, speaker: String?, text: String) {
        self.start = start
        self.end = end
        self.speaker = speaker
        self.text = text
    }
}

/// Why a WebVTT file could not be written or parsed; names the file and the line.
public struct WebVTTError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    /// 1-based line number (0 when the problem is not tied to a line, e.g. writing).
    public let line: Int
    public let problem: String

    public var description: String { line > 0 ? "\(path):\(line): \(problem)" : "\(path): \(problem)" }
}

/// WebVTT (https://www.w3.org/TR/webvtt1/) for word-level transcripts: one cue per word or
/// phrase, the speaker as a voice span `<v Sonographer>word</v>`, times `HH:MM:SS.mmm`.
public enum WebVTT {
    // MARK: Writing

    /// Cues in order, numbered from 1. Times are rounded to milliseconds.
    public static func encode(_ cues: [TranscriptCue], path: String = "<memory>") throws(WebVTTError) -> String {
        var out = "WEBVTT\n"
        for (number, cue) in cues.enumerated() {
            guard cue.start.isFinite, cue.end.isFinite, cue.start >= 0, cue.end >= cue.start else {
                throw WebVTTError(path: path, line: 0, problem: "cue \(number + 1) has invalid times \(cue.start) --> \(cue.end)")
            }
            out += "\n\(number + 1)\n\(timestamp(cue.start)) --> \(timestamp(cue.end))\n"
            let text = escape(cue.text).replacingBlankLines()
            if let speaker = cue.speaker {
                out += "<v \(escape(speaker).replacing("\n", with: " "))>\(text)</v>\n"
            } else {
                out += text + "\n"
            }
        }
        return out
    }

    public static func write(_ cues: [TranscriptCue], to path: String) throws {
        try FileIO.writeAtomically(path, Array(try encode(cues, path: path).utf8))
    }

    /// `HH:MM:SS.mmm`.
    static func timestamp(_ seconds: Double) -> String {
        let total = Int((seconds * 1000).rounded())
        let ms = total % 1000, s = total / 1000 % 60, m = total / 60_000 % 60, h = total / 3_600_000
        return "\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2)).\(pad(ms, 3))"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    private static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }

    // MARK: Parsing

    public static func read(_ path: String) throws -> [TranscriptCue] {
        try parse(String(decoding: FileIO.readAll(path), as: UTF8.self), path: path)
    }

    /// Tolerates a BOM, header text, NOTE/STYLE/REGION blocks, cue ids, cue settings, `MM:SS.mmm`
    /// times and markup other than voice spans (removed). Strict about timestamps: a malformed
    /// one, or an end before its start, is an error with its line number.
    public static func parse(_ text: String, path: String = "<memory>") throws(WebVTTError) -> [TranscriptCue] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = first.dropFirst() }
        guard let signature = lines.first, signature.hasPrefix("WEBVTT"),
              signature.count == 6 || signature.dropFirst(6).first == " " || signature.dropFirst(6).first == "\t" else {
            throw WebVTTError(path: path, line: 1, problem: "missing 'WEBVTT' signature")
        }
        var cues: [TranscriptCue] = []
        var index = 1
        while index < lines.count, !lines[index].isEmpty { index += 1 }  // header block
        while index < lines.count {
            while index < lines.count, lines[index].allSatisfy(\.isWhitespace) { index += 1 }
            guard index < lines.count else { break }
            let blockStart = index
            var blockEnd = index
            while blockEnd < lines.count, !lines[blockEnd].isEmpty { blockEnd += 1 }
            defer { index = blockEnd }
            let first = lines[blockStart]
            if !first.contains("-->"), ["NOTE", "STYLE", "REGION"].contains(where: { first.isBlock($0) }) {
                continue
            }
            var timing = blockStart
            if !first.contains("-->") { timing += 1 }  // cue identifier
            guard timing < blockEnd, lines[timing].contains("-->") else {
                throw WebVTTError(path: path, line: timing + 1, problem: "expected a cue timing line 'start --> end'")
            }
            let (start, end) = try parseTiming(lines[timing], line: timing + 1, path: path)
            let payload = lines[(timing + 1)..<blockEnd].joined(separator: "\n")
            let (speaker, words) = parsePayload(payload)
            cues.append(TranscriptCue(start: start, end: end, speaker: speaker, text: words))
        }
        return cues
    }

    private static func parseTiming(_ line: Substring, line number: Int, path: String) throws(WebVTTError) -> (Double, Double) {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 3, fields[1] == "-->" else {
            throw WebVTTError(path: path, line: number, problem: "malformed cue timing '\(line)'")
        }
        guard let start = parseTimestamp(fields[0]) else {
            throw WebVTTError(path: path, line: number, problem: "malformed timestamp '\(fields[0])' (expected HH:MM:SS.mmm or MM:SS.mmm)")
        }
        guard let end = parseTimestamp(fields[2]) else {
            throw WebVTTError(path: path, line: number, problem: "malformed timestamp '\(fields[2])' (expected HH:MM:SS.mmm or MM:SS.mmm)")
        }
        guard end >= start else {
            throw WebVTTError(path: path, line: number, problem: "cue ends (\(fields[2])) before it starts (\(fields[0]))")
        }
        return (start, end)  // fields after the end time are cue settings: ignored
    }

    /// `[HH+:]MM:SS.mmm` with two-digit minutes and seconds below 60 and exactly three fraction digits.
    static func parseTimestamp(_ text: Substring) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let secondsPart = parts[parts.count - 1].split(separator: ".", omittingEmptySubsequences: false)
        guard secondsPart.count == 2, secondsPart[1].count == 3,
              let seconds = digits(secondsPart[0], exactly: 2), seconds < 60,
              let millis = digits(secondsPart[1], exactly: 3),
              let minutes = digits(parts[parts.count - 2], exactly: 2), minutes < 60 else { return nil }
        var hours = 0
        if parts.count == 3 {
            guard parts[0].count >= 2, let h = digits(parts[0], exactly: parts[0].count) else { return nil }
            hours = h
        }
        return Double(hours * 3600 + minutes * 60 + seconds) + Double(millis) / 1000
    }

    private static func digits(_ text: Substring, exactly count: Int) -> Int? {
        guard text.count == count, count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// The first voice span's name and the text with all tags removed and entities decoded.
    private static func parsePayload(_ payload: String) -> (String?, String) {
        var speaker: String?
        var text = ""
        var rest = Substring(payload)
        while let open = rest.firstIndex(of: "<") {
            text += rest[..<open]
            guard let close = rest[open...].firstIndex(of: ">") else { rest = rest[open...]; break }
            let tag = rest[rest.index(after: open)..<close]
            // A voice span: "v Name" or "v.class Name".
            if speaker == nil, tag.first == "v", let next = tag.dropFirst().first, next == " " || next == "\t" || next == ".",
               let space = tag.firstIndex(where: { $0 == " " || $0 == "\t" }) {
                let name = tag[space...].trimmingWhitespace()
                if !name.isEmpty { speaker = unescape(name) }
            }
            rest = rest[rest.index(after: close)...]
        }
        text += rest
        return (speaker, unescape(Substring(text)))
    }

    private static func unescape(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = String(text)
        for (entity, value) in [("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", "\u{00A0}"), ("&lrm;", "\u{200E}"),
                                ("&rlm;", "\u{200F}"), ("&amp;", "&")] {
            out = out.replacing(entity, with: value)
        }
        return out
    }
}

private extension Substring {
    /// A block keyword alone or followed by whitespace ("NOTE", "NOTE text"; not "NOTEBOOK").
    func isBlock(_ keyword: String) -> Bool {
        hasPrefix(keyword) && (count == keyword.count || dropFirst(keyword.count).first.map { $0 == " " || $0 == "\t" } == true)
    }

    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first.isWhitespace { result = result.dropFirst() }
        while let last = result.last, last.isWhitespace { result = result.dropLast() }
        return result
    }
}

private extension String {
    /// A blank line would end the cue: payload lines are joined without empty ones.
    func replacingBlankLines() -> String {
        split(separator: "\n", omittingEmptySubsequences: true).joined(separator: "\n")
    }
}
