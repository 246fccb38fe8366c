import Foundation
import InferenceEngine
import NeuralCore
import Platform
import ShowTellModel
import Testing
import TestSupport

/// A bundle whose front-end contract declares a live-image mask: the manifest keeps it and the
/// loader masks screen furniture, so once the tracker has seen the live part move, a change
/// confined to the furniture no longer changes the map (it does for a bundle without it).
struct LiveImageBundleTests {
    @Test func loaderMasksFurnitureWhenTheBundleSaysSo() throws {
        let folder = ScratchFolder("showtell-live-mask")
        let network = ShowTellNetwork(backbone: .tiny, embeddingDimension: 8, seed: 6)
        let spec = LiveImageMask(thresholdGray: 0.5, capGray: 4, dilation: 3)
        try ModelBundle.write(network: network, trained: false, notes: "test", liveImageMask: spec, to: folder.file("masked"))
        try ModelBundle.write(network: network, trained: false, notes: "test", to: folder.file("whole"))
        #expect(try ModelBundle.readManifest(directory: folder.file("masked")).inputs?.video.liveImageMask == spec)
        #expect(try ModelBundle.readManifest(directory: folder.file("whole")).inputs?.video.liveImageMask == nil)

        let width = 320, height = 240
        var random = RandomSource(seed: 4)
        // Live: the left half, new noise every frame. Furniture: the right half, a pattern
        // that only the last frame alters, far from the border (x >= 240).
        func frame(furniture: UInt8) -> [UInt8] {
            (0..<(width * height)).map { i in
                let x = i % width, y = i / width
                if x < width / 2 { return UInt8(truncatingIfNeeded: random.next() % 200) }
                return x >= 240 && (x + y) % 4 == 0 ? furniture : 90
            }
        }
        func maps(_ directory: String) throws -> (before: [Float], after: [Float]) {
            let (_, model) = try LoadedBundle.load(directory: directory)
            let cells = model.mapWidth * model.mapHeight, d = model.embeddingDimension
            var map = [Float](repeating: 0, count: d * cells)
            var live = [UInt8]()
            for _ in 0..<20 {
                live = frame(furniture: 200)
                live.withUnsafeBufferPointer { f in map.withUnsafeMutableBufferPointer { model.videoMap(f.baseAddress!, width: width, height: height, into: $0.baseAddress!) } }
            }
            var before = map, after = map
            live.withUnsafeBufferPointer { f in before.withUnsafeMutableBufferPointer { model.videoMap(f.baseAddress!, width: width, height: height, into: $0.baseAddress!) } }
            // Same live pixels, other furniture.
            let edited = live.enumerated().map { i, v in i % width >= 240 && (i % width + i / width) % 4 == 0 ? UInt8(10) : v }
            edited.withUnsafeBufferPointer { f in after.withUnsafeMutableBufferPointer { model.videoMap(f.baseAddress!, width: width, height: height, into: $0.baseAddress!) } }
            return (before, after)
        }
        let masked = try maps(folder.file("masked")), whole = try maps(folder.file("whole"))
        #expect(masked.before == masked.after, "furniture changed the masked bundle's map")
        #expect(whole.before != whole.after, "the unmasked bundle should see the furniture")
    }
}
