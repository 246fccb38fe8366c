import Platform

/// The CMU pronouncing dictionary (word -> ARPAbet pronunciations, alternates included) plus
/// the keyword dictionary's extra pronunciations.
public struct PronouncingDictionary: Sendable {
    private var entries: [String: [String]] = [:]

    public init(path: String, extra: [String: [String]]) throws {
        let text = String(decoding: try FileIO.readAll(path), as: UTF8.self)
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            var word = line[..<space]
            if let paren = word.firstIndex(of: "(") { word = word[..<paren] }
            let phones = line[line.index(after: space)...].split(separator: " ").joined(separator: " ")
            entries[String(word), default: []].append(phones)
        }
        for (word, list) in extra {
            for phones in list where !(entries[word]?.contains(phones) ?? false) { entries[word, default: []].append(phones) }
        }
    }

    public func knows(_ word: String) -> Bool { entries[word] != nil }

    /// The word's pronunciations (ARPAbet, space-separated), the dictionary's first one first;
    /// empty when unknown.
    public func pronunciations(_ word: String) -> [String] { entries[word] ?? [] }

    /// Dictionary lines for `words` in pocketsphinx's format (alternates as word(2), word(3)...).
    public func lines(for words: [String]) -> String {
        var text = ""
        for word in words {
            for (i, phones) in (entries[word] ?? []).enumerated() {
                text += (i == 0 ? word : "\(word)(\(i + 1))") + " " + phones + "\n"
            }
        }
        return text
    }
}
