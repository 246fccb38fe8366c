import Foundation
import NeuralCore
import Platform
import ShowTellModel
import Testing
@testable import Training

/// The distillation targets are what the ensemble draws: for teachers sharing one video
/// backbone, the sum of their maps <a_k, W_vk F + b_vk> over a frame's cells differs from
/// K·<u, F> by one constant, so both peak on the same cell. A teacher with another video
/// branch is refused.
@Suite struct EnsembleDistillationTests {
    let spectrogramSide = 16, imageSide = 32

    /// `network` with `source`'s video backbone (weights and running statistics).
    static func shareVideo(_ network: ShowTellNetwork, from source: ShowTellNetwork) {
        let video = Dictionary(uniqueKeysWithValues: source.tensors.filter { $0.name.hasPrefix("video.") }.map { ($0.name, $0) })
        for tensor in network.tensors where tensor.name.hasPrefix("video.") {
            tensor.values.update(from: video[tensor.name]!.values, count: tensor.shape.reduce(1, *))
        }
    }

    /// The trained bundle's audio vector by plain loops: pooled features, then W_a p + b_a.
    func audioVector(_ network: ShowTellNetwork, spectrogram: [Float]) -> [Double] {
        let a = network.audio.makeActivations(batch: 1, height: spectrogramSide, width: spectrogramSide, training: false)
        a.input.data.update(from: spectrogram, count: spectrogram.count)
        network.audio.forward(a, training: false)
        let c = network.audioChannels, d = network.embeddingDimension
        return (0..<d).map { k in
            (0..<c).reduce(Double(network.audioProjectionBias[k])) { $0 + Double(network.audioProjectionWeight[k * c + $1]) * Double(a.pooled.data[$1]) }
        }
    }

    @Test func targetsDrawTheEnsemblesMap() throws {
        let directory = NSTemporaryDirectory() + "showtell-distill-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let student = ShowTellNetwork(backbone: .tiny, embeddingDimension: 6, seed: 1)
        var teachers: [ShowTellNetwork] = []
        for seed in [2, 3] as [UInt64] {
            // The second teacher's audio branch has its own, wider backbone (`--audio-config`).
            let teacher = ShowTellNetwork(backbone: .tiny, audioBackbone: seed == 3 ? .edgeLocal : nil, embeddingDimension: 6, seed: seed)
            Self.shareVideo(teacher, from: student)
            try ModelBundle.write(network: teacher, trained: true, notes: "teacher", to: directory + "/t\(seed)")
            teachers.append(try ModelBundle.load(directory: directory + "/t\(seed)").network)
        }
        let batch = 2, c = student.channels, d = student.embeddingDimension
        let ensemble = try EnsembleTeachers(bundles: [directory + "/t2", directory + "/t3"], student: student, batch: batch,
                                            spectrogramSize: spectrogramSide)
        var random = RandomSource(seed: 5)
        var spectrograms = [Float](repeating: 0, count: batch * spectrogramSide * spectrogramSide)
        random.fillGaussian(&spectrograms, count: spectrograms.count, std: 1)
        var targets = [Float](repeating: .nan, count: batch * c)
        spectrograms.withUnsafeBufferPointer { s in targets.withUnsafeMutableBufferPointer { ensemble.targets(spectrograms: s.baseAddress!, into: $0.baseAddress!) } }

        let frame = student.video.makeActivations(batch: 1, height: imageSide, width: imageSide, training: false)
        random.fillGaussian(frame.input.data, count: frame.input.count, std: 1)
        student.video.forward(frame, training: false)
        let features = frame.spatialMap.data, cells = frame.spatialMap.count / c  // F [C][cells]
        for n in 0..<batch {
            let spectrogram = Array(spectrograms[(n * spectrogramSide * spectrogramSide)..<((n + 1) * spectrogramSide * spectrogramSide)])
            let vectors = teachers.map { audioVector($0, spectrogram: spectrogram) }
            var offsets: [Double] = []
            for cell in 0..<cells {
                var summed = 0.0
                for (teacher, a) in zip(teachers, vectors) {
                    for k in 0..<d {
                        var v = Double(teacher.videoProjectionBias[k])
                        for ch in 0..<c { v += Double(teacher.videoProjectionWeight[k * c + ch]) * Double(features[ch * cells + cell]) }
                        summed += a[k] * v
                    }
                }
                let fromTargets = (0..<c).reduce(0.0) { $0 + Double(targets[n * c + $1]) * Double(features[$1 * cells + cell]) }
                offsets.append(summed - Double(teachers.count) * fromTargets)
            }
            let scale = offsets.map(abs).max()! + 1
            #expect(offsets.max()! - offsets.min()! < 1e-4 * scale, "clip \(n): \(offsets)")
        }

        let stranger = ShowTellNetwork(backbone: .tiny, embeddingDimension: 6, seed: 9)
        try ModelBundle.write(network: stranger, trained: true, notes: "other video branch", to: directory + "/stranger")
        let error = #expect(throws: TrainingError.self) {
            try EnsembleTeachers(bundles: [directory + "/stranger"], student: student, batch: batch, spectrogramSize: spectrogramSide)
        }
        #expect(error?.description.contains("--init-video") == true, "\(String(describing: error))")
    }

    /// The targets live in the backbone's channel space, so a bundle may teach a student that
    /// runs the same weights at another output stride (edge-local -> edge-local-os8); a
    /// backbone with other tensors may not.
    @Test func teachersMayDifferOnlyInStride() throws {
        let directory = NSTemporaryDirectory() + "showtell-distill-stride-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let student = ShowTellNetwork(backbone: .edgeLocalStride8, embeddingDimension: 6, seed: 1)
        let teacher = ShowTellNetwork(backbone: .edgeLocal, embeddingDimension: 6, seed: 2)
        Self.shareVideo(teacher, from: student)
        try ModelBundle.write(network: teacher, trained: true, notes: "coarser teacher", to: directory + "/coarse")
        let ensemble = try EnsembleTeachers(bundles: [directory + "/coarse"], student: student, batch: 1, spectrogramSize: spectrogramSide)
        #expect(ensemble.count == 1)

        let other = ShowTellNetwork(backbone: .edge, embeddingDimension: 6, seed: 3)
        try ModelBundle.write(network: other, trained: true, notes: "other backbone", to: directory + "/edge")
        let error = #expect(throws: TrainingError.self) {
            try EnsembleTeachers(bundles: [directory + "/edge"], student: student, batch: 1, spectrogramSize: spectrogramSide)
        }
        #expect(error?.description.contains("--config") == true, "\(String(describing: error))")
    }
}
