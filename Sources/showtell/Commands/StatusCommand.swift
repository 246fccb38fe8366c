import ArgumentParser
import ControlPlane
import Foundation

/// `showtell status`: asks the running daemon over its control socket and prints what it
/// says (state, devices, model, frame rate, latency, losses, warnings).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the running appliance's state, devices, model, frame rate, latency and losses.",
        discussion: FieldExit.table
    )

    @OptionGroup var daemon: DaemonSocket

    @Flag(help: "Print the daemon's JSON status instead of a table.")
    var json = false

    func run() throws {
        try reportingFailures(json: json) { try show() }
    }

    private func show() throws {
        let reply = try daemon.ask("status")
        guard reply.ok, let status = reply.status else {
            throw FieldFailure(exit: .daemonRefused, message: "showtelld: \(reply.error ?? "no status in reply")")
        }
        if json {
            print(try status.jsonLine())
            return
        }
        print("showtelld: \(status.state.rawValue)")
        for device in status.devices {
            let detail = device.detail.map { $0.isEmpty ? "" : "  \($0)" } ?? ""
            print("  \(pad(device.role, 8)) \(pad(device.state, 10)) \(device.path)\(detail)")
        }
        let model = status.model
        print("  \(pad("model", 8)) \(pad(model.loaded ? "loaded" : "NOT LOADED", 10)) \(model.bundle)"
              + (model.description.map { "  \($0)" } ?? "") + (model.error.map { "  (\($0))" } ?? ""))
        let c = status.counters
        print("  fps \(status.fps.map { String(format: "%.1f", $0) } ?? "-")   frames in \(c.framesIn) out \(c.framesOut)"
              + "   dropped \(c.framesDropped)   skipped \(c.framesSkipped)   audio overruns \(c.audioXruns)")
        print("  latency (ms)          p50      p99      max   count")
        for series in status.latency {
            func ms(_ seconds: Double?) -> String { seconds.map { String(format: "%8.2f", $0 * 1000) } ?? "       -" }
            print("    \(pad(series.name, 18)) \(ms(series.p50Seconds)) \(ms(series.p99Seconds)) \(ms(series.maxSeconds))   \(series.count)")
        }
        if !status.warnings.isEmpty {
            print("  warnings:")
            for warning in status.warnings { print("    - \(warning)") }
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

/// `showtell control LINE...`: sends one control command (snapshot, record start/stop,
/// reload-model, metrics) to the daemon and prints its result.
struct ControlSendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Send a command to the running appliance: \(ControlCommand.usage).",
        discussion: FieldExit.table
    )

    @OptionGroup var daemon: DaemonSocket

    @Argument(help: "The command and its argument, e.g. snapshot /tmp/screen.png")
    var words: [String]

    @Flag(help: "Print the daemon's JSON reply line as it is.")
    var json = false

    func validate() throws {
        let line = words.joined(separator: " ")
        guard ControlCommand(line: line) != nil else { throw ValidationError("unknown command \"\(line)\"; expected one of \(ControlCommand.usage)") }
    }

    func run() throws {
        try reportingFailures(json: json) { try send() }
    }

    private func send() throws {
        let line = words.joined(separator: " ")
        let reply = try daemon.ask(line, timeoutMilliseconds: 10_000)
        guard reply.ok else { throw FieldFailure(exit: .daemonRefused, message: "\(reply.command ?? line): \(reply.error ?? "failed")") }
        if json { print(try reply.jsonLine()) }
        else if let metrics = reply.metrics { print(metrics, terminator: "") }
        else if let status = reply.status { print(try status.jsonLine()) }
        else { print(reply.result ?? "ok") }
    }
}

/// Where the running daemon listens, and one request to it (shared by status and control).
struct DaemonSocket: ParsableArguments {
    @Option(help: "The daemon's control socket (control.socket in showtell.toml).")
    var socket = ApplianceConfig().control.socket

    func ask(_ line: String, timeoutMilliseconds: Int32 = 5_000) throws -> ControlReply {
        let text: String
        do { text = try ControlClient.request(line, socketPath: socket, timeoutMilliseconds: timeoutMilliseconds) } catch {
            throw FieldFailure(exit: .daemonUnreachable,
                               message: "cannot reach showtelld on \(socket): \(error) (is it running? systemctl status showtelld; are you in its group? see the unit's SupplementaryGroups and control.socket)")
        }
        // Something answered, but not with a control reply (another program on the socket,
        // a damaged line): the daemon did not answer, exit 3, never a Swift error dump.
        let reply: ControlReply
        do { reply = try ControlReply.decode(text) } catch {
            throw FieldFailure(exit: .daemonUnreachable,
                               message: "\(socket) answered with something that is not a showtelld reply (\"\(text.prefix(80))\"); is another program listening there?")
        }
        // Too many clients connected: the command was not looked at; try again.
        if !reply.ok, reply.command == nil, let error = reply.error, error.hasPrefix("busy") {
            throw FieldFailure(exit: .daemonUnreachable, message: "showtelld on \(socket) is \(error)")
        }
        return reply
    }
}
