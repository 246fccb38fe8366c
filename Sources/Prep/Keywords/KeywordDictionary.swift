import Foundation
import Platform
import ShowTellModel
import TOMLKit

/// The clinician-editable keyword dictionary (models/keywords.toml): canonical anatomy name ->
/// the words and phrases that mean it in the room ("tummy" -> stomach, "four chamber" ->
/// heart). Optional `[pronunciations]` give ARPAbet phones for words the CMU dictionary lacks
/// (e.g. "cerebellum") and extra pronunciations of words it has (the CMU dictionary is
/// American: non-rhotic British "heart" is HH AA T), so the recogniser can hear them.
///
/// ```toml
/// [anatomy]
/// stomach = ["stomach", "tummy", "stomach bubble"]
/// [pronunciations]
/// cerebellum = "S EH R AH B EH L AH M"
/// heart = ["HH AA T"]
/// ```
public struct KeywordDictionary: Sendable, Equatable {
    /// canonical -> spoken forms (lower-case, single spaces), in file order.
    public let anatomy: [(name: String, forms: [String])]
    /// word -> extra pronunciations (ARPAbet phones), used besides the CMU dictionary's.
    public let pronunciations: [String: [String]]
    /// SHA-256 of the file's bytes (hex), recorded in the dataset manifest.
    public let sha256: String

    public static func == (a: Self, b: Self) -> Bool { a.sha256 == b.sha256 }

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let line: Int?
        public let problem: String
        public var description: String { line.map { "\(path):\($0): \(problem)" } ?? "\(path): \(problem)" }
    }

    /// Every spoken form of every anatomy.
    public var allForms: [String] { anatomy.flatMap(\.forms) }

    public static func load(_ path: String) throws(Failure) -> KeywordDictionary {
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path) } catch { throw Failure(path: path, line: nil, problem: "cannot read: \(error)") }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path, sha256: SHA256.hex(bytes))
    }

    public static func parse(_ text: String, path: String = "<memory>", sha256: String? = nil) throws(Failure) -> KeywordDictionary {
        let document: TOMLTable
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw Failure(path: path, line: error.source.begin.line, problem: "TOML syntax: \(error.description)")
        } catch {
            throw Failure(path: path, line: nil, problem: "TOML syntax: \(error)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func line(of key: String) -> Int? {
            lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix(key) }.map { $0 + 1 }
        }
        // Iterated, not `.keys`: TOMLKit 0.6's `keys` can return dangling names.
        for (key, _) in document where key != "anatomy" && key != "pronunciations" {
            throw Failure(path: path, line: line(of: "[\(key)") ?? line(of: key), problem: "\"\(key)\" is outside [anatomy] and [pronunciations] (the only tables)")
        }
        guard let table = document["anatomy"]?.table else {
            throw Failure(path: path, line: nil, problem: "missing [anatomy] table (canonical name = [\"spoken form\", ...])")
        }
        var anatomy: [(String, [String])] = []
        var owner: [String: String] = [:]
        // TOMLKit's tables are unordered: keep the file's order for reports.
        let names = table.map { $0.0 }.sorted { (line(of: $0) ?? 0, $0) < (line(of: $1) ?? 0, $1) }
        for name in names {
            guard let array = table[name]?.array else {
                throw Failure(path: path, line: line(of: name), problem: "\(name): expected a list of spoken forms, e.g. \(name) = [\"\(name)\"]")
            }
            var forms: [String] = []
            for item in array {
                guard let raw = item.string else {
                    throw Failure(path: path, line: line(of: name), problem: "\(name): spoken forms must be strings")
                }
                let form = normalise(raw)
                guard !form.isEmpty else { throw Failure(path: path, line: line(of: name), problem: "\(name): empty spoken form") }
                if let other = owner[form], other != name {
                    throw Failure(path: path, line: line(of: name), problem: "\"\(form)\" is listed for both \(other) and \(name)")
                }
                owner[form] = name
                if !forms.contains(form) { forms.append(form) }
            }
            guard !forms.isEmpty else { throw Failure(path: path, line: line(of: name), problem: "\(name): no spoken forms") }
            anatomy.append((name, forms))
        }
        var pronunciations: [String: [String]] = [:]
        if let table = document["pronunciations"]?.table {
            for (word, value) in table {
                let items = value.array.map { Array($0) } ?? [value]
                var list: [String] = []
                for item in items {
                    guard let phones = item.string?.uppercased(), !phones.isEmpty,
                          phones.allSatisfy({ $0.isLetter || $0 == " " }) else {
                        throw Failure(path: path, line: line(of: word), problem: "pronunciation of \(word) must be ARPAbet phones (\"HH AA T\") or a list of them")
                    }
                    list.append(phones.split(separator: " ").joined(separator: " "))
                }
                pronunciations[word.lowercased()] = list
            }
        }
        return KeywordDictionary(anatomy: anatomy, pronunciations: pronunciations,
                                 sha256: sha256 ?? SHA256.hex(Array(text.utf8)))
    }

    /// Lower case, letters/digits/apostrophes only, single spaces ("Four-Chamber" -> "four chamber").
    public static func normalise(_ text: String) -> String {
        let mapped = text.lowercased().map { $0.isLetter || $0.isNumber || $0 == "'" ? $0 : " " }
        return String(mapped).split(separator: " ").joined(separator: " ")
    }

    init(anatomy: [(String, [String])], pronunciations: [String: [String]], sha256: String) {
        self.anatomy = anatomy.map { (name: $0.0, forms: $0.1) }
        self.pronunciations = pronunciations
        self.sha256 = sha256
    }
}
