import Foundation

/// Every parser that reads outside data, by the name `./build.sh fuzz` and the corpus folders
/// (Tests/Fuzz/corpus/<name>, Tests/Fuzz/regressions/<name>) use. A target's one contract:
/// any input returns (or throws inside), never traps. Shared by the libFuzzer executable and
/// the plain regression test, so both exercise exactly the same calls.
public enum FuzzTarget {
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "wav": fuzzWAV,
        "avi": fuzzAVI,
        "jpeg": fuzzJPEG,
        "safetensors": fuzzSafeTensors,
        "manifest": fuzzManifest,
        "config": fuzzConfig,
        "webvtt": fuzzWebVTT,
        "labels": fuzzLabels,
        "control": fuzzControl,
    ]
}

/// A per-process scratch file for the parsers that read paths (AVI, model bundles).
func scratchPath(_ name: String) -> String {
    let folder = NSTemporaryDirectory() + "showtell-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder + "/" + name
}
