import Foundation

/// A fresh folder under the system temp directory (mkdtemp: unique even across parallel test
/// processes), removed with its contents when the value is released: keep it alive as long as
/// the test uses it.
public final class ScratchFolder: @unchecked Sendable {
    public let path: String

    /// `label` only makes a leftover folder recognisable (a test killed before deinit).
    public init(_ label: String = "showtell-test") {
        var template = Array(FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-XXXXXX").path.utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { path + "/" + name }
}
