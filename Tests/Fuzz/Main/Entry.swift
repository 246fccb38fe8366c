import FuzzTargets
import Foundation

/// The libFuzzer entry point (this executable is linked with `-sanitize=fuzzer`, whose runtime
/// provides `main`). One binary holds every target, so the sanitized modules are built once;
/// `SHOWTELL_FUZZ_TARGET` picks the parser.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selectedTarget(bytes)
    return 0
}

let selectedTarget: @Sendable ([UInt8]) -> Void = {
    let name = ProcessInfo.processInfo.environment["SHOWTELL_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.all[name] else {
        FileHandle.standardError.write(Data("set SHOWTELL_FUZZ_TARGET to one of: \(FuzzTarget.all.keys.sorted().joined(separator: " "))\n".utf8))
        exit(2)
    }
    return target
}()
