import NeuralTestSupport
import Foundation
import Testing
@testable import NeuralCore

struct SafeTensorsTests {
    @Test func readsFileWrittenByPythonSafetensors() throws {
        let file = Fixtures.reference
        #expect(file.metadata["generator"] == "Tests/FixtureScripts/neural_reference.py")
        #expect(try file.floats("interop.f64") == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(file.info("interop.f64")?.shape == [2, 3])
        #expect(try file.integers("interop.i32") == [-1, 0, 7])
        #expect(file.info("conv.0.input")?.dtype == "F32")
        #expect(throws: SafeTensorsError.self) { try file.floats("interop.i32") }
        #expect(throws: SafeTensorsError.self) { try file.floats("no.such.tensor") }
    }

    @Test func roundTripsAndIsReadableByPython() throws {
        var writer = SafeTensorsWriter()
        writer.metadata = ["writer": "showtell", "note": "quote \" and newline \n"]
        writer.add("swift.values", shape: [3, 4], floats: (0..<12).map { Float($0) * 0.5 })
        writer.add("swift.labels", shape: [3], integers: [0, -1, 1 << 40])
        let bytes = writer.encode()
        #expect(Int(UInt64(littleEndianBytes: bytes, at: 0)) % 8 == 0, "data section starts 8-byte aligned")
        let file = try SafeTensorsFile(bytes: bytes)
        #expect(try file.floats("swift.values") == (0..<12).map { Float($0) * 0.5 })
        #expect(try file.integers("swift.labels") == [0, -1, 1 << 40])
        #expect(file.metadata == writer.metadata)
        // For Tests/FixtureScripts/neural_reference.py --verify-swift (Python reads ours).
        let path = NSTemporaryDirectory() + "/neural_swift_written.safetensors"
        try writer.write(path: path)
        #expect(try SafeTensorsFile.read(path: path).tensors.count == 2)
    }

    /// Each corruption must be rejected with a message naming the problem.
    @Test("rejects corrupt files", arguments: [
        ("truncated before header length", "shorter than the 8-byte header length"),
        ("header longer than file", "file truncated: header claims"),
        ("data cut short", "file truncated"),
        ("header not JSON", "not valid JSON"),
        ("bad dtype", "unknown dtype"),
        ("size mismatch", "needs 16 bytes but data_offsets span 12"),
        ("overlapping tensors", "overlaps"),
        ("trailing bytes", "trailing bytes"),
        ("huge header length", "exceeds the 100 MB limit"),
    ])
    func rejectsCorruptFiles(_ corruption: (name: String, message: String)) {
        func file(_ header: String, dataBytes: Int) -> [UInt8] {
            var bytes = [UInt8]()
            bytes.appendLittleEndian(UInt64(header.utf8.count))
            return bytes + Array(header.utf8) + [UInt8](repeating: 0, count: dataBytes)
        }
        let good = #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
        let bytes: [UInt8]
        switch corruption.name {
        case "truncated before header length": bytes = [1, 2, 3]
        case "header longer than file": bytes = Array(file(good, dataBytes: 16).prefix(30))
        case "data cut short": bytes = Array(file(good, dataBytes: 16).dropLast(4))
        case "header not JSON": bytes = file(#"{"a": [1, 2"#, dataBytes: 0)
        case "bad dtype": bytes = file(#"{"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 8)
        case "size mismatch": bytes = file(#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, dataBytes: 12)
        case "overlapping tensors":
            bytes = file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12)
        case "trailing bytes": bytes = file(good, dataBytes: 20)
        default: bytes = [0, 0, 0, 0, 0, 0, 0, 0x7F] + Array(good.utf8)
        }
        do {
            _ = try SafeTensorsFile(bytes: bytes)
            Issue.record("accepted a file with \(corruption.name)")
        } catch {
            #expect(error.message.contains(corruption.message), "\(corruption.name): \(error.message)")
        }
    }
}
