import Foundation
import NeuralCore
import Testing
@testable import ShowTellModel
import TestSupport

extension ScratchFolder {
    var bundle: String { file("bundle") }
}

private func tinyNetwork(seed: UInt64 = 3, dimension: Int = 8) -> ShowTellNetwork {
    ShowTellNetwork(backbone: .tiny, embeddingDimension: dimension, seed: seed)
}

/// Loading must fail with `kind`, and the message must name the file.
private func expectFailure(_ directory: String, _ kind: ModelBundleError.Kind, file: String, mentions words: [String] = [],
                           sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try ModelBundle.load(directory: directory)
        Issue.record("loaded a bad bundle (expected \(kind))", sourceLocation: sourceLocation)
    } catch {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(file), "\(error)", sourceLocation: sourceLocation)
        for word in words { #expect(error.description.contains(word), "\(error) lacks \(word)", sourceLocation: sourceLocation) }
    }
}

private func editManifest(_ directory: String, _ edit: (inout [String: Any]) -> Void) throws {
    let path = directory + "/manifest.json"
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    edit(&object)
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
}

/// Writes `network`'s weights with a manifest describing `described` (checksum and size of
/// the weights actually written), bypassing the writer's own checks.
private func writeRaw(weightsOf network: ShowTellNetwork, manifestFor described: ShowTellNetwork, to directory: String) throws {
    var writer = SafeTensorsWriter()
    network.add(to: &writer)
    let weights = writer.encode()
    var manifest = ModelManifest.describing(described, trained: false, notes: "test", created: "2026-01-01T00:00:00Z",
                                            training: nil, producer: "test")
    manifest.sha256 = SHA256.hex(weights)
    manifest.bytes = weights.count
    try ModelBundle.writeFiles(weights: weights, manifest: ModelBundle.encode(manifest), to: directory)
}

struct ModelBundleTests {
    @Test func roundTripKeepsEveryWeight() throws {
        let scratch = ScratchFolder()
        let network = tinyNetwork()
        var summary = ModelManifest.TrainingSummary()
        summary.runID = "run-7"
        summary.metrics = ["f1_macro": 0.5]
        let written = try ModelBundle.write(network: network, trained: true, notes: "round trip", training: summary, to: scratch.bundle)
        let bundle = try ModelBundle.load(directory: scratch.bundle)
        #expect(bundle.manifest == written)
        #expect(bundle.manifest.trained && bundle.manifest.backbone == "tiny" && bundle.manifest.embeddingDimension == 8)
        #expect(bundle.manifest.parameters == network.parameterCount)
        #expect(bundle.manifest.training?.runID == "run-7")
        #expect(bundle.manifest.golden != nil)
        let original = network.tensors, loaded = bundle.network.tensors
        #expect(original.map(\.name) == loaded.map(\.name))
        for (a, b) in zip(original, loaded) {
            let count = a.shape.reduce(1, *)
            #expect(a.shape == b.shape)
            #expect(memcmp(a.values, b.values, 4 * count) == 0, "tensor \(a.name) differs after the round trip")
        }
        // Python tools read the manifest as it is: snake_case keys, checksum of the file on disk.
        let json = try String(contentsOfFile: scratch.bundle + "/manifest.json", encoding: .utf8)
        #expect(json.contains("\"embedding_dimension\" : 8") && json.contains("\"format\" : \"showtell-model/1\""))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.bundle + "/model.safetensors")))
        #expect(SHA256.hex(bytes) == written.sha256 && bytes.count == written.bytes)
        // The golden run reproduces.
        try bundle.verifyGolden(ShowTellInference(network: bundle.network))
    }

