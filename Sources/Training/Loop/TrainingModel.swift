import Glibc
import COpenBLAS
import NeuralCore
import ShowTellModel

/// Loss values of one step, each before weighting (NaN when the variant lacks the term).
public struct LossTerms: Sendable {
    public var total: Float = 0
    public var baseAudio: Float = .nan
    public var baseText: Float = .nan
    public var contraAudio: Float = .nan
    public var contraText: Float = .nan
    public var order: Float = .nan
    /// Audio taught by text: relative squared distance of a to t (`alignAudioToText`).
    public var alignAudio: Float = .nan
    /// Overlap of two differently named words' cell weights on one picture (`SeparationLoss`).
    public var separation: Float = .nan
    /// Dense cell correspondence between two views of a frame (`CellCorrespondenceLoss`, video-cells).
    public var cells: Float = .nan
    /// The audio branch naming the ASR keyword (`KeywordListeningLoss`).
    public var listen: Float = .nan
    /// The audio map taught by trained runs' summed map (`EnsembleDistillationLoss`).
    public var distill: Float = .nan
    public static let names = ["base_va", "base_vt", "contra_va", "contra_vt", "order", "align_at", "sep_va", "cells_v", "listen_a", "distill_a"]
    public var values: [Float] { [baseAudio, baseText, contraAudio, contraText, order, alignAudio, separation, cells, listen, distill] }
}

/// One batch's inputs besides the images (which go straight into the backbones' arenas).
public struct BatchInputs {
    /// negatives[i]: a column that is a valid negative for row i (BCE), or -1.
    public var negatives: [Int]
    /// [N, N]: 1 where column j is a valid negative for row i (contrastive denominators).
    public var negativeMask: [Float]
    /// [N, L, E] word vectors and [N, L] gate masks.
    public var embeddings: [Float]
    public var wordMask: [Float]
    /// Video-only: per clip, true when its two frames are presented swapped.
    public var swapped: [Bool]
    /// Pairs for `SeparationLoss` (empty unless `cellSeparation` > 0).
    public var separationPairs: [SeparationLoss.Pair] = []
    /// [N, S]: 1 where clip n's (first) training image shows something in cell s (`SeparationLoss.visibleCells`).
    public var visibleCells: [Float] = []
    /// video-cells: rows (image·S + cell of the [N·F·S, D] cell embeddings) of the anchors
    /// and of their positives, the same place in the clip's other view (`FrameView`).
    public var cellAnchors: [Int32] = []
    public var cellPositives: [Int32] = []
    /// [N, K + 1] keyword targets of `KeywordListeningLoss` (empty unless `listen` > 0).
    public var listenTargets: [Float] = []
    /// [N, C] each clip's keyword direction (`KeywordDirections.targets`; empty unless `keywordDirections` > 0).
    public var directionTargets: [Float] = []
    /// [N] each clip's multiplier of the keyword-direction share (`keywordDirectionsByShare`; empty: 1).
    public var directionShares: [Float] = []
}

/// The whole framework as one model (llm.c style: plain forward/backward over buffers):
///
///   frames [N·F, 1, 224, 224] -> video ResNeXt -> spatial [N·F, C, S] -> mean over F ->
///     Vfeat [N, C, S] -> 1×1 projection -> V [N, D, S]
///   spectrograms [N, 1, 256, 256] -> audio ResNeXt -> pooled [N, C_a] -> linear -> a [N, D]
///   words [N, L] -> word vectors [N, L, E] -> TextEncoder (FC, FC, SIG) -> t [N, D]
///   fusion(V, a) -> logits [N, N];  fusion(V, t) -> logits [N, N]  -> L_base, L_contra (eq. 4)
///
/// The backbones live in a `ShowTellNetwork` (so a trained model saves as the deployed bundle
/// with the same tensor names); projections, fusion heads and the text branch live in one
/// `heads` ParameterStore with gradients (the bundle's projection tensors are copied from it).
public final class TrainingModel: @unchecked Sendable {
    public let configuration: TrainingConfiguration
    public let network: ShowTellNetwork
    public let heads: ParameterStore
    public let video: ResNeXtActivations
    public let audio: ResNeXtActivations?
    public let wordDimension: Int
    /// C: channels of the video map.
    public let channels: Int
    /// C_a: channels of the audio branch's pooled vector (C unless --audio-config).
    public let audioChannels: Int
    public let cells: Int
    public let mapSide: Int

