import Foundation
import ShowTellModel

/// A model bundle's manifest.json, through the loader the daemon and `model info` use.
@Sendable func fuzzManifest(_ bytes: [UInt8]) {
    let folder = scratchPath("bundle")
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    guard FileManager.default.createFile(atPath: folder + "/manifest.json", contents: Data(bytes)) else { return }
    _ = try? ModelBundle.readManifest(directory: folder)
}