    /// A listener with its own backbone (`train --audio-config`): the manifest names it and
    /// describes its shape, loading builds it, and a bundle whose branches agree says nothing
    /// new (earlier manifests read and compare unchanged).
    @Test func ownAudioBackboneRoundTrips() throws {
        let scratch = ScratchFolder()
        let network = ShowTellNetwork(backbone: .tiny, audioBackbone: .edgeLocal, embeddingDimension: 8, seed: 3)
        #expect(network.hasOwnAudioBackbone && network.audioChannels == 128 && network.channels == 32)
        let written = try ModelBundle.write(network: network, trained: false, notes: "own audio", to: scratch.bundle)
        #expect(written.audioBackbone == "edge-local" && written.audioArchitecture == ModelManifest.Architecture(.edgeLocal))
        let bundle = try ModelBundle.load(directory: scratch.bundle)
        #expect(bundle.network.audioBackbone == .edgeLocal && bundle.network.backbone == .tiny)
        #expect(bundle.network.parameterCount == network.parameterCount)
        for (a, b) in zip(network.tensors, bundle.network.tensors) {
            #expect(a.name == b.name && a.shape == b.shape && memcmp(a.values, b.values, 4 * a.shape.reduce(1, *)) == 0, "\(a.name)")
        }
        #expect(bundle.network.tensors.first { $0.name == "audio_projection.weight" }?.shape == [8, 128])
        try bundle.verifyGolden(ShowTellInference(network: bundle.network))

        let same = try ModelBundle.write(network: tinyNetwork(), trained: false, notes: "", to: scratch.path + "/same")
        #expect(same.audioBackbone == nil && same.audioArchitecture == nil)
        let json = try String(contentsOfFile: scratch.path + "/same/manifest.json", encoding: .utf8)
        #expect(!json.contains("audio_backbone") && !json.contains("audio_architecture"))

        // Refusals name the key and the file.
        try editManifest(scratch.bundle) { $0["audio_backbone"] = "huge" }
        expectFailure(scratch.bundle, .unknownBackbone, file: "manifest.json", mentions: ["audio_backbone", "huge"])
        try editManifest(scratch.bundle) { $0["audio_backbone"] = "edge" }
        expectFailure(scratch.bundle, .tensorMismatch, file: "manifest.json", mentions: ["audio_backbone", "edge", "differs"])
        try editManifest(scratch.bundle) { $0["audio_architecture"] = nil }
        expectFailure(scratch.bundle, .tensorMismatch, file: "model.safetensors", mentions: ["tiny video, edge audio"])
    }

    @Test func initIsDeterministic() throws {
        let scratch = ScratchFolder()
        let a = try ModelBundle.write(network: tinyNetwork(seed: 5), trained: false, notes: "", to: scratch.path + "/a")
        let b = try ModelBundle.write(network: tinyNetwork(seed: 5), trained: false, notes: "", to: scratch.path + "/b")
        let c = try ModelBundle.write(network: tinyNetwork(seed: 6), trained: false, notes: "", to: scratch.path + "/c")
        #expect(a.sha256 == b.sha256)
        #expect(a.golden == b.golden)
        #expect(a.sha256 != c.sha256)
        let fileA = try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/a/model.safetensors"))
        let fileB = try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/b/model.safetensors"))
        #expect(fileA == fileB)
    }

