import ControlPlane

/// The control socket, both ends: a request line as the daemon parses it, a reply line as
/// `showtell status` and friends decode it.
@Sendable func fuzzControl(_ bytes: [UInt8]) {
    let line = String(decoding: bytes, as: UTF8.self)
    if let command = ControlCommand(line: line) { _ = command.name }
    _ = try? ControlReply.decode(line)
}
