import Foundation
import Glibc
import MediaFormats
import NeuralCore
import Platform
import ShowTellModel
import TestSupport

/// Small recorded sessions: a 160×120 MJPEG AVI of a moving bar and a 48 kHz WAV (silence,
/// then a voiced harmonic sound), with optional damage.
enum SessionMaker {
    static func write(_ directory: String, frames: Int = 60, corrupt: Set<Int> = [], audioSeconds: Double = 2) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let writer = try AVIWriter(path: directory + "/video.avi", width: 160, height: 120, frameRate: FrameRate(30))
        for i in 0..<frames {
            var image = Image8(width: 160, height: 120, channels: 1, fill: 40)
            for y in 0..<120 { for x in (i * 2 % 150)..<(i * 2 % 150 + 10) { image.pixels[y * 160 + x] = 220 } }
            if corrupt.contains(i) {
                // Headers intact, scan cut short: what a grabber sends when a USB packet is lost.
                let jpeg = try JPEGCodec.encode(image, quality: 85)
                try writer.append(jpeg: Array(jpeg[0..<(jpeg.count / 2)]) + [0xFF, 0xD9])
            } else {
                try writer.append(image, quality: 85)
            }
        }
        try writer.finish()
        let rate = 48_000
        let samples = (0..<Int(audioSeconds * Double(rate))).map { n -> Float in
            guard n >= rate / 2 else { return 0 }
            let t = Double(n) / Double(rate)
            var x = 0.0
            for h in 1...10 { x += sin(2 * .pi * 130 * Double(h) * t) / Double(h) }
            return Float(0.2 * x * (0.6 + 0.4 * sin(2 * .pi * 4 * t)))
        }
        try WAVFile.write(AudioClip(sampleRate: rate, channels: 1, samples: samples), to: directory + "/audio.wav")
    }

    /// Cuts video.avi in the middle of frame `frame`'s chunk (a copy interrupted there).
    static func cutVideo(_ directory: String, atFrame frame: Int) throws {
        let path = directory + "/video.avi"
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var found = -1, offset = 0
        let tag = Array("00dc".utf8)
        while offset + 4 <= bytes.count {
            if Array(bytes[offset..<(offset + 4)]) == tag {
                found += 1
                if found == frame { break }
                let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
                offset += 8 + size + (size & 1)
            } else {
                offset += 1
            }
        }
        precondition(found == frame, "frame \(frame) not found in \(path)")
        try Data(bytes.prefix(offset + 8 + 100)).write(to: URL(fileURLWithPath: path))
    }

    /// Cuts the WAV's data short while its header still promises all of it (a copy that
    /// was interrupted).
    static func truncateAudio(_ directory: String, keepingFraction fraction: Double) throws {
        let path = directory + "/audio.wav"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(44 + Int(Double(bytes.count - 44) * fraction) / 2 * 2).write(to: URL(fileURLWithPath: path))
    }
}

/// Receives sd_notify datagrams like systemd does: a datagram socket at a path given to the
/// child as NOTIFY_SOCKET.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32

    init(directory: String) throws {
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(path.utf8) + [0]) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw SystemError("bind", subject: path, errno: errno) }
    }

    deinit { close(fd) }

    /// The next datagram, or nil after `timeout` seconds.
    func receive(timeout: Double) -> String? {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }

    /// Waits for a datagram containing `line` (e.g. READY=1); returns it, or nil on timeout.
    func waitFor(_ line: String, timeout: Double) -> String? {
        let deadline = MonotonicClock.seconds() + timeout
        while MonotonicClock.seconds() < deadline {
            if let message = receive(timeout: deadline - MonotonicClock.seconds()),
               message.split(separator: "\n").contains(where: { $0 == line }) { return message }
        }
        return nil
    }
}

/// The built showtelld binary as a child process, its stdout (the log) and stderr in files.
final class Daemon: @unchecked Sendable {
    let process = Process()
    let logPath: String
    let errorPath: String
    let startedAt = MonotonicClock.seconds()

    /// Next to the test bundle in the build folder (`swift build --build-tests` builds it).
    static var binary: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("showtelld").path
    }

    init(arguments: [String], directory: String, notifySocket: String? = nil) throws {
        logPath = directory + "/showtelld.log"
        errorPath = directory + "/showtelld.err"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notifySocket
        environment["WATCHDOG_USEC"] = nil
        process.environment = environment
        process.standardOutput = FileHandle(forWritingAtPath: logPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits up to `timeout` s for the exit; returns the status, or nil (then kills it).
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = MonotonicClock.seconds() + timeout
        while process.isRunning && MonotonicClock.seconds() < deadline { usleep(5_000) }
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// The value of `key=` in the first log line for `event`.
    func logValue(event: String, key: String) -> String? {
        for line in log.split(separator: "\n") where line.dropFirst(3).hasPrefix(event + " ") {
            for field in line.split(separator: " ") where field.hasPrefix(key + "=") {
                return String(field.dropFirst(key.count + 1))
            }
        }
        return nil
    }

    /// `section.key=value` arguments for a replay of `session` with everything in `directory`.
    static func replayArguments(session: String, directory: String, display: String = "null", pace: String = "fast",
                                model: String = "none") -> [String] {
        ["--config", "/dev/null",
         "--set", "video.source=replay:\(session)", "--set", "audio.source=replay:\(session)",
         "--set", "video.replay_pace=\(pace)", "--set", "display.output=\(display)",
         "--set", "control.socket=\(directory)/control.sock", "--set", "control.metrics_textfile=\(directory)/metrics.prom",
         "--set", "display.record_path=\(directory)/recordings/screen.avi", "--set", "model.bundle=\(model)",
         "--set", "control.state_directory=\(directory)"]
    }

    /// A sample's value from a Prometheus textfile.
    static func metric(_ name: String, in path: String) -> Double? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ")[1])
        }
        return nil
    }
}

/// Model bundles for the daemon: a tiny untrained one, optionally with every weight set to an
/// absurd finite value and the checksum and size fixed to match (what a hostile edit, or a
/// training run that diverged without reaching Inf, leaves).
enum BundleMaker {
    static func write(_ directory: String, absurdWeights: Bool = false, keepGolden: Bool = true) throws {
        let network = ShowTellNetwork(backbone: .tiny, embeddingDimension: 8, seed: 3)
        _ = try ModelBundle.write(network: network, trained: false, notes: "test", to: directory)
        guard absurdWeights else { return }
        let weightsPath = directory + "/" + ModelBundle.weightsFile
        var bytes = try FileIO.readAll(weightsPath)
        let file = try SafeTensorsFile(bytes: bytes)
        let dataStart = 8 + Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let huge = Array(withUnsafeBytes(of: Float(3e38).bitPattern.littleEndian) { Array($0) })
        for tensor in file.tensors where tensor.dtype == "F32" {
            for offset in stride(from: dataStart + tensor.dataOffsets.lowerBound, to: dataStart + tensor.dataOffsets.upperBound, by: 4) {
                bytes.replaceSubrange(offset..<(offset + 4), with: huge)
            }
        }
        try FileIO.writeAtomically(weightsPath, bytes)
        let manifestPath = directory + "/" + ModelBundle.manifestFile
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as! [String: Any]
        manifest["sha256"] = SHA256.hex(bytes)
        if !keepGolden { manifest["golden"] = nil }
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestPath))
    }
}
