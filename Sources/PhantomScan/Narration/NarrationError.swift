/// Why narration could not be generated (espeak-ng missing, a voice unknown, resampling).
public struct NarrationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { "narration: \(message)" }
}
