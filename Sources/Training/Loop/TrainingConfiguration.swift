import NeuralCore
import ShowTellModel

/// Everything that shapes a training run (written into the run folder and the bundle).
public struct TrainingConfiguration: Sendable, Equatable {
    /// The video branch's backbone (and the audio branch's unless `audioBackbone` is set).
    public var backbone: ResNeXtConfiguration
    /// The audio branch's own backbone (`--audio-config`): a listener with more capacity or
    /// context than the picture needs; nil: the video's architecture.
    public var audioBackbone: ResNeXtConfiguration?
    public var variant: Variant
    /// Joint embedding dimension D.
    public var dimension = 128
    public var gate: GateLevel
    public var pooling: CellPooling = .lse
    /// `SpatialFusionGeometry.sharpness` (lse pooling).
    public var poolingSharpness: Float = 1
    public var contrastive: ContrastiveForm = .paper
    public var temperature: Float = 1
    /// Initial value of the spatial fusion weights w (nil: 1/√D).
    public var fusionInit: Float?
    public var weights: LossWeights
    public var batch = 40
    /// Frames per clip through the video branch; their spatial maps are averaged.
    public var framesPerClip = 2
    /// Word slots per clip (longer windows are cut; shorter padded).
    public var maxWords = 16
    public var textHidden = 128
    public var gateHidden = 16
    public var concatHidden = 64
    public var negatives = NegativePolicy()
    /// Spectrogram masking of the training clips (nil: none, as the paper).
    public var spectrogramMasking: SpectrogramMasking?
    /// Vocal-tract-length and tempo perturbation of the training clips (nil: none, as the paper).
    public var spectrogramWarp: SpectrogramWarp?
    /// Share of training frames shown as a 2×2 mosaic with other recordings (nil: none, as the paper).
    public var frameMosaic: FrameMosaic?
    /// Weight of the audio-to-text teaching term (0: off, as the paper). With the V-A weights
    /// α = γ at 0 the audio is trained only as the text branch's student and the map the box
    /// draws goes through the text fusion head.
    public var alignAudioToText: Float = 0
    /// Weight of the keyword-listening term (`KeywordListeningLoss`; 0: off, as the paper) and
    /// its classes: the keyword dictionary's canonical anatomies, sorted (set from the dictionary).
    public var listen: Float = 0
    public var listenClasses: [String] = []
    /// Weight of `EnsembleDistillationLoss` (0: off, as the paper) and the trained bundles
    /// whose summed map the audio branch learns (they share the frozen video branch).
    public var distill: Float = 0
    public var distillFrom: [String] = []
    /// With `distill`: share λ of each keyword clip's target taken by its keyword's direction
    /// (`KeywordDirections`, fitted on the frozen video branch from the ASR words; 0: off).
    public var keywordDirections: Float = 0
    /// The trained bundle (sharing the frozen video branch) through whose video projection the
    /// keyword directions are fitted.
    public var keywordSpace: String?
    /// Rounds of the keyword directions' re-weighting (`KeywordDirections.fit`; 0: the mean cell).
    public var keywordRounds = 5
    /// With keywordDirections: the share of each picture's cells taken as the word's peak for one
    /// whitened contrast after the rounds (`KeywordDirections.fit`; 0 = off).
    public var keywordContrast: Float = 0
    /// Each keyword clip's share of its direction times the share of the keyword's duration
    /// inside its window (the ASR's word times): fragments keep the teachers' target.
    public var keywordDirectionsByShare = false
    /// video-cells: trace a cell between two views from the pixel its receptive field is centred
    /// on (`CellCentres`) instead of the middle of its block of the even division (7.5 px
    /// apart at stride 16, so views of different zoom paired some cells with a neighbour).
    public var cellsWhereTheyLook = false
    /// Screen furniture masked out of the frames, per recording (nil: the whole frame, as the
    /// paper); the bundle records it and the appliance masks the same way.
    public var liveImageMask: LiveImageMask?
    /// Random translation of the training frames (nil: none, as the paper).
    public var frameJitter: FrameJitter?
    /// Batches of neighbouring clips (one stretch of one scan) instead of random ones.
    public var consecutiveBatches = false
    /// Weight of `SeparationLoss` (0: off, as the paper): anatomies named within
    /// `negatives.keywordContext` of each other in one scan are found in different cells of
    /// one picture; half of each batch is then such partners of the other half.
    public var cellSeparation: Float = 0
    /// Near negatives (seconds, 0: off): half of each batch is, for each clip of the other
    /// half, a clip of the same scan at most this far away that is its negative both ways (it
    /// names other anatomy than the clip's frame may show, `negatives`). Random negatives
    /// mostly show another plane, so the plane's most salient structure carries every word
    /// said over it (the skull for "ventricles"); a negative of the same stretch of scan shows
    /// much the same picture, so only the cells that differ can tell the words apart.
    public var nearNegatives = 0.0
    /// With `nearNegatives`: of each clip's near negatives keep the this many whose frames the
    /// (frozen, pre-trained) video branch finds most alike (0 = all). Most of a window's other
    /// anatomy is on another plane, where the plane's own structure (the skull) still tells the
    /// two apart; the most alike frames leave only the named structure to do it.
    public var nearNegativesAlike = 0
    /// `SeparationLoss`'s hinge: overlap up to this costs nothing (0: the plain overlap).
    public var separationMargin: Float = 0
    /// `video-cells`: anchor cells per clip and direction (view 1 -> 2, 2 -> 1), drawn from the
    /// cells that show something and have a counterpart in the other view.
    public var cellAnchors = 48
    /// The video backbone's learning rate relative to the rest (0 freezes it, e.g. after
    /// `--init-video`; its batch-norm statistics still follow the batches).
    public var videoLearningRateScale: Float = 1
    public var frameSize = ShowTellNetwork.frameSize
    /// Side of the training images: the frame's, or twice it for a full-scale mosaic.
    public var trainingImageSide: Int { frameMosaic?.imageSide(frame: frameSize) ?? frameSize }
    public var spectrogramSize = ShowTellNetwork.spectrogramSize
    // Optimiser (the paper: SGD, lr 1e-3, x0.1 every 20 epochs, batch 40).
    public var optimizer: OptimizerChoice = .sgd
    public var learningRate: Float = 1e-3
    public var decayEvery = 20
    public var momentum: Float = 0.9
    public var weightDecay: Float = 1e-4
    public var gradientClip: Float = 5
    public var seed: UInt64 = 1