    private let work: Arena
    // Offsets in `work`, shapes in comments.
    private let vfeat, vmap, vmapGrad, vfeatGrad: Int  // [N,C,S], [N,D,S], [N,D,S], [C,S]
    private let audioEmbedding, audioGrad, textEmbedding, textGrad: Int  // [N,D] each
    private let logitsA, logitsAGrad, logitsT, logitsTGrad: Int  // [N,N] each
    private let fusionScratchA, fusionScratchT, textScratch, gates: Int
    private let embeddingsOffset, maskOffset: Int  // [N,L,E], [N,L]
    private let negativeMaskOffset: Int  // [N,N]
    private let cellGradOffset: Int  // [N,N,S] (SeparationLoss), empty without it
    // video-cells only (else empty): [N·F·S, D] cell embeddings before and after L2
    // normalisation (the first reused for its gradient), the latter's gradient, norms [N·F·S], loss scratch.
    private let cellsU, cellsZ, cellsZGrad, cellsNorms, cellsScratch: Int
    // listen only (else empty): keyword logits [N, K + 1] and their gradient.
    private let listenLogits, listenLogitsGrad: Int
    private var listenClassCount: Int { configuration.listenClasses.count + 1 }
    // distill only (else empty): the student's and the teachers' vectors [N, C] and a [C] scratch.
    private let distillStudent, distillTargets, distillScratch: Int
    // keyword directions only (else empty): a map [S] for `KeywordDirections.mix`.
    private let directionScratch: Int
    // distill with spectrogram augmentation only (else empty): the batch's spectrograms before
    // the warp and masking [N, 1, S, S], what the teachers hear.
    private let teacherSpectrograms: Int
    /// The bundles `distill` learns from (set by `TrainingRun` once the video branch is loaded).
    var teachers: EnsembleTeachers?

    private let textGeometry: TextGeometry
    private let spatialGeometry: SpatialFusionGeometry
    private let concatGeometry: ConcatFusionGeometry

    public var threads: Int {
        get { network.threads }
        set { network.threads = newValue }
    }

    public init(_ c: TrainingConfiguration, wordDimension: Int) throws {
        guard c.variant != .supervised else {
            throw TrainingError("variant supervised needs plane labels from the prep helper's ground-truth module, which is not merged; train it once that exists")
        }
        guard c.variant != .videoOnly || c.framesPerClip == 2 else { throw TrainingError("video-only (frame order) needs --frames-per-clip 2") }
        guard c.variant != .videoCells || (c.framesPerClip == 2 && c.frameMosaic == nil) else {
            throw TrainingError("video-cells needs --frames-per-clip 2 (its two views of a clip go through the two frame slots) and no --mosaic")
        }
        guard c.listen == 0 || (c.variant.usesAudio && !c.listenClasses.isEmpty) else {
            throw TrainingError("--listen needs a variant with audio and a keyword dictionary with at least one anatomy")
        }
        guard c.cellSeparation == 0 || (c.variant.usesAudio && c.variant.fusion == .spatial && c.pooling == .lse) else {
            throw TrainingError("--cell-separation needs a variant with audio and spatial fusion and --pooling lse (its cell weights are the pooling's softmax)")
        }
        guard c.distill == 0 || (c.variant.usesAudio && c.variant.fusion == .spatial && c.videoLearningRateScale == 0) else {
            throw TrainingError("--distill-from needs a variant with audio and spatial fusion and a frozen video branch (--init-video with --video-lr-scale 0): the teachers' maps are compared in that branch's channels")
        }
        guard c.keywordDirections == 0 || (c.distill > 0 && c.keywordDirections <= 1 && c.keywordSpace != nil) else {
            throw TrainingError("--keyword-directions needs --distill-from (the directions are mixed into the teachers' targets), --keyword-space BUNDLE and a share from 0 to 1")
        }
        configuration = c
        self.wordDimension = wordDimension
        network = ShowTellNetwork(backbone: c.backbone, audioBackbone: c.audioBackbone, embeddingDimension: c.dimension, seed: c.seed)
        channels = c.backbone.outputChannels
        audioChannels = network.audioChannels
        mapSide = ShowTellNetwork.mapSize(c.backbone, input: c.trainingImageSide)
        cells = mapSide * mapSide
        let n = c.batch, d = c.dimension
        textGeometry = TextGeometry(batch: n, words: c.maxWords, wordDimension: wordDimension, hidden: c.textHidden,
                                    dimension: d, gateHidden: c.gateHidden)
        spatialGeometry = SpatialFusionGeometry(videos: n, queries: n, dimension: d, cells: cells, pooling: c.pooling, sharpness: c.poolingSharpness)
        concatGeometry = ConcatFusionGeometry(videos: n, queries: n, dimension: d, cells: cells, hidden: c.concatHidden)

        var layout = ParameterLayout()
        _ = layout.parameter("video_projection.weight", [d, channels])
        _ = layout.parameter("video_projection.bias", [d])
        _ = layout.parameter("audio_projection.weight", [d, audioChannels])
        _ = layout.parameter("audio_projection.bias", [d])
        for query in ["audio", "text"] {
            _ = layout.parameter("fusion_\(query).spatial.weight", [d])
            _ = layout.parameter("fusion_\(query).spatial.bias", [1])
            for (name, shape) in ConcatFusion.parameterShapes(prefix: "fusion_\(query).concat", concatGeometry) {
                _ = layout.parameter(name, shape)
            }
        }
        for (name, shape) in TextEncoder.parameterShapes(textGeometry) { _ = layout.parameter(name, shape) }
        _ = layout.parameter("order.weight", [2 * channels])
        _ = layout.parameter("order.bias", [1])
        if c.variant == .videoCells {
            _ = layout.parameter("cells.weight", [d, channels])
            _ = layout.parameter("cells.bias", [d])
        }
        if c.listen > 0 {
            _ = layout.parameter("listen.weight", [c.listenClasses.count + 1, audioChannels])
            _ = layout.parameter("listen.bias", [c.listenClasses.count + 1])
        }
        heads = ParameterStore(layout)

        video = network.video.makeActivations(batch: n * c.framesPerClip, height: c.trainingImageSide, width: c.trainingImageSide)
        audio = c.variant.usesAudio
            ? network.audio.makeActivations(batch: n, height: c.spectrogramSize, width: c.spectrogramSize) : nil

        var arena = ArenaLayout()
        vfeat = arena.reserve(n * channels * cells)
        vmap = arena.reserve(n * d * cells)
        vmapGrad = arena.reserve(n * d * cells)
        vfeatGrad = arena.reserve(channels * cells)
        audioEmbedding = arena.reserve(n * d)
        audioGrad = arena.reserve(n * d)
        textEmbedding = arena.reserve(n * d)
        textGrad = arena.reserve(n * d)
        logitsA = arena.reserve(n * n)
        logitsAGrad = arena.reserve(n * n)
        logitsT = arena.reserve(n * n)
        logitsTGrad = arena.reserve(n * n)
        let fusionScratch = max(spatialGeometry.scratchCount, concatGeometry.scratchCount)
        fusionScratchA = arena.reserve(fusionScratch)
        fusionScratchT = arena.reserve(fusionScratch)
        textScratch = arena.reserve(textGeometry.scratchCount)
        gates = arena.reserve(n * c.maxWords)
        embeddingsOffset = arena.reserve(n * c.maxWords * wordDimension)
        maskOffset = arena.reserve(n * c.maxWords)
        negativeMaskOffset = arena.reserve(n * n)
        cellGradOffset = arena.reserve(c.cellSeparation > 0 ? n * n * cells : 0)
        let cellRows = c.variant == .videoCells ? n * c.framesPerClip * cells : 0
        cellsU = arena.reserve(cellRows * d)
        cellsZ = arena.reserve(cellRows * d)
        cellsZGrad = arena.reserve(cellRows * d)
        cellsNorms = arena.reserve(cellRows)
        cellsScratch = arena.reserve(cellRows > 0 ? CellCorrespondenceLoss.scratchCount(anchors: 2 * n * c.cellAnchors, rows: cellRows, dimension: d) : 0)
        listenLogits = arena.reserve(c.listen > 0 ? n * (c.listenClasses.count + 1) : 0)
        listenLogitsGrad = arena.reserve(c.listen > 0 ? n * (c.listenClasses.count + 1) : 0)
        distillStudent = arena.reserve(c.distill > 0 ? n * channels : 0)
        distillTargets = arena.reserve(c.distill > 0 ? n * channels : 0)
        distillScratch = arena.reserve(c.distill > 0 ? channels : 0)
        directionScratch = arena.reserve(c.keywordDirections > 0 ? cells : 0)
        teacherSpectrograms = arena.reserve(c.teachersHearCleanAudio ? n * c.spectrogramSize * c.spectrogramSize : 0)
        work = Arena(count: arena.count)
        initialise()
    }

