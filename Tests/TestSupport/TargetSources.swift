import Foundation

/// A package target as the repository declares and writes it, for structural tests (the
/// self-supervision rule: Prep and Training have no path to the ground truth).
public struct TargetSources {
    /// The repository root (this file is Tests/TestSupport/TargetSources.swift).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    public let name: String
    /// The target's declaration in Package.swift, from `name:` to its `path:`.
    public let declaration: String
    /// Every Swift file under Sources/<name>: path relative to the repository, and its text.
    public let files: [(path: String, text: String)]

    public init(_ name: String) throws {
        self.name = name
        let manifest = try String(contentsOfFile: Self.root + "/Package.swift", encoding: .utf8)
        guard let start = manifest.range(of: "name: \"\(name)\","),
              let end = manifest.range(of: "path: \"Sources/\(name)\"", range: start.upperBound..<manifest.endIndex) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "Package.swift declares no target \(name) at Sources/\(name)"])
        }
        declaration = String(manifest[start.lowerBound..<end.lowerBound])
        let folder = Self.root + "/Sources/\(name)/"
        files = try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".swift") }.sorted().map {
            ("Sources/\(name)/" + $0, try String(contentsOfFile: folder + $0, encoding: .utf8))
        }
    }

    /// Whether the declaration names `target` as a dependency.
    public func dependsOn(_ target: String) -> Bool { declaration.contains("\"\(target)\"") }
}
