import Foundation
import FuzzTargets
import Testing

/// Every committed fuzz input, replayed through the same calls the fuzzer makes, without the
/// fuzzer: the seeds (Tests/Fuzz/corpus) and every crash the fuzzer found and we fixed
/// (Tests/Fuzz/regressions). A regression traps this test process, so it cannot pass silently.
@Suite struct FuzzCorpusReplayTests {
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    static func inputs(_ kind: String, _ target: String) -> [URL] {
        let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.all.keys.sorted())
    func seedsAndRegressionsReturn(target: String) throws {
        let seeds = Self.inputs("corpus", target)
        #expect(!seeds.isEmpty, "Tests/Fuzz/corpus/\(target) has no seed (./build.sh fixtures makes them)")
        let run = try #require(FuzzTarget.all[target])
        for input in seeds + Self.inputs("regressions", target) {
            run(Array(try Data(contentsOf: input)))
        }
    }
}