    /// Projections from the network's own initialisation; fusion weights 1/√D (or
    /// `fusionInit`: with D = 128 and small initial embeddings, 1/√D leaves every pair logit
    /// within ~0.01 of the others and training sits on a plateau); linear layers
    /// U(-1/√fan_in, 1/√fan_in) like PyTorch.
    private func initialise() {
        var random = RandomSource(seed: configuration.seed &+ 0xF00D)
        let d = configuration.dimension
        for entry in heads.entries {
            let p = heads.pointer(entry)
            switch entry.name {
            case "video_projection.weight": p.update(from: network.videoProjectionWeight, count: entry.count)
            case "video_projection.bias": p.update(from: network.videoProjectionBias, count: entry.count)
            case "audio_projection.weight": p.update(from: network.audioProjectionWeight, count: entry.count)
            case "audio_projection.bias": p.update(from: network.audioProjectionBias, count: entry.count)
            case let name where name.hasSuffix("spatial.weight"): p.update(repeating: configuration.fusionInit ?? 1 / Float(d).squareRoot(), count: entry.count)
            case let name where name.hasSuffix("spatial.bias"): p.update(repeating: 0, count: entry.count)
            default:
                let fanIn = entry.shape.count == 2 ? entry.shape[1] : max(entry.shape[0], 1)
                let bound = 1 / Float(fanIn).squareRoot()
                random.fillUniform(p, count: entry.count, low: -bound, high: bound)
            }
        }
    }

    func parameter(_ name: String) -> UnsafeMutablePointer<Float> { heads.pointer(heads.entry(named: name)!) }
    func gradient(_ name: String) -> UnsafeMutablePointer<Float> { heads.gradients + heads.entry(named: name)!.offset }

