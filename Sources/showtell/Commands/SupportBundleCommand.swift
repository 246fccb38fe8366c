import ArgumentParser
import ControlPlane
import FieldDiagnostics
import Foundation

/// `showtell support-bundle --out FILE.tar.gz`: everything needed to diagnose a box remotely,
/// without patients' video or audio unless asked for.
struct SupportBundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "support-bundle",
        abstract: "Write a .tar.gz with configuration, versions, devices, selftest, the unit's journal, metrics, status and the last snapshot.",
        discussion: "Recordings (patients' video and audio) are left out unless --include-recordings is given; the last screen snapshot is included unless --no-snapshot.\n\n" + FieldExit.table
    )

    @Option(help: "The bundle to write (.tar.gz).")
    var out: String

    @Option(help: "Configuration file.")
    var config = ApplianceConfig.defaultPath

    @OptionGroup var daemon: DaemonSocket

    @Option(help: "Journal lines of the unit to include.")
    var journalLines = 2000

    @Flag(inversion: .prefixedNo, help: "Include the last screen snapshot (it shows the scan on screen).")
    var snapshot = true

    @Flag(help: "Include recordings (video and audio of patients): only with the site's consent.")
    var includeRecordings = false

    @Flag(help: "Print JSON (the bundle's path and entries).")
    var json = false

    func run() throws {
        try reportingFailures(json: json) {
            let selftest = SelfTest.run({ var o = SelfTest.Options(); o.configPath = config; return o }(), version: ShowTellVersion.string)
            let devices = try DevicesCommand.json(DevicesCommand.Report.current())
            let status: Result<String, SupportBundle.Failure>
            do { status = .success(try daemon.ask("status").status.map { try $0.jsonLine() } ?? "{}") } catch let failure as FieldFailure {
                status = .failure(SupportBundle.Failure(description: failure.message))
            }
            var options = SupportBundle.Options(output: out)
            options.configPath = config
            options.journalLines = journalLines
            options.includeSnapshot = snapshot
            options.includeRecordings = includeRecordings
            let parts = SupportBundle.Parts(version: ShowTellVersion.string, devicesJSON: devices,
                                            selftestJSON: try SelftestCommand.json(selftest), selftestText: selftest.text, status: status)
            let entries: [SupportBundle.Entry]
            do { entries = try SupportBundle.write(options, parts: parts) } catch {
                throw FieldFailure(exit: .outputFailed, message: "\(error)")
            }
            if json {
                let object: [String: Any] = ["ok": true, "path": out, "entries": entries.map { ["file": $0.file, "note": $0.note] }]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print("wrote \(out)")
                for entry in entries { print("  \(entry.file.padding(toLength: 26, withPad: " ", startingAt: 0)) \(entry.note)") }
            }
        }
    }
}
