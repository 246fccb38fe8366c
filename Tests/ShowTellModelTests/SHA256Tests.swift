import Foundation
import Testing
import ShowTellModel

struct SHA256Tests {
    /// FIPS 180-4 / NIST CSRC example vectors.
    @Test("FIPS 180-4 vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func vectors(message: String, digest: String) {
        #expect(SHA256.hex(Array(message.utf8)) == digest)
    }

    @Test func millionA() {
        #expect(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Streaming in pieces of every size across block boundaries equals one call.
    @Test func incrementalEqualsOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }
        let whole = SHA256.hex(bytes)
        for piece in [1, 3, 55, 56, 63, 64, 65, 200] {
            var hash = SHA256()
            var start = 0
            while start < bytes.count {
                let end = min(start + piece, bytes.count)
                hash.update(Array(bytes[start..<end]))
                start = end
            }
            #expect(SHA256.hexString(hash.finalize()) == whole, "pieces of \(piece)")
        }
    }

    /// Padding lengths around the 55/56/64-byte boundaries, against coreutils sha256sum.
    @Test func agreesWithSha256sum() throws {
        let tool = "/usr/bin/sha256sum"
        guard FileManager.default.isExecutableFile(atPath: tool) else { return }
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 4097] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
            let path = NSTemporaryDirectory() + "sha-\(getpid())-\(length).bin"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = [path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(String(output.prefix(64)) == SHA256.hex(bytes), "length \(length)")
        }
    }
}