    /// [N·F, 1, H, W] (H = W = `trainingImageSide`): clip n's frame f goes to image n·F + f.
    public var videoInput: UnsafeMutablePointer<Float> { video.input.data }
    /// [N, 1, 256, 256] (nil for variants without audio).
    public var audioInput: UnsafeMutablePointer<Float>? { audio?.input.data }
    /// Where `BatchBuilder` keeps the unperturbed spectrograms for the teachers (nil: they hear `audioInput`).
    var teacherAudioInput: UnsafeMutablePointer<Float>? { configuration.teachersHearCleanAudio ? work[teacherSpectrograms] : nil }
    public var embeddings: UnsafeMutablePointer<Float> { work[embeddingsOffset] }
    public var wordMask: UnsafeMutablePointer<Float> { work[maskOffset] }
    /// V [N, D, S] of the last forward.
    public var videoMap: UnsafeMutablePointer<Float> { work[vmap] }
    /// a [N, D] and t [N, D] of the last forward.
    public var audioVector: UnsafeMutablePointer<Float> { work[audioEmbedding] }
    public var textVector: UnsafeMutablePointer<Float> { work[textEmbedding] }
    /// Gate per word [N, L] of the last forward.
    public var gateValues: UnsafeMutablePointer<Float> { work[gates] }
    /// Pair logits [N, N] of the last forward (row video, column query).
    public var audioLogits: UnsafeMutablePointer<Float> { work[logitsA] }
    public var textLogits: UnsafeMutablePointer<Float> { work[logitsT] }

    // MARK: Forward

