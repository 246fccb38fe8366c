import Platform
import TOMLKit

/// The anatomy keyword dictionary (models/keywords.toml, written by the prep helper): each
/// canonical anatomy name maps to its spoken forms, e.g. `pulmonary_artery = ["pulmonary
/// artery"]`. Keys sit in the `[anatomy]` table (the prep helper's file; other tables such
/// as `[pronunciations]` are not keywords), or, without one, at the top level or in tables. A
/// multi-word form marks every one of its words in a clip where the whole form occurs.
public struct KeywordDictionary: Sendable, Equatable {
    /// canonical name -> spoken forms (lower-case, words separated by single spaces).
    public let forms: [String: [String]]

    public init(forms: [String: [String]]) {
        var clean = [String: [String]]()
        for (name, list) in forms { clean[name] = list.map { $0.lowercased().split(separator: " ").joined(separator: " ") } }
        self.forms = clean
    }

    public static func read(path: String) throws -> KeywordDictionary {
        let text = String(decoding: try FileIO.readAll(path), as: UTF8.self)
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch { throw TrainingError("\(path): TOML syntax: \(error)") }
        var forms = [String: [String]]()
        func collect(_ table: TOMLTable) {
            for (key, value) in table {
                if let array = value.array {
                    let strings = array.compactMap { $0.string }
                    if !strings.isEmpty { forms[key] = strings }
                } else if let string = value.string {
                    forms[key] = [string]
                } else if let inner = value.table {
                    collect(inner)
                }
            }
        }
        if let anatomy = table["anatomy"]?.table { collect(anatomy) } else { collect(table) }
        guard !forms.isEmpty else { throw TrainingError("\(path): no keyword entries (expected name = [\"spoken form\", ...])") }
        return KeywordDictionary(forms: forms)
    }

    /// Every word that occurs in some spoken form (for building a small vocabulary).
    public var allWords: Set<String> { Set(forms.values.flatMap { $0.flatMap { $0.split(separator: " ").map(String.init) } }) }

    /// Per word of `words`: the canonical anatomy it belongs to when a spoken form matches
    /// there (longest form first), else nil.
    public func match(_ words: [String]) -> [String?] {
        var result = [String?](repeating: nil, count: words.count)
        let entries = forms.flatMap { name, list in list.map { (name, $0.split(separator: " ").map(String.init)) } }
            .sorted { $0.1.count > $1.1.count }
        for start in 0..<words.count where result[start] == nil {
            for (name, form) in entries where start + form.count <= words.count {
                if (0..<form.count).allSatisfy({ words[start + $0] == form[$0] && result[start + $0] == nil }) {
                    for k in 0..<form.count { result[start + k] = name }
                    break
                }
            }
        }
        return result
    }
}
