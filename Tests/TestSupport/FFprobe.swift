import Foundation

/// ffprobe must read what we write (DESIGN.md: ffmpeg and VLC open the media as they are).
/// Runs only where ffprobe is installed.
public enum FFprobe {
    public static let path: String? = ProcessInfo.processInfo.environment["PATH"]?
        .split(separator: ":").map { $0 + "/ffprobe" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    public static var isAvailable: Bool { path != nil }

    /// `-show_streams -show_format` as JSON.
    public static func probe(_ file: String, countFrames: Bool = false) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = ["-v", "error", "-print_format", "json", "-show_streams", "-show_format"]
            + (countFrames ? ["-count_frames"] : []) + [file]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ProbeFailure(message: stderr) }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    public struct ProbeFailure: Error { public var message: String }

    public static func stream(_ probe: [String: Any]) -> [String: Any] { (probe["streams"] as? [[String: Any]])?.first ?? [:] }
    public static func format(_ probe: [String: Any]) -> [String: Any] { probe["format"] as? [String: Any] ?? [:] }
    public static func number(_ value: Any?) -> Double? { (value as? String).flatMap(Double.init) ?? (value as? Double) }
}