    /// Runs the branches (training: batch statistics, else running statistics) up to V, a, t.
    public func embed(training: Bool) {
        let c = configuration, n = c.batch, d = c.dimension, f = c.framesPerClip
        network.video.forward(video, training: training)
        // Vfeat[n] = mean over the clip's frames of the spatial maps (the paper's two frames).
        let spatial = video.spatialMap.data, per = channels * cells
        let feat = work[vfeat]
        for clip in 0..<n {
            let out = feat + clip * per
            out.update(from: spatial + clip * f * per, count: per)
            for frame in 1..<f {
                let source = spatial + (clip * f + frame) * per
                for i in 0..<per { out[i] += source[i] }
            }
            if f > 1 { for i in 0..<per { out[i] /= Float(f) } }
        }
        // V[n] [D, S] = W_v [D, C] x Vfeat[n] [C, S] + b_v
        let wv = parameter("video_projection.weight"), bv = parameter("video_projection.bias")
        for clip in 0..<n {
            let out = work[vmap] + clip * d * cells
            for k in 0..<d { (out + k * cells).update(repeating: bv[k], count: cells) }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(cells), Int32(channels), 1,
                        wv, Int32(channels), feat + clip * per, Int32(cells), 1, out, Int32(cells))
        }
        if let audio {
            network.audio.forward(audio, training: training)
            Linear.forward(output: work[audioEmbedding], input: audio.pooled.data, weight: parameter("audio_projection.weight"),
                           bias: parameter("audio_projection.bias"), geometry: LinearGeometry(batch: n, inFeatures: audioChannels, outFeatures: d))
        }
        if c.variant.usesText {
            TextEncoder.forward(output: work[textEmbedding], gates: work[gates], embeddings: work[embeddingsOffset], mask: work[maskOffset],
                                gated: c.gate != .none, parameters: parameter("text.fc1.weight"), scratch: work[textScratch], geometry: textGeometry)
        }
    }

    private func fuse(query: Int, logits: Int, scratch: Int, prefix: String) {
        let g = configuration
        switch g.variant.fusion {
        case .spatial:
            SpatialFusion.forward(logits: work[logits], video: work[vmap], query: work[query], weight: parameter("\(prefix).spatial.weight"),
                                  bias: parameter("\(prefix).spatial.bias"), scratch: work[scratch], geometry: spatialGeometry)
        case .concat:
            ConcatFusion.forward(logits: work[logits], video: work[vmap], query: work[query], parameters: parameter("\(prefix).concat.fc1.video.weight"),
                                 scratch: work[scratch], geometry: concatGeometry)
        }
    }

    private func unfuse(query: Int, queryGrad: Int, logitsGrad: Int, cellGrad: UnsafePointer<Float>? = nil, scratch: Int, prefix: String) {
        switch configuration.variant.fusion {
        case .spatial:
            SpatialFusion.backward(videoGrad: work[vmapGrad], queryGrad: work[queryGrad], weightGrad: gradient("\(prefix).spatial.weight"),
                                   biasGrad: gradient("\(prefix).spatial.bias"), logitsGrad: work[logitsGrad], cellGrad: cellGrad, video: work[vmap],
                                   query: work[query], weight: parameter("\(prefix).spatial.weight"), scratch: work[scratch], geometry: spatialGeometry)
        case .concat:
            ConcatFusion.backward(videoGrad: work[vmapGrad], queryGrad: work[queryGrad], parameterGrads: gradient("\(prefix).concat.fc1.video.weight"),
                                  logitsGrad: work[logitsGrad], video: work[vmap], query: work[query],
                                  parameters: parameter("\(prefix).concat.fc1.video.weight"), scratch: work[scratch], geometry: concatGeometry)
        }
    }

    // MARK: Step

    /// Forward, the joint loss (eq. 4 with normalised terms), backward. Parameter gradients
    /// accumulate into the three stores; the caller zeroes them and steps the optimisers.
    public func trainStep(_ inputs: BatchInputs) -> LossTerms {
        let c = configuration, n = c.batch, d = c.dimension
        precondition(inputs.negatives.count == n && inputs.negativeMask.count == n * n, "batch inputs for another batch size")
        work[embeddingsOffset].update(from: inputs.embeddings, count: inputs.embeddings.count)
        work[maskOffset].update(from: inputs.wordMask, count: inputs.wordMask.count)
        work[negativeMaskOffset].update(from: inputs.negativeMask, count: n * n)
        if c.variant == .videoOnly { return frameOrderStep(inputs) }
        if c.variant == .videoCells { return cellCorrespondenceStep(inputs) }
        embed(training: true)
        var terms = LossTerms()
        let w = c.weights.normalised
        let bceScale: Float = 1 / 0.693_147_2, contraScale = 1 / logf(Float(max(n - 1, 2)))
        let contrastive = ContrastiveGeometry(batch: n, temperature: c.temperature, form: c.contrastive)
        work[vmapGrad].update(repeating: 0, count: n * d * cells)
        work[audioGrad].update(repeating: 0, count: n * d)
        for (usesQuery, query, queryGrad, logits, logitsGrad, scratch, prefix, alpha, gamma) in [
            (c.variant.usesAudio && c.audioFusionTrained, audioEmbedding, audioGrad, logitsA, logitsAGrad, fusionScratchA, "fusion_audio", w.baseAudio, w.contraAudio),
            (c.variant.usesText, textEmbedding, textGrad, logitsT, logitsTGrad, fusionScratchT, "fusion_text", w.baseText, w.contraText),
        ] where usesQuery {
            fuse(query: query, logits: logits, scratch: scratch, prefix: prefix)
            work[logitsGrad].update(repeating: 0, count: n * n)
            work[queryGrad].update(repeating: 0, count: n * d)
            let base = CorrespondenceLoss.forward(logits: work[logits], negatives: inputs.negatives, batch: n)
            let contra = ContrastiveLoss.forward(logits: work[logits], negative: work[negativeMaskOffset], geometry: contrastive)
            if alpha > 0 {
                CorrespondenceLoss.backward(logitsGrad: work[logitsGrad], logits: work[logits], negatives: inputs.negatives, batch: n, lossGrad: alpha * bceScale)
                terms.total += alpha * bceScale * base
            }
            if gamma > 0 {
                ContrastiveLoss.backward(logitsGrad: work[logitsGrad], logits: work[logits], negative: work[negativeMaskOffset],
                                         geometry: contrastive, lossGrad: gamma * contraScale)
                terms.total += gamma * contraScale * contra
            }
            if prefix == "fusion_audio" {
                terms.baseAudio = base
                terms.contraAudio = gamma > 0 ? contra : .nan
            } else {
                terms.baseText = base
                terms.contraText = gamma > 0 ? contra : .nan
            }
            var cellGrad: UnsafePointer<Float>?
            if prefix == "fusion_audio", c.cellSeparation > 0, !inputs.separationPairs.isEmpty {
                // Before `unfuse`, which overwrites the pooling weights in scratch.
                let grads = work[cellGradOffset]
                grads.update(repeating: 0, count: n * n * cells)
                precondition(inputs.visibleCells.count == n * cells, "separation pairs without visible cells")
                terms.separation = SeparationLoss.forward(weights: work[scratch], visible: inputs.visibleCells, pairs: inputs.separationPairs,
                                                          batch: n, cells: cells, margin: c.separationMargin)
                SeparationLoss.backward(cellGrad: grads, weights: work[scratch], visible: inputs.visibleCells, pairs: inputs.separationPairs,
                                        batch: n, cells: cells, margin: c.separationMargin, lossGrad: c.cellSeparation)
                terms.total += c.cellSeparation * terms.separation
                cellGrad = UnsafePointer(grads)
            }
            unfuse(query: query, queryGrad: queryGrad, logitsGrad: logitsGrad, cellGrad: cellGrad, scratch: scratch, prefix: prefix)
        }
        if c.alignAudioToText > 0, c.variant.usesAudio, c.variant.usesText {
            terms.alignAudio = alignAudioToText(weight: c.alignAudioToText)
            terms.total += c.alignAudioToText * terms.alignAudio
        }
        if c.variant.usesText {
            TextEncoder.backward(parameterGrads: gradient("text.fc1.weight"), outputGrad: work[textGrad], embeddings: work[embeddingsOffset],
                                 mask: work[maskOffset], gated: c.gate != .none, parameters: parameter("text.fc1.weight"),
                                 scratch: work[textScratch], geometry: textGeometry)
        }
        if c.listen > 0, let audio {
            terms.listen = listenStep(audio, targets: inputs.listenTargets, weight: c.listen)
            terms.total += c.listen * terms.listen
        }
        if c.distill > 0, let audio {
            precondition(teachers != nil, "distill without teachers: TrainingRun loads them")
            terms.distill = distillStep(audio, weight: c.distill, directions: inputs.directionTargets, shares: inputs.directionShares)
            terms.total += c.distill * terms.distill
        }
        if let audio {
            Linear.backward(inputGrad: audio.pooledGrad.data, weightGrad: gradient("audio_projection.weight"), biasGrad: gradient("audio_projection.bias"),
                            outputGrad: work[audioGrad], input: audio.pooled.data, weight: parameter("audio_projection.weight"),
                            geometry: LinearGeometry(batch: n, inFeatures: audioChannels, outFeatures: d))
            network.audio.backward(audio)
        }
        backwardVideo()
        return terms
    }

    /// The text branch as the audio branch's teacher: L = Σ_i ||a_i - t_i||² / Σ_i ||t_i||²
    /// (0 when a = t, 1 when a = 0), t held fixed (no gradient into the text branch). With
    /// a ≈ t the audio map m(V, a) through the text fusion head is the keyword-gated text map
    /// m(V, t) that the V-T terms trained to light up the named structure. Adds dL/da into
    /// the audio gradient; returns L.
    private func alignAudioToText(weight: Float) -> Float {
        let n = configuration.batch, d = configuration.dimension
        let a = work[audioEmbedding], t = work[textEmbedding], da = work[audioGrad]
        var distance = 0.0, norm = 0.0
        for i in 0..<(n * d) {
            distance += Double((a[i] - t[i]) * (a[i] - t[i]))
            norm += Double(t[i] * t[i])
        }
        let scale = Float(1 / max(norm, 1e-12))
        for i in 0..<(n * d) { da[i] += weight * 2 * (a[i] - t[i]) * scale }
        return Float(distance) * scale
    }

    /// pooled [N, C] -> linear -> keyword logits [N, K + 1] -> `KeywordListeningLoss`; its
    /// gradient goes into the listen head and adds into the pooled features' gradient. Returns L.
    private func listenStep(_ audio: ResNeXtActivations, targets: [Float], weight: Float) -> Float {
        let n = configuration.batch, k = listenClassCount
        precondition(targets.count == n * k, "listen targets for another batch or dictionary")
        let geometry = LinearGeometry(batch: n, inFeatures: audioChannels, outFeatures: k)
        Linear.forward(output: work[listenLogits], input: audio.pooled.data, weight: parameter("listen.weight"),
                       bias: parameter("listen.bias"), geometry: geometry)
        work[listenLogitsGrad].update(repeating: 0, count: n * k)
        let loss = targets.withUnsafeBufferPointer { q in
            KeywordListeningLoss.backward(logitsGrad: work[listenLogitsGrad], logits: work[listenLogits], targets: q.baseAddress!,
                                          batch: n, classes: k, lossGrad: weight)
            return KeywordListeningLoss.forward(logits: work[listenLogits], targets: q.baseAddress!, batch: n, classes: k)
        }
        Linear.backward(inputGrad: audio.pooledGrad.data, weightGrad: gradient("listen.weight"), biasGrad: gradient("listen.bias"),
                        outputGrad: work[listenLogitsGrad], input: audio.pooled.data, weight: parameter("listen.weight"), geometry: geometry)
        return loss
    }

    /// The teachers' mean W_vᵀ a on this batch's spectrograms (each keyword clip's direction
    /// mixed in, `KeywordDirections.mix`) against the student's W_vᵀ (w ⊙ a); the gradient
    /// adds into a, W_v and w. Returns L.
    private func distillStep(_ audio: ResNeXtActivations, weight: Float, directions: [Float], shares: [Float]) -> Float {
        let head = audioMapHead
        let geometry = EnsembleDistillationLoss.Geometry(batch: configuration.batch, dimension: configuration.dimension, channels: channels)
        // With the warp or masking on, the teachers hear the clean window and the student the
        // perturbed one, so the student learns to hear through the perturbation (Noisy Student).
        teachers!.targets(spectrograms: teacherAudioInput ?? audio.input.data, into: work[distillTargets])
        if configuration.keywordDirections > 0 {
            precondition(directions.count == configuration.batch * channels, "keyword direction targets for another batch")
            precondition(shares.isEmpty || shares.count == configuration.batch, "keyword direction shares for another batch")
            directions.withUnsafeBufferPointer { words in shares.withUnsafeBufferPointer { rows in
                KeywordDirections.mix(targets: work[distillTargets], words: words.baseAddress!, features: work[vfeat], share: configuration.keywordDirections,
                                      rowShares: shares.isEmpty ? nil : rows.baseAddress, batch: configuration.batch, channels: channels, cells: cells,
                                      scratch: work[directionScratch])
            } }
        }
        EnsembleDistillationLoss.studentVectors(work[distillStudent], audio: work[audioEmbedding], videoProjection: parameter("video_projection.weight"),
                                                fusion: parameter("\(head).spatial.weight"), geometry: geometry)
        EnsembleDistillationLoss.backward(audioGrad: work[audioGrad], videoProjectionGrad: gradient("video_projection.weight"),
                                          fusionGrad: gradient("\(head).spatial.weight"), student: work[distillStudent], targets: work[distillTargets],
                                          audio: work[audioEmbedding], videoProjection: parameter("video_projection.weight"),
                                          fusion: parameter("\(head).spatial.weight"), scratch: work[distillScratch], geometry: geometry, lossGrad: weight)
        return EnsembleDistillationLoss.forward(student: work[distillStudent], targets: work[distillTargets], geometry: geometry)
    }

    /// Keyword logits [N, K + 1] of the last training step with `listen` (row n: clip n).
    public var listenOutputs: UnsafeMutablePointer<Float> { work[listenLogits] }

    /// The fusion head the audio map goes through: the audio's own, or the text's when the
    /// audio is trained only as the text branch's student (`alignAudioToText` with α = γ = 0).
    public var audioMapHead: String { configuration.audioFusionTrained ? "fusion_audio" : "fusion_text" }

    /// dV -> projection gradients and dVfeat -> each frame's spatial-map gradient (/F) -> backbone.
    private func backwardVideo() {
        let c = configuration, n = c.batch, d = c.dimension, f = c.framesPerClip, per = channels * cells
        let wv = parameter("video_projection.weight"), dwv = gradient("video_projection.weight"), dbv = gradient("video_projection.bias")
        let spatialGrad = video.spatialMapGrad.data, dfeat = work[vfeatGrad]
        for clip in 0..<n {
            let dv = work[vmapGrad] + clip * d * cells
            // dW_v [D, C] += dV [D, S] x Vfeat^T [S, C];  db_v += Σ_s dV
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(d), Int32(channels), Int32(cells), 1,
                        dv, Int32(cells), work[vfeat] + clip * per, Int32(cells), 1, dwv, Int32(channels))
            for k in 0..<d { for s in 0..<cells { dbv[k] += dv[k * cells + s] } }
            // dVfeat [C, S] = W_v^T [C, D] x dV [D, S]
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(channels), Int32(cells), Int32(d), 1,
                        wv, Int32(channels), dv, Int32(cells), 0, dfeat, Int32(cells))
            for frame in 0..<f {
                let target = spatialGrad + (clip * f + frame) * per
                for i in 0..<per { target[i] += dfeat[i] / Float(f) }
            }
        }
        // A frozen backbone (e.g. after --init-video) needs no gradient: a third of the step saved.
        if c.videoLearningRateScale != 0 { network.video.backward(video) }
    }

    /// The video baseline: are the clip's two frames in temporal order? Pooled features of
    /// both frames, concatenated in the presented order -> linear -> BCE.
    private func frameOrderStep(_ inputs: BatchInputs) -> LossTerms {
        let n = configuration.batch, c = channels
        network.video.forward(video, training: true)
        let pooled = video.pooled.data, pooledGrad = video.pooledGrad.data
        let w = parameter("order.weight"), b = parameter("order.bias"), dw = gradient("order.weight"), db = gradient("order.bias")
        var total = 0.0
        for clip in 0..<n {
            let first = pooled + (clip * 2 + (inputs.swapped[clip] ? 1 : 0)) * c
            let second = pooled + (clip * 2 + (inputs.swapped[clip] ? 0 : 1)) * c
            var logit = b[0]
            for k in 0..<c { logit += w[k] * first[k] + w[c + k] * second[k] }
            let label: Float = inputs.swapped[clip] ? 0 : 1
            total += Double(CorrespondenceLoss.softplus(logit) - label * logit)
            // d(total)/d logit: total = mean BCE / ln 2 (the term divided by its chance value).
            let grad = (CorrespondenceLoss.sigmoid(logit) - label) / Float(n) / 0.693_147_2
            db[0] += grad
            let firstGrad = pooledGrad + (clip * 2 + (inputs.swapped[clip] ? 1 : 0)) * c
            let secondGrad = pooledGrad + (clip * 2 + (inputs.swapped[clip] ? 0 : 1)) * c
            for k in 0..<c {
                dw[k] += grad * first[k]
                dw[c + k] += grad * second[k]
                firstGrad[k] += grad * w[k]
                secondGrad[k] += grad * w[c + k]
            }
        }
        network.video.backward(video)
        var terms = LossTerms()
        terms.order = Float(total / Double(n))
        terms.total = terms.order / 0.693_147_2
        return terms
    }

    /// The `video-cells` pre-training: both views through the video branch, a 1×1 projection
    /// and L2 normalisation per cell, `CellCorrespondenceLoss`, backward into the backbone.
    private func cellCorrespondenceStep(_ inputs: BatchInputs) -> LossTerms {
        let c = configuration, images = c.batch * c.framesPerClip, d = c.dimension, rows = images * cells, per = channels * cells
        precondition(inputs.cellAnchors.count <= 2 * c.batch * c.cellAnchors, "more anchors than the scratch holds")
        network.video.forward(video, training: true)
        let spatial = video.spatialMap.data, spatialGrad = video.spatialMapGrad.data
        let w = parameter("cells.weight"), b = parameter("cells.bias"), dw = gradient("cells.weight"), db = gradient("cells.bias")
        let u = work[cellsU], z = work[cellsZ], dz = work[cellsZGrad], norms = work[cellsNorms], scratch = work[cellsScratch]
        for m in 0..<images {
            // U[m] [S, D] = F[m]^T [S, C] x W^T [C, D] + b
            let out = u + m * cells * d
            for s in 0..<cells { (out + s * d).update(from: b, count: d) }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, Int32(cells), Int32(d), Int32(channels), 1,
                        spatial + m * per, Int32(cells), w, Int32(channels), 1, out, Int32(d))
        }
        L2Normalize.forward(output: z, input: u, norms: norms, rows: rows, dimension: d)
        let loss = CellCorrespondenceLoss.forward(embeddings: z, rows: rows, dimension: d, anchors: inputs.cellAnchors,
                                                  positives: inputs.cellPositives, temperature: c.temperature, scratch: scratch)
        dz.update(repeating: 0, count: rows * d)
        CellCorrespondenceLoss.backward(embeddingsGrad: dz, embeddings: z, rows: rows, dimension: d, anchors: inputs.cellAnchors,
                                        positives: inputs.cellPositives, temperature: c.temperature, lossGrad: 1, scratch: scratch)
        let du = u  // U is not needed again: its buffer takes dU
        du.update(repeating: 0, count: rows * d)
        L2Normalize.backward(inputGrad: du, outputGrad: dz, output: z, norms: norms, rows: rows, dimension: d)
        for m in 0..<images {
            let g = du + m * cells * d
            // dW [D, C] += dU[m]^T [D, S] x F[m]^T [S, C];  db += Σ_s dU[m][s];  dF[m] [C, S] += W^T [C, D] x dU[m]^T [D, S]
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, Int32(d), Int32(channels), Int32(cells), 1,
                        g, Int32(d), spatial + m * per, Int32(cells), 1, dw, Int32(channels))
            for s in 0..<cells { for k in 0..<d { db[k] += g[s * d + k] } }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, Int32(channels), Int32(cells), Int32(d), 1,
                        w, Int32(channels), g, Int32(d), 1, spatialGrad + m * per, Int32(cells))
        }
        network.video.backward(video)
        var terms = LossTerms()
        terms.cells = loss
        terms.total = loss
        return terms
    }

    // MARK: Maps

    /// The localisation map of clip `index` of the last `embed` (the fusion head applied to
    /// each cell, i.e. the quantity training optimised): out [S], row-major mapSide × mapSide.
    /// `useText` queries with t (the no-audio variant has no audio branch).
    public func cellMap(clip index: Int, useText: Bool, into out: UnsafeMutablePointer<Float>) {
        let d = configuration.dimension
        let query = (useText ? work[textEmbedding] : work[audioEmbedding]) + index * d
        let videoMap = work[vmap] + index * d * cells
        let prefix = useText ? "fusion_text" : audioMapHead
        switch configuration.variant.fusion {
        case .spatial:
            SpatialFusion.cellMap(video: videoMap, query: query, weight: parameter("\(prefix).spatial.weight"),
                                  bias: parameter("\(prefix).spatial.bias")[0], dimension: d, cells: cells, into: out)
        case .concat:
            ConcatFusion.cellMap(video: videoMap, query: query, parameters: parameter("\(prefix).concat.fc1.video.weight"),
                                 dimension: d, cells: cells, hidden: configuration.concatHidden, into: out)
        }
    }

    // MARK: Export

    /// Copies the trained projections into `network` for a bundle. For spatial fusion the
    /// fusion weight w is folded into the audio projection (a' = w ⊙ a), so the bundle's map
    /// <a', V[:, s]> is the per-cell logit minus the constant bias b.
    public func exportProjections() {
        let d = configuration.dimension
        network.videoProjectionWeight.update(from: parameter("video_projection.weight"), count: d * channels)
        network.videoProjectionBias.update(from: parameter("video_projection.bias"), count: d)
        let wa = parameter("audio_projection.weight"), ba = parameter("audio_projection.bias")
        let fold = configuration.variant.fusion == .spatial ? parameter("\(audioMapHead).spatial.weight") : nil
        for k in 0..<d {
            let scale = fold?[k] ?? 1
            for i in 0..<audioChannels { network.audioProjectionWeight[k * audioChannels + i] = scale * wa[k * audioChannels + i] }
            network.audioProjectionBias[k] = scale * ba[k]
        }
    }

    /// The three parameter stores the optimisers step: video backbone, audio backbone, heads.
    public var stores: [(name: String, store: ParameterStore)] {
        var list = [("video", network.video.store)]
        if configuration.variant.usesAudio { list.append(("audio", network.audio.store)) }
        list.append(("heads", heads))
        return list
    }
}
