import Foundation
import InferenceEngine
import NeuralCore
import Platform
import ShowTellModel
import Testing
import TestSupport

/// Float bundle -> calibrate -> int8 bundle, for a given D.
private func int8Bundle(dimension: Int, in folder: ScratchFolder, name: String, backbone: ResNeXtConfiguration = .edge,
                        audioBackbone: ResNeXtConfiguration? = nil) throws -> (float: ModelBundle, int8: String, quantization: NetworkQuantization) {
    let network = ShowTellNetwork(backbone: backbone, audioBackbone: audioBackbone, embeddingDimension: dimension, seed: 4)
    try ModelBundle.write(network: network, trained: false, notes: "test", to: folder.path + "/\(name)-float")
    let source = try ModelBundle.load(directory: folder.path + "/\(name)-float")
    let frame = (GoldenInference.frame(), GoldenInference.frameWidth, GoldenInference.frameHeight)
    let (quantization, calibration) = NetworkQuantization.calibrate(
        plans: PlannedInference.plans(for: source.network), method: .percentile(99.9), spectrograms: [GoldenInference.spectrogram()], frames: [frame])
    let out = folder.path + "/\(name)-int8"
    try Int8Bundle.write(source: source, quantization: quantization, method: calibration.description, calibrationInputs: calibration.inputs,
                         sessions: ["golden"], to: out)
    return (source, out, quantization)
}

private func outputs(_ model: ShowTellBranches) -> ([Float], [Float]) {
    let d = model.embeddingDimension, cells = model.mapWidth * model.mapHeight
    var audio = [Float](repeating: 0, count: d), map = [Float](repeating: 0, count: d * cells)
    GoldenInference.spectrogram().withUnsafeBufferPointer { model.audioEmbedding($0.baseAddress!, into: &audio) }
    GoldenInference.frame().withUnsafeBufferPointer { f in
        map.withUnsafeMutableBufferPointer { model.videoMap(f.baseAddress!, width: GoldenInference.frameWidth, height: GoldenInference.frameHeight, into: $0.baseAddress!) }
    }
    return (audio, map)
}

struct Int8BundleTests {
    /// What is written is what runs: the loaded bundle gives the in-memory int8 model's outputs bit for bit.
    @Test func roundTripIsExact() throws {
        let folder = ScratchFolder("showtell-int8")
        let (source, path, quantization) = try int8Bundle(dimension: 16, in: folder, name: "a")
        let (manifest, loaded) = try Int8Bundle.load(directory: path)
        #expect(manifest.precision == "int8" && loaded.precision == "int8")
        #expect(manifest.quantization?.sourceSha256 == source.manifest.sha256)
        #expect(manifest.quantization?.method == "percentile 99.9")
        #expect(manifest.inputs == source.manifest.inputs, "the front-end contract is carried over")
        let direct = PlannedInference(network: source.network, quantization: quantization)
        let (a1, m1) = outputs(loaded), (a2, m2) = outputs(direct)
        #expect(a1 == a2 && m1 == m2)
        // The float loader refuses it, saying what it is.
        #expect {
            _ = try ModelBundle.load(directory: path)
        } throws: { "\($0)".contains("int8 bundle") }
    }

    /// A listener with its own backbone (`train --audio-config`): the int8 bundle keeps the
    /// audio branch's architecture, plans it from it, and round-trips exactly.
    @Test func ownAudioBackboneQuantises() throws {
        let folder = ScratchFolder("showtell-int8")
        let (source, path, quantization) = try int8Bundle(dimension: 16, in: folder, name: "own", backbone: .edgeLocalStride8, audioBackbone: .edge)
        let (manifest, loaded) = try Int8Bundle.load(directory: path)
        #expect(manifest.backbone == "edge-local-os8" && manifest.audioBackbone == "edge")
        #expect(manifest.audioArchitecture == ModelManifest.Architecture(.edge))
        let plans = PlannedInference.plans(for: source.network)
        #expect(plans.audio.slots[plans.audio.backboneOutput].channels == 256 && plans.video.slots[plans.video.backboneOutput].channels == 128)
        let direct = PlannedInference(network: source.network, quantization: quantization)
        let (a1, m1) = outputs(loaded), (a2, m2) = outputs(direct)
        #expect(a1 == a2 && m1 == m2)
        // Close to the float bundle it came from (random weights, one calibration input).
        let (fa, _) = outputs(ShowTellInference(network: source.network))
        func norm(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let cosine = zip(a1, fa).reduce(0) { $0 + $1.0 * $1.1 } / (norm(a1) * norm(fa))
        #expect(cosine > 0.95, "int8 audio embedding cosine \(cosine) against float")
    }

    /// The int8 bundle carries golden values from its own engine; load checks them, so an
    /// edited manifest (or a broken engine) is refused naming the manifest.
    @Test func goldenValuesAreWrittenAndChecked() throws {
        let folder = ScratchFolder("showtell-int8")
        let (_, path, _) = try int8Bundle(dimension: 16, in: folder, name: "g")
        var manifest = try ModelBundle.readManifest(directory: path)
        let golden = try #require(manifest.golden)
        #expect(golden.audioNorm > 0 && golden.videoNorm > 0 && golden.audioHead.count == GoldenInference.headCount)
        _ = try Int8Bundle.load(directory: path)  // as written: accepted
        manifest.golden?.videoNorm *= 1.01
        try ModelBundle.write(weights: try FileIO.readAll(path + "/" + ModelBundle.weightsFile), manifest: manifest, to: path)
        #expect {
            _ = try Int8Bundle.load(directory: path)
        } throws: { "\($0)".contains("golden inference differs") && "\($0)".contains("int8") && "\($0)".contains(ModelBundle.manifestFile) }
    }

    @Test func refusesCorruptOrMismatchedBundles() throws {
        let folder = ScratchFolder("showtell-int8")
        let (_, path, _) = try int8Bundle(dimension: 16, in: folder, name: "a")
        let weightsPath = path + "/" + ModelBundle.weightsFile
        var bytes = try FileIO.readAll(weightsPath)
        let manifest = try ModelBundle.readManifest(directory: path)

        // One flipped byte: checksum mismatch.
        bytes[bytes.count - 3] ^= 0x40
        try FileIO.writeAtomically(weightsPath, bytes)
        #expect { _ = try Int8Bundle.load(directory: path) } throws: { "\($0)".contains("checksum mismatch") }

        // Weights of a D = 8 network under a D = 16 manifest (checksum made to match): shape named.
        let (_, other, _) = try int8Bundle(dimension: 8, in: folder, name: "b")
        try ModelBundle.write(weights: try FileIO.readAll(other + "/" + ModelBundle.weightsFile), manifest: manifest, to: path)
        #expect { _ = try Int8Bundle.load(directory: path) } throws: {
            "\($0)".contains("audio_projection.weight") && "\($0)".contains("[8, 256]")
        }

        // A missing activation parameter is named.
        var edited = manifest
        edited.quantization?.activations["video.stages.1.0.conv2"] = nil
        bytes[bytes.count - 3] ^= 0x40  // the original weights again
        try ModelBundle.write(weights: bytes, manifest: edited, to: path)
        #expect { _ = try Int8Bundle.load(directory: path) } throws: { "\($0)".contains("video.stages.1.0.conv2") }
    }
}
