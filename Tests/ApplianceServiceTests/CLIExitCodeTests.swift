@testable import ControlPlane
import Foundation
import Glibc
import Platform
import Testing
import TestSupport

/// The `showtell` binary's exit codes for talking to the daemon, as the README's table
/// documents them: 3 when showtelld does not answer (or something else does), 4 when it
/// refuses the command, 64 only for a bad command line. Never a Swift error dump.
@Suite(.serialized) struct CLIExitCodeTests {
    /// Runs the built `showtell` (next to showtelld); returns exit status and stdout+stderr.
    static func showtell(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: URL(fileURLWithPath: Daemon.binary).deletingLastPathComponent().path + "/showtell")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func unreachableDaemonExits3WithoutUsage() throws {
        let scratch = ScratchFolder()
        for command in [["status"], ["control", "reload-model"], ["status", "--json"]] {
            let (status, output) = try Self.showtell(command + ["--socket", scratch.file("nobody.sock")])
            #expect(status == 3, "\(command): \(output)")
            #expect(output.contains("cannot reach showtelld") && !output.contains("USAGE"), "\(output)")
        }
    }

    /// Another program on the socket answering garbage gave "Error: DecodingError..." and exit 1.
    @Test func somethingElseAnsweringExits3() throws {
        let scratch = ScratchFolder()
        let path = scratch.file("other.sock")
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var (address, length) = try SystemdNotifier.unixAddress(path)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        #expect(listen(listener, 4) == 0)
        let server = Thread {
            let client = accept(listener, nil, nil)
            var buffer = [UInt8](repeating: 0, count: 256)
            _ = recv(client, &buffer, buffer.count, 0)
            _ = send(client, "HTTP/1.0 400 Bad Request\n", 25, Int32(MSG_NOSIGNAL))
            close(client)
        }
        server.start()
        let (status, output) = try Self.showtell(["control", "reload-model", "--socket", path])
        #expect(status == 3, "\(output)")
        #expect(output.contains("not a showtelld reply") && !output.contains("DecodingError"), "\(output)")
    }

    @Test func refusedCommandsExit4AndBadCommandLinesExit64() throws {
        let scratch = ScratchFolder()
        let session = scratch.file("session")
        try SessionMaker.write(session, frames: 150, audioSeconds: 5)
        let notify = try NotifyListener(directory: scratch.path)
        let daemon = try Daemon(arguments: Daemon.replayArguments(session: session, directory: scratch.path, pace: "realtime",
                                                                  model: scratch.file("no-model")),
                                directory: scratch.path, notifySocket: notify.path)
        #expect(notify.waitFor("READY=1", timeout: 10) != nil, "\(daemon.log)")
        let socket = ["--socket", scratch.file("control.sock")]
        let status = try Self.showtell(["status"] + socket)
        #expect(status.status == 0, "\(status.output)")
        let reload = try Self.showtell(["control", "reload-model"] + socket)
        #expect(reload.status == 4 && reload.output.contains("no-model") && !reload.output.contains("USAGE"), "\(reload.output)")
        let json = try Self.showtell(["control", "reload-model", "--json"] + socket)
        #expect(json.status == 4 && json.output.contains("\"exit\":4"), "\(json.output)")
        let outside = try Self.showtell(["control", "snapshot", "/etc/showtell-exit-test.png"] + socket)
        #expect(outside.status == 4 && outside.output.contains("state directory"), "\(outside.output)")
        let bad = try Self.showtell(["control", "reboot"] + socket)
        #expect(bad.status == 64 && bad.output.contains("unknown command"), "\(bad.output)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
    }
}
