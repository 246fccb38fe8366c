import Foundation
import Platform

/// Why labels.jsonl could not be written or read; names the file and the 1-based line.
public struct LabelsFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    /// 1-based line (or label number when writing); 0 for whole-file problems.
    public let line: Int
    public let problem: String

    public var description: String { line > 0 ? "\(path):\(line): \(problem)" : "\(path): \(problem)" }
}

/// labels.jsonl: one `FrameLabel` JSON object per line, keys sorted, so files diff cleanly
/// and are read line by line by any JSON Lines reader.
public enum LabelsFile {
    public static func encode(_ labels: [FrameLabel], path: String = "<memory>") throws(LabelsFileError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out: [UInt8] = []
        for (number, label) in labels.enumerated() {
            do {
                out.append(contentsOf: try encoder.encode(label))
            } catch {
                throw LabelsFileError(path: path, line: number + 1, problem: "cannot encode label of frame \(label.frame): \(error)")
            }
            out.append(0x0A)
        }
        return out
    }

    public static func write(_ labels: [FrameLabel], to path: String) throws {
        try FileIO.writeAtomically(path, try encode(labels, path: path))
    }

    /// Blank lines are skipped; anything else that is not a valid label is an error with its line number.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws(LabelsFileError) -> [FrameLabel] {
        let decoder = JSONDecoder()
        var labels: [FrameLabel] = []
        var lineNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                labels.append(try decoder.decode(FrameLabel.self, from: Data(line)))
            } catch let error as DecodingError {
                throw LabelsFileError(path: path, line: lineNumber, problem: explain(error))
            } catch {
                throw LabelsFileError(path: path, line: lineNumber, problem: "\(error)")
            }
        }
        return labels
    }

    public static func read(_ path: String) throws(LabelsFileError) -> [FrameLabel] {
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path) } catch { throw LabelsFileError(path: path, line: 0, problem: error.description) }
        return try decode(bytes, path: path)
    }

    private static func explain(_ error: DecodingError) -> String {
        func at(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "" : " at '\(path)'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)'\(at(context))"
        case .valueNotFound(let type, let context): return "null where \(type) is required\(at(context))"
        case .typeMismatch(let type, let context): return "expected \(type)\(at(context))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value\(at(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
