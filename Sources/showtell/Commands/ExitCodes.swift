import ArgumentParser
import Foundation
import Platform

/// The exit codes of the diagnostics commands (devices, selftest, mic-test, capture-test,
/// status, control, support-bundle). One table: the README and `--help` print this one.
enum FieldExit: Int32, CaseIterable {
    case ok = 0
    case checkFailed = 1
    case deviceUnavailable = 2
    case daemonUnreachable = 3
    case daemonRefused = 4
    case outputFailed = 5
    case usage = 64

    var meaning: String {
        switch self {
        case .ok: "success (selftest: every check PASS or WARN)"
        case .checkFailed: "a check failed: selftest has a FAIL line, devices found no grabber, microphone or screen, capture-test got too few frames"
        case .deviceUnavailable: "the device to test cannot be opened (mic-test, capture-test): the message names it and what to check"
        case .daemonUnreachable: "showtelld does not answer on its control socket within 5 s, is busy with other clients, or something else answers there (status, control): is it running? systemctl status showtelld"
        case .daemonRefused: "showtelld answered but refused the command (control, e.g. reload-model without a usable bundle, a snapshot path outside its state directory): the message says why"
        case .outputFailed: "the output file cannot be written (support-bundle): check the folder and free space"
        case .usage: "bad option or argument (swift-argument-parser)"
        }
    }

    /// The table for `--help` (`discussion:`) and the README.
    static var table: String {
        "Exit codes:\n" + allCases.map { "  \(String($0.rawValue).padding(toLength: 3, withPad: " ", startingAt: 0)) \($0.meaning)" }.joined(separator: "\n")
    }
}

/// A diagnostics failure: the message says what failed and what to check. With `--json` it is
/// also printed on stdout as `{"ok":false,"error":...,"exit":N}` so scripts see one shape.
struct FieldFailure: Error {
    let exit: FieldExit
    let message: String

    /// Prints the message (stderr, and stdout as JSON when `json`) and returns the exit code
    /// to throw.
    func report(json: Bool) -> ExitCode {
        Console.error("showtell: \(message)\n")
        if json {
            let object: [String: Any] = ["ok": false, "error": message, "exit": Int(exit.rawValue)]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
        }
        return ExitCode(exit.rawValue)
    }
}

/// Runs `body`, turning a `FieldFailure` into its message and exit code.
func reportingFailures(json: Bool, _ body: () throws -> Void) throws {
    do { try body() } catch let failure as FieldFailure { throw failure.report(json: json) }
}
