import Platform

/// Pretrained word vectors in word2vec format (Mikolov's `word2vec` tool, gensim's
/// `save_word2vec_format`): a header line "COUNT DIMENSION", then per word either
/// "word v1 v2 ... vD\n" (text) or "word " followed by D little-endian float32 (binary).
/// The format is detected from the bytes after the first word. Words are looked up
/// lower-cased; anything absent maps to `<unk>` (index 0, the zero vector), as the paper's
/// tokenizer does before SIG filters it.
public struct WordVectors: Sendable {
    public static let unknownToken = "<unk>"
    public let dimension: Int
    /// words[0] == "<unk>".
    public let words: [String]
    /// [words.count][dimension], row 0 all zeros.
    public let vectors: [Float]
    private let index: [String: Int]

    public init(words: [String], dimension: Int, vectors: [Float]) {
        precondition(vectors.count == words.count * dimension, "vectors do not match words x dimension")
        self.dimension = dimension
        self.words = [Self.unknownToken] + words
        self.vectors = [Float](repeating: 0, count: dimension) + vectors
        var index = [String: Int]()
        for (i, word) in words.enumerated() where index[word] == nil { index[word] = i + 1 }
        self.index = index
    }

    /// Index of `word` (lower-cased), 0 for `<unk>`.
    public func id(_ word: String) -> Int { index[word.lowercased()] ?? 0 }

    public static func read(path: String) throws -> WordVectors {
        let bytes = try FileIO.readAll(path)
        do { return try parse(bytes) } catch let error as TrainingError {
            throw TrainingError("\(path): \(error.description)")
        }
    }

    public static func parse(_ bytes: [UInt8]) throws -> WordVectors {
        guard let newline = bytes.firstIndex(of: 0x0A) else { throw TrainingError("no header line (word2vec files start with \"COUNT DIMENSION\")") }
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 2, let count = Int(header[0]), let dimension = Int(header[1]), count > 0, dimension > 0 else {
            throw TrainingError("header \"\(String(decoding: bytes[..<newline], as: UTF8.self))\" is not \"COUNT DIMENSION\"")
        }
        var position = newline + 1
        // Binary if the first record's vector bytes are not all printable text.
        var firstSpace = position
        while firstSpace < bytes.count && bytes[firstSpace] != 0x20 { firstSpace += 1 }
        let probe = bytes[(firstSpace + 1)..<min(bytes.count, firstSpace + 1 + 4 * dimension)]
        let binary = probe.contains { ($0 < 0x20 && $0 != 0x0A && $0 != 0x09) || $0 >= 0x7F }
        var words = [String](), vectors = [Float]()
        words.reserveCapacity(count)
        vectors.reserveCapacity(count * dimension)
        for record in 0..<count {
            while position < bytes.count && (bytes[position] == 0x0A || bytes[position] == 0x20) { position += 1 }
            var end = position
            while end < bytes.count && bytes[end] != 0x20 { end += 1 }
            guard end < bytes.count else { throw TrainingError("record \(record + 1) of \(count) is truncated") }
            words.append(String(decoding: bytes[position..<end], as: UTF8.self).lowercased())
            position = end + 1
            if binary {
                guard position + 4 * dimension <= bytes.count else { throw TrainingError("record \(record + 1) of \(count): vector truncated") }
                bytes.withUnsafeBytes { raw in
                    for d in 0..<dimension {
                        vectors.append(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: position + 4 * d, as: UInt32.self))))
                    }
                }
                position += 4 * dimension
            } else {
                var lineEnd = position
                while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
                let fields = String(decoding: bytes[position..<lineEnd], as: UTF8.self).split(separator: " ")
                guard fields.count == dimension else {
                    throw TrainingError("record \(record + 1) (\"\(words.last!)\") has \(fields.count) values, header says \(dimension)")
                }
                for field in fields {
                    guard let value = Float(field) else { throw TrainingError("record \(record + 1): \"\(field)\" is not a number") }
                    vectors.append(value)
                }
                position = lineEnd + 1
            }
        }
        return WordVectors(words: words, dimension: dimension, vectors: vectors)
    }
}
