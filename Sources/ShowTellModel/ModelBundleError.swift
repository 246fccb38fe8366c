/// Why a model bundle could not be read or written: the file, the problem and what to do.
/// `kind` is for code (tests, the appliance's status line); `description` is for people.
public struct ModelBundleError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        case directoryMissing = "directory missing"
        case manifestMissing = "manifest missing"
        case manifestInvalid = "manifest invalid"
        case unknownFormat = "unknown format"
        case unknownBackbone = "unknown backbone"
        case weightsMissing = "weights missing"
        case truncated = "truncated"
        case checksumMismatch = "checksum mismatch"
        case weightsInvalid = "weights invalid"
        case tensorMismatch = "tensor mismatch"
        case nonFinite = "non-finite weight"
        case goldenMismatch = "golden inference mismatch"
        case writeFailed = "write failed"
    }

    public let kind: Kind
    /// The file or directory at fault.
    public let path: String
    public let problem: String

    public init(_ kind: Kind, path: String, _ problem: String) {
        self.kind = kind
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }

    /// A short, fixed reason for the appliance's status line ("MODEL: CHECKSUM").
    public var statusReason: StaticString {
        switch kind {
        case .directoryMissing, .manifestMissing, .weightsMissing: return "NO MODEL: MISSING"
        case .checksumMismatch, .truncated: return "NO MODEL: CORRUPT"
        case .unknownFormat, .unknownBackbone: return "NO MODEL: UNSUPPORTED"
        case .manifestInvalid, .weightsInvalid, .tensorMismatch, .nonFinite, .writeFailed: return "NO MODEL: INVALID"
        case .goldenMismatch: return "NO MODEL: SELF-TEST"
        }
    }
}