    @Test func corruptByteIsAChecksumMismatch() throws {
        let scratch = ScratchFolder()
        let manifest = try ModelBundle.write(network: tinyNetwork(), trained: false, notes: "", to: scratch.bundle)
        let path = scratch.bundle + "/model.safetensors"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 100] ^= 0x01  // one bit of a weight
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        expectFailure(scratch.bundle, .checksumMismatch, file: "model.safetensors",
                      mentions: ["checksum mismatch", String(manifest.sha256.prefix(12)), String(SHA256.hex(bytes).prefix(12)), "reinstall"])
    }

    @Test func truncatedFile() throws {
        let scratch = ScratchFolder()
        try ModelBundle.write(network: tinyNetwork(), trained: false, notes: "", to: scratch.bundle)
        let path = scratch.bundle + "/model.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        expectFailure(scratch.bundle, .truncated, file: "model.safetensors", mentions: ["truncated", "\(bytes.count / 2) of \(bytes.count)"])
        // Without a recorded size the checksum still catches it.
        try editManifest(scratch.bundle) { $0["bytes"] = nil }
        expectFailure(scratch.bundle, .checksumMismatch, file: "model.safetensors")
    }

    @Test func missingPieces() throws {
        let scratch = ScratchFolder()
        expectFailure(scratch.path + "/nowhere", .directoryMissing, file: "nowhere")
        try ModelBundle.write(network: tinyNetwork(), trained: false, notes: "", to: scratch.bundle)
        try FileManager.default.removeItem(atPath: scratch.bundle + "/model.safetensors")
        expectFailure(scratch.bundle, .weightsMissing, file: "model.safetensors", mentions: ["missing"])
        try FileManager.default.removeItem(atPath: scratch.bundle + "/manifest.json")
        expectFailure(scratch.bundle, .manifestMissing, file: "manifest.json", mentions: ["missing"])
    }

    @Test func manifestProblems() throws {
        let scratch = ScratchFolder()
        try ModelBundle.write(network: tinyNetwork(), trained: false, notes: "", to: scratch.bundle)
        try editManifest(scratch.bundle) { $0["format"] = "showtell-model/2" }
        expectFailure(scratch.bundle, .unknownFormat, file: "manifest.json", mentions: ["showtell-model/2"])
        try editManifest(scratch.bundle) { $0["format"] = "showtell-model/1"; $0["sha256"] = nil }
        expectFailure(scratch.bundle, .manifestInvalid, file: "manifest.json", mentions: ["sha256"])
        try editManifest(scratch.bundle) { $0["sha256"] = String(repeating: "0", count: 64); $0["embedding_dimension"] = "eight" }
        expectFailure(scratch.bundle, .manifestInvalid, file: "manifest.json", mentions: ["embedding_dimension", "integer"])
        try editManifest(scratch.bundle) { $0["embedding_dimension"] = 8; $0["backbone"] = "resnet152" }
        expectFailure(scratch.bundle, .unknownBackbone, file: "manifest.json", mentions: ["resnet152"])
        try "{ not json".write(toFile: scratch.bundle + "/manifest.json", atomically: true, encoding: .utf8)
        expectFailure(scratch.bundle, .manifestInvalid, file: "manifest.json", mentions: ["not valid JSON"])
    }

    /// The writer records where the cells are placed (`MapCoverage`); the crop that earlier
    /// bundles recorded still loads (their cells are placed by the backbone too); any other
    /// placement is refused, naming the field.
    @Test func mapCoverageIsWhereThisBuildPlacesTheCells() throws {
        let scratch = ScratchFolder()
        let network = tinyNetwork()
        let manifest = try ModelBundle.write(network: network, trained: false, notes: "", to: scratch.bundle)
        let placed = MapCoverage.of(network.backbone, mapWidth: network.videoMapSize.width, mapHeight: network.videoMapSize.height)
        #expect(manifest.outputs?.mapCoverage == [placed.x, placed.y, placed.width, placed.height])
        #expect(placed.x < 0.0625)  // the cells start before the crop
        _ = try ModelBundle.load(directory: scratch.bundle)
        func setCoverage(_ values: [Double]) throws {
            try editManifest(scratch.bundle) { object in
                var outputs = object["outputs"] as! [String: Any]
                outputs["map_coverage"] = values
                object["outputs"] = outputs
            }
        }
        try setCoverage([0.0625, 0.0625, 0.875, 0.875])
        _ = try ModelBundle.load(directory: scratch.bundle)
        try setCoverage([0.1, 0.1, 0.8, 0.8])
        expectFailure(scratch.bundle, .manifestInvalid, file: "manifest.json", mentions: ["map_coverage", "another tool or version"])
    }

    /// Errors speak JSON: an array manifest said `should be Dictionary<String, Any>`.
    @Test func manifestKindErrorsNameJSONKindsNotSwiftTypes() throws {
        let scratch = ScratchFolder()
        try ModelBundle.write(network: tinyNetwork(), trained: false, notes: "", to: scratch.bundle)
        let manifest = scratch.bundle + "/manifest.json"
        for (text, found) in [("[1, 2]", "an array"), ("\"text\"", "a string"), ("42", "a number")] {
            try text.write(toFile: manifest, atomically: true, encoding: .utf8)
            expectFailure(scratch.bundle, .manifestInvalid, file: "manifest.json", mentions: ["should be a JSON object", found])
        }
        try ModelBundle.write(network: tinyNetwork(), trained: false, notes: "", to: scratch.bundle)
        try editManifest(scratch.bundle) { $0["inputs"] = [1, 2, 3] }
        do { _ = try ModelBundle.load(directory: scratch.bundle); Issue.record("accepted inputs: [1, 2, 3]") } catch {
            #expect(error.description.contains("\"inputs\" should be an object"), "\(error)")
            #expect(!error.description.contains("Dictionary"), "\(error)")
        }
    }

    @Test func wrongShapeTensor() throws {
        let scratch = ScratchFolder()
        // Weights for D = 8, manifest for D = 16: the projections do not fit.
        try writeRaw(weightsOf: tinyNetwork(dimension: 8), manifestFor: tinyNetwork(dimension: 16), to: scratch.bundle)
        expectFailure(scratch.bundle, .tensorMismatch, file: "model.safetensors", mentions: ["video_projection.weight", "[8, 32]", "[16, 32]"])
        // Weights of another backbone: the first backbone tensor is named.
        let other = ShowTellNetwork(backbone: .edge, embeddingDimension: 8, seed: 1)
        try writeRaw(weightsOf: other, manifestFor: tinyNetwork(dimension: 8), to: scratch.bundle)
        expectFailure(scratch.bundle, .tensorMismatch, file: "model.safetensors", mentions: ["video.stem.conv.weight"])
    }

    @Test func nonFiniteWeight() throws {
        let scratch = ScratchFolder()
        let network = tinyNetwork()
        let target = network.tensors.first { $0.name == "audio.stages.1.0.conv2.conv.weight" }!
        target.values[5] = .nan
        #expect(throws: ModelBundleError.self) { try ModelBundle.write(network: network, trained: true, notes: "", to: scratch.bundle) }
        #expect(!FileManager.default.fileExists(atPath: scratch.bundle), "a refused write leaves nothing behind")
        try writeRaw(weightsOf: network, manifestFor: network, to: scratch.bundle)
        expectFailure(scratch.bundle, .nonFinite, file: "model.safetensors", mentions: ["audio.stages.1.0.conv2.conv.weight", "element 5"])
        target.values[5] = .infinity
        try writeRaw(weightsOf: network, manifestFor: network, to: scratch.bundle)
        expectFailure(scratch.bundle, .nonFinite, file: "model.safetensors", mentions: ["inf"])
    }

    @Test func replacesABundleAtomicallyAndRefusesOtherDirectories() throws {
        let scratch = ScratchFolder()
        try ModelBundle.write(network: tinyNetwork(seed: 1), trained: false, notes: "first", to: scratch.bundle)
        let second = try ModelBundle.write(network: tinyNetwork(seed: 2), trained: false, notes: "second", to: scratch.bundle)
        #expect(try ModelBundle.load(directory: scratch.bundle).manifest == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["bundle"], "no temporary or old directories left")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.bundle).sorted() == ["manifest.json", "model.safetensors"])
        let precious = scratch.path + "/photos"
        try FileManager.default.createDirectory(atPath: precious, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: precious + "/a.jpg"))
        do {
            try ModelBundle.write(network: tinyNetwork(), trained: false, notes: "", to: precious)
            Issue.record("replaced a directory that is not a bundle")
        } catch {
            #expect(error.kind == .writeFailed && error.description.contains("not a model bundle"))
        }
        #expect(FileManager.default.fileExists(atPath: precious + "/a.jpg"))
    }

    @Test func goldenMismatchIsReported() throws {
        let scratch = ScratchFolder()
        try ModelBundle.write(network: tinyNetwork(), trained: false, notes: "", to: scratch.bundle)
        try editManifest(scratch.bundle) { object in
            var golden = object["golden"] as! [String: Any]
            golden["audio_norm"] = (golden["audio_norm"] as! Double) * 1.01
            object["golden"] = golden
        }
        let bundle = try ModelBundle.load(directory: scratch.bundle)  // weights are fine
        do {
            try bundle.verifyGolden(ShowTellInference(network: bundle.network))
            Issue.record("golden mismatch not detected")
        } catch {
            #expect(error.kind == .goldenMismatch && error.description.contains("audio embedding norm"))
        }
    }

    /// One recorded map value off by 1 % of a typical element (norm / √count) is caught:
    /// each value is compared against a typical element of its output; against the whole
    /// map's norm (as before) it passed.
    @Test func goldenCatchesOneValueOffByOnePercentOfATypicalElement() throws {
        let scratch = ScratchFolder()
        let manifest = try ModelBundle.write(network: tinyNetwork(), trained: false, notes: "", to: scratch.bundle)
        let count = try #require(manifest.outputs?.videoMap).reduce(1, *)
        try editManifest(scratch.bundle) { object in
            var golden = object["golden"] as! [String: Any]
            var head = golden["video_head"] as! [Double]
            head[0] += 0.01 * (golden["video_norm"] as! Double) / Double(count).squareRoot()
            golden["video_head"] = head
            object["golden"] = golden
        }
        let bundle = try ModelBundle.load(directory: scratch.bundle)
        let error = #expect(throws: ModelBundleError.self) { try bundle.verifyGolden(ShowTellInference(network: bundle.network)) }
        #expect(error?.kind == .goldenMismatch && error?.description.contains("video map value") == true, "\(String(describing: error))")
    }

    @Test func timestampIsISO8601() {
        let stamp = ModelBundle.timestamp()
        #expect(stamp.count == 20 && stamp.hasSuffix("Z") && stamp.dropFirst(10).first == "T")
        #expect(ModelBundle.timestamp(at: 86400) == "1970-01-02T00:00:00Z")
        #expect(ModelBundle.timestamp(at: 1_795_737_599) == "2026-11-26T23:59:59Z")
    }
}
