/// One line of a diagnostics report: what was checked, PASS / WARN / FAIL, what was found and,
/// when it is not PASS, what to check. The JSON shape (`name`, `success`, `status`, ...) is the
/// common one for device diagnostics (DESIGN.md §6).
public struct Check: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, Comparable {
        case pass = "PASS", warn = "WARN", fail = "FAIL"

        private var rank: Int { self == .pass ? 0 : self == .warn ? 1 : 2 }
        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    public var name: String
    public var status: Status
    /// What was found, one line.
    public var detail: String
    /// What to check or do when the status is not PASS.
    public var remedy: String?
    /// True unless FAIL (a WARN does not stop the appliance).
    public var success: Bool

    public init(_ name: String, _ status: Status, _ detail: String, remedy: String? = nil) {
        (self.name, self.status, self.detail, self.remedy) = (name, status, detail, status == .pass ? nil : remedy)
        success = status != .fail
    }

    /// `PASS  name      detail` (and `      -> remedy` on the next line when there is one).
    public var line: String {
        var text = "\(status.rawValue)  \(name.padding(toLength: max(name.count, 17), withPad: " ", startingAt: 0))  \(detail)"
        if let remedy { text += "\n      -> \(remedy)" }
        return text
    }
}

/// A list of checks with the overall verdict.
public struct CheckReport: Codable, Sendable, Equatable {
    public var version: String
    public var checks: [Check]
    /// The worst status of all checks.
    public var status: Check.Status
    public var success: Bool

    public init(version: String, checks: [Check]) {
        self.version = version
        self.checks = checks
        status = checks.map(\.status).max() ?? .pass
        success = status != .fail
    }

    public var text: String {
        let counts = [Check.Status.pass, .warn, .fail].map { s in "\(checks.filter { $0.status == s }.count) \(s.rawValue)" }
        return (checks.map(\.line) + ["\(status.rawValue)  selftest           \(counts.joined(separator: ", "))"]).joined(separator: "\n")
    }
}
