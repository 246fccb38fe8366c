import ArgumentParser
import ControlPlane
import FieldDiagnostics
import Foundation

/// `showtell selftest`: one line per check (PASS / WARN / FAIL, with what to check), exit 1
/// when any check fails.
struct SelftestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check the box: CPU and kernels, configuration, model checksums and golden inference, devices, disk, clock, temperature.",
        discussion: "One line per check: PASS, WARN (works, but look at it) or FAIL (the appliance cannot work as configured), each non-PASS with what to check.\n\n" + FieldExit.table
    )

    @Option(help: "Configuration file.")
    var config = ApplianceConfig.defaultPath

    @Option(help: "Model bundle to verify instead of the configured model.bundle.")
    var model: String?

    @Option(help: "Where the appliance keeps its state (free space is checked there).")
    var state = "/var/lib/showtell"

    @Flag(help: "Print JSON ({version, status, success, checks: [{name, status, success, detail, remedy}]}).")
    var json = false

    func run() throws {
        var options = SelfTest.Options()
        options.configPath = config
        options.modelBundle = model
        options.statePath = state
        let report = SelfTest.run(options, version: ShowTellVersion.string)
        print(json ? try Self.json(report) : report.text)
        if !report.success { throw ExitCode(FieldExit.checkFailed.rawValue) }
    }

    static func json(_ report: CheckReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}
