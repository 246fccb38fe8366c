import CALSA
import CALSAGlue

/// An ALSA call failed: which call, on which PCM, and alsa-lib's message for the code.
public struct ALSAError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let device: String
    public let code: Int32

    /// alsa-lib's own message for the failure, when it gave one (e.g. a configuration
    /// parse error with its line).
    public let detail: String

    public init(_ operation: String, device: String, code: Int32) {
        self.operation = operation
        self.device = device
        self.code = code
        detail = String(cString: showtell_alsa_last_error())
    }

    /// The device went away (USB microphone unplugged): reopen with backoff.
    public var deviceGone: Bool { code == -ENODEV || code == -ENOENT }

    public var description: String {
        "ALSA \(operation) on '\(device)': \(String(cString: snd_strerror(code))) (\(code))"
            + (detail.isEmpty ? "" : " [\(detail)]")
    }
}

/// Runs an alsa-lib call that returns a negative errno on failure.
@inline(__always)
func alsa(_ operation: @autoclosure () -> String, _ device: String, _ body: () -> Int32) throws(ALSAError) {
    let code = body()
    if code < 0 { throw ALSAError(operation(), device: device, code: code) }
}
