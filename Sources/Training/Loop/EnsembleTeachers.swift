import COpenBLAS
import NeuralCore
import ShowTellModel

/// The trained bundles whose summed map a student learns (`EnsembleDistillationLoss`): each
/// teacher's audio branch runs on the batch's spectrograms (running statistics, no gradient)
/// and gives u = W_vᵀ a in the shared video backbone's channel space; the targets are the mean.
/// Activations are made once; `targets` allocates nothing.
final class EnsembleTeachers {
    private let networks: [ShowTellNetwork]
    /// Each teacher's weights' SHA-256 (the run's provenance: a path may later hold another bundle).
    let checksums: [String]
    private let activations: [ResNeXtActivations]
    private let batch: Int
    private let channels: Int
    private let dimension: Int
    /// [N, D] scratch for one teacher's audio vectors.
    private let audio: UnsafeMutablePointer<Float>

    /// Loads `bundles` and checks that each can teach `student` (`loadSharingVideo`).
    init(bundles: [String], student: ShowTellNetwork, batch: Int, spectrogramSize: Int) throws {
        var networks: [ShowTellNetwork] = []
        var checksums: [String] = []
        for path in bundles {
            let bundle = try Self.loadSharingVideo(path, with: student, option: "--distill-from")
            networks.append(bundle.network)
            checksums.append(bundle.manifest.sha256)
        }
        guard !networks.isEmpty else { throw TrainingError("--distill-from: give at least one bundle") }
        self.networks = networks
        self.checksums = checksums
        activations = networks.map { $0.audio.makeActivations(batch: batch, height: spectrogramSize, width: spectrogramSize, training: false) }
        self.batch = batch
        channels = student.channels
        dimension = student.embeddingDimension
        audio = .allocate(capacity: batch * dimension)
    }

    deinit { audio.deallocate() }

    /// Loads the bundle at `path` and checks that its maps live in `student`'s channel space:
    /// same backbone weights (the student's frozen `--init-video` branch; another output
    /// stride of them, edge-local for an edge-local-os8 student, gives the same channels) and D.
    static func loadSharingVideo(_ path: String, with student: ShowTellNetwork, option: String) throws -> ModelBundle {
        let bundle: ModelBundle
        do { bundle = try ModelBundle.load(directory: path) } catch {
            throw TrainingError("\(option) \(path): \(error)")
        }
        let network = bundle.network
        guard network.backbone.sharesWeights(with: student.backbone), network.embeddingDimension == student.embeddingDimension else {
            throw TrainingError("\(option) \(path): backbone \(network.backbone.name), D = \(network.embeddingDimension); the student is \(student.backbone.name), D = \(student.embeddingDimension) (give bundles trained with the same --config, or edge-local ones for edge-local-os8)")
        }
        let studentVideo = Dictionary(uniqueKeysWithValues: student.tensors.filter { $0.name.hasPrefix("video.") }.map { ($0.name, $0) })
        for tensor in network.tensors where tensor.name.hasPrefix("video.") && !tensor.name.contains("running_") {
            let count = tensor.shape.reduce(1, *)
            guard let mine = studentVideo[tensor.name], (0..<count).allSatisfy({ mine.values[$0] == tensor.values[$0] }) else {
                throw TrainingError("\(option) \(path): its video branch differs from the student's (\(tensor.name)); the bundle and the student must share one frozen video branch: train the student with --init-video set to the bundle's and --video-lr-scale 0")
            }
        }
        return bundle
    }

    var count: Int { networks.count }

    /// spectrograms [N, 1, S, S] -> targets [N, C] = mean over teachers of W_vᵀ a.
    func targets(spectrograms: UnsafePointer<Float>, into targets: UnsafeMutablePointer<Float>) {
        let n = batch, c = channels, d = dimension
        targets.update(repeating: 0, count: n * c)
        let share = 1 / Float(networks.count)
        for (network, a) in zip(networks, activations) {
            a.input.data.update(from: spectrograms, count: a.input.count)
            network.audio.forward(a, training: false)
            // a [N, D] = pooled [N, C_a] x W_aᵀ [C_a, D] + b_a (the bundle's fusion-folded
            // projection; C_a is the teacher's own audio width)
            let ca = network.audioChannels
            for row in 0..<n { (audio + row * d).update(from: network.audioProjectionBias, count: d) }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(d), Int32(ca), 1,
                        a.pooled.data, Int32(ca), network.audioProjectionWeight, Int32(ca), 1, audio, Int32(d))
            // targets [N, C] += share · a [N, D] x W_v [D, C]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(c), Int32(d), share,
                        audio, Int32(d), network.videoProjectionWeight, Int32(c), 1, targets, Int32(c))
        }
    }
}
