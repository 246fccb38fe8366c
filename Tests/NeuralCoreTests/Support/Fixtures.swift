import Foundation
import NeuralCore
import NeuralTestSupport

/// The reference fixture written by Tests/FixtureScripts/neural_reference.py.
enum Fixtures {
    static func path(_ name: String) -> String {
        Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures")
            ?? Bundle.module.bundlePath + "/Fixtures/" + name
    }

    static let reference: SafeTensorsFile = {
        do { return try SafeTensorsFile.read(path: path("neural_reference.safetensors")) } catch {
            fatalError("cannot read reference fixture: \(error)")
        }
    }()

    static func buffer(_ name: String) -> TestBuffer {
        do { return TestBuffer(try reference.floats(name)) } catch { fatalError("\(error)") }
    }

    static func integers(_ name: String) -> [Int] {
        do { return try reference.integers(name) } catch { fatalError("\(error)") }
    }
}

/// Largest |a - b| / (atol + rtol * |b|) over two arrays: <= 1 means they agree.
func agreement(_ a: [Float], _ b: [Float], atol: Float = 1e-5, rtol: Float = 1e-4) -> Float {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i]) / (atol + rtol * abs(b[i]))) }
    return worst
}