    public init(backbone: ResNeXtConfiguration, variant: Variant) {
        self.backbone = backbone
        self.variant = variant
        gate = variant.gate
        weights = variant.terms
    }

    /// Distillation with the spectrogram warp or masking: the teachers hear each window before
    /// the perturbation, the student after it.
    public var teachersHearCleanAudio: Bool { distill > 0 && (spectrogramWarp != nil || spectrogramMasking != nil) }
    /// Whether the V-A terms train an audio fusion head of its own.
    public var audioFusionTrained: Bool { weights.baseAudio > 0 || weights.contraAudio > 0 || alignAudioToText == 0 }

    /// A JSON-ish summary for run folders and manifests ("audio_backbone" only when set, so
    /// earlier runs' summaries compare unchanged on --resume).
    public var summary: [String: String] {
        var summary = commonSummary
        if let audioBackbone { summary["audio_backbone"] = audioBackbone.name }
        if cellsWhereTheyLook { summary["cell_correspondence"] = "receptive-field centres" }
        return summary
    }

    private var commonSummary: [String: String] {
        ["backbone": backbone.name, "variant": variant.rawValue, "dimension": "\(dimension)", "gate": gate.rawValue,
         "pooling": pooling.rawValue, "pooling_sharpness": "\(poolingSharpness)", "contrastive": contrastive.rawValue, "temperature": "\(temperature)", "fusion_init": fusionInit.map { "\($0)" } ?? "1/sqrt(D)",
         "weights": "alpha=\(weights.baseAudio) beta=\(weights.baseText) gamma=\(weights.contraAudio) delta=\(weights.contraText)",
         "batch": "\(batch)", "frames_per_clip": "\(framesPerClip)", "max_words": "\(maxWords)",
         "min_negative_shift_s": "\(negatives.minimumShift)", "keyword_negatives": "\(negatives.keywordAware)", "keyword_context_s": "\(negatives.keywordContext)", "consecutive_batches": "\(consecutiveBatches)", "cell_separation": "\(cellSeparation)", "near_negatives_s": "\(nearNegatives)", "near_negatives_alike": "\(nearNegativesAlike)", "separation_margin": "\(separationMargin)", "cell_anchors": "\(cellAnchors)", "video_lr_scale": "\(videoLearningRateScale)", "spectrogram_masking": spectrogramMasking.map { "\($0.bands) bands of up to \($0.maxWidth) per axis" } ?? "none", "frame_mosaic": frameMosaic.map { "\($0.probability) of clips as a 2x2 mosaic with 3 frames of other recordings\($0.fullScale ? " at full size (training images of twice the frame's side)" : " at half size")" } ?? "none", "spectrogram_warp": spectrogramWarp.map { "frequency x [\(1 - $0.frequency), \(1 + $0.frequency)], time x [\(1 - $0.time), \(1 + $0.time)]" } ?? "none", "align_audio_to_text": "\(alignAudioToText)", "listen": "\(listen)", "keyword_directions": keywordDirections > 0 ? "\(keywordDirections) in the space of \(keywordSpace ?? "?"), \(keywordRounds) rounds\(keywordContrast > 0 ? ", then the whitened contrast of each picture's top \(keywordContrast) of cells" : "")\(keywordDirectionsByShare ? ", times the share of the keyword inside the window" : "")" : "0", "distill": distill > 0 ? "\(distill) x ensemble of \(distillFrom.joined(separator: ", "))\(teachersHearCleanAudio ? " (teachers hear the spectrogram before the warp and masking)" : "")" : "0", "live_image_mask": liveImageMask.map { "change > \($0.thresholdGray) grey levels (capped at \($0.capGray)), dilated \($0.dilation) px" } ?? "none", "frame_shift": frameJitter.map { "up to \($0.maxShift) px per axis" } ?? "none", "optimizer": optimizer.rawValue, "learning_rate": "\(learningRate)", "decay_every_epochs": "\(decayEvery)",
         "momentum": "\(momentum)", "weight_decay": "\(weightDecay)", "gradient_clip": "\(gradientClip)", "seed": "\(seed)",
         "frame_size": "\(frameSize)", "spectrogram_size": "\(spectrogramSize)"]
    }
}

/// The optimiser of a run: SGD with momentum (the paper's) or AdamW (`--optimizer adamw`).
public enum OptimizerChoice: String, Sendable, CaseIterable {
    case sgd
    case adamw
}
