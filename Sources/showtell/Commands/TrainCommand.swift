import ArgumentParser
import Evaluation
import NeuralCore
import Platform
import ShowTellModel
import Training

extension Variant: ExpressibleByArgument {}
extension GateLevel: ExpressibleByArgument {}
extension CellPooling: ExpressibleByArgument {}
extension ContrastiveForm: ExpressibleByArgument {}
extension OptimizerChoice: ExpressibleByArgument {}

/// Backbone configurations a training run may use.
enum TrainBackbone: String, ExpressibleByArgument, CaseIterable {
    case tiny, edge, edgeLocal = "edge-local", edgeLocalStride8 = "edge-local-os8", paper
    var configuration: ResNeXtConfiguration { ResNeXtConfiguration.named(rawValue)! }
}

/// `showtell train`: the paper's self-supervised framework on a prepared dataset.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the Show-from-Tell framework (a --variant of the paper's ablation) on a prep dataset.",
        discussion: """
        Writes RUN_DIR/run.json, losses.csv + losses.png, checkpoints (resume with --resume), \
        pointing.md when --evaluate is given, and RUN_DIR/bundle (a model bundle) for variants \
        with audio and spatial fusion. Without DATASET, --synthetic N trains on toy clips.
        """
    )

    @Argument(help: "Prepared dataset folder (showtell prep).")
    var dataset: String?

    @Option(name: .customLong("config"), help: "Backbone: tiny, edge, edge-local (edge without its fourth stage: a more local map), edge-local-os8 (edge-local's weights with its third stage dilated: a 28x28 map; --init-video and --distill-from take edge-local runs) or paper.")
    var backbone: TrainBackbone = .edge

    @Option(name: .customLong("audio-config"), help: "The audio branch's own backbone (same names as --config; default: the video's). The listener may need more capacity or context than the picture: e.g. --config edge-local-os8 --audio-config edge.")
    var audioBackbone: TrainBackbone?

    @Option(help: "va-base, va-contra, va-spatial, vt-base, no-audio, full, video-only, supervised, or video-cells (dense pre-training of the video branch for --init-video).")
    var variant: Variant = .full

    @Option(help: "Run folder.")
    var out: String

    @Option(help: "Epochs.") var epochs = 8
    @Option(help: "Clips per batch.") var batch = 40
    @Option(help: "Optimiser: sgd (the paper's, with momentum) or adamw.") var optimizer: OptimizerChoice = .sgd
    @Option(help: "Learning rate (x0.1 every --decay-every epochs).") var lr: Float = 1e-3
    @Option(help: "Epochs between learning-rate decays.") var decayEvery = 20
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Option(help: "Weight decay (L2 for sgd, decoupled for adamw).") var weightDecay: Float = 1e-4
    @Option(help: "Global gradient-norm clip (0 = off).") var clip: Float = 5
    @Option(help: "Seed (weights, batches, negatives).") var seed: UInt64 = 1
    @Option(help: "Joint embedding dimension D.") var dimension = 128
    @Option(help: "Frames per clip through the video branch (maps averaged).") var framesPerClip = 2
    @Option(help: "SIG level override: none, outliers, keywords.") var gate: GateLevel?
    @Option(help: "Cell pooling of the spatial fusion: lse (attention-like), mean (GAP) or max (MIL).") var pooling: CellPooling = .lse
    @Option(help: "With --pooling lse: β of (1/β) log mean exp(β m) over cells; above 1 it leans towards the best cell, so a small structure scores a pair as well as a large one.") var poolingSharpness: Float = 1
    @Option(help: "Contrastive form: paper (eq. 2 as written), infonce (positive in the denominator) or symmetric (infonce over rows and columns).") var contrastive: ContrastiveForm = .paper
    @Option(help: "Contrastive temperature.") var temperature: Float = 1
    @Option(help: "Initial spatial fusion weight (default 1/sqrt(D)).") var fusionInit: Float?
    @Option(help: "Loss weights alpha,beta,gamma,delta (normalised to sum 1 over the variant's terms).") var weights: String?
    @Option(help: "Minimum time shift (s) for same-scan negatives.") var minShift = 2.0
    @Option(help: "With --keyword-negatives: a clip naming anything named within this many seconds of a frame (same scan) is not its negative (0 = the frame's own words only).") var keywordContext = 0.0
    @Flag(help: "Clips whose ASR words name a common anatomy are not negatives of each other.") var keywordNegatives = false
    @Flag(help: "Train on the clips whose ASR words name an anatomy only.") var keywordClipsOnly = false
    @Flag(help: "Batches of neighbouring clips (one stretch of one scan: hard negatives) instead of random ones.") var consecutiveBatches = false
    @Option(help: "Near negatives: half of each batch is, for each clip of the other half, a clip of the same scan at most this many seconds away whose ASR words name other anatomy (outside --keyword-context): a picture much like its own that only what is said tells apart (0 = off).") var nearNegatives = 0.0
    @Option(help: "With --near-negatives: keep, of each clip's near negatives, this many whose frames the video branch finds most alike (cosine of its pooled features; needs a pre-trained --init-video and --video-lr-scale 0): pictures that differ in the named structure, not the plane (0 = all).") var nearNegativesAlike = 0
    @Option(help: "Weight of the separation term: two anatomies the ASR words name within --keyword-context seconds of each other in one scan are found in different cells of one picture (half of each batch is such partners; 0 = off).") var cellSeparation: Float = 0
    @Option(help: "With --cell-separation: overlap up to this costs nothing (a hinge; 1 = two flat maps, so only two words peaking on the same cells cost).") var separationMargin: Float = 0
    @Option(help: "Share of training frames shown as a 2x2 mosaic: the clip's frame at half size in a random quadrant, three frames of other recordings in the rest (0 = off).") var mosaic = 0.0
    @Flag(help: "With --mosaic 1: the mosaic's frames at full size (training images of twice the frame's side, 4x the video work), so anatomy is seen at the size the box sees it.") var mosaicFullScale = false
    @Option(help: "Vocal-tract-length perturbation of training clips: scale the frequency axis by a factor in [1-W, 1+W] (0 = off; 0.1 is usual).") var warpFrequency = 0.0
    @Option(help: "Tempo perturbation of training clips: scale the time axis about the window's centre by a factor in [1-W, 1+W] (0 = off).") var warpTime = 0.0
    @Option(help: "Spectrogram masking (SpecAugment) of training clips: widest band in bins/columns, two bands per axis (0 = off).") var specMask = 0
    @Option(help: "Weight of the keyword-listening term: the audio branch names the anatomy keyword the prep's ASR heard in the window (softmax over the dictionary's anatomies and \"none\"; 0 = off).") var listen: Float = 0
    @Option(help: "A trained bundle (repeat for several) whose map the audio branch learns: the student's map is taught the bundles' summed map (they and the student share the frozen --init-video branch; --video-lr-scale 0).") var distillFrom: [String] = []
    @Option(help: "With --distill-from: weight of the distillation term ||s - u||²/||u||² (s, u: the student's and the teachers' mean audio vector in the video branch's channels).") var distillWeight: Float = 1
    @Option(help: "With --distill-from: share (0 to 1) of each keyword clip's target taken by its keyword's direction in the frozen video branch's channels (the cells the pictures of the clips whose ASR words name it share, found once at the start through --keyword-space's projection; 0 = off).") var keywordDirections: Float = 0
    @Option(help: "With --keyword-directions: a trained bundle sharing the frozen --init-video branch, through whose video projection the directions are fitted (the projection keeps what tells structures apart; the raw channels do not).") var keywordSpace: String?
    @Flag(help: "video-cells: trace a cell between the two views from the pixel its receptive field is centred on (stride·j) instead of the middle of its block of the even division (7.5 px apart at stride 16).") var cellsWhereTheyLook = false
    @Flag(help: "With --keyword-directions: scale each keyword clip's share by how much of the recognised keyword lies inside its 0.6 s window (the ASR's word times), so a window holding a syllable keeps the teachers' target and one holding the whole word gets the full share.") var keywordByShare = false
    @Option(help: "With --keyword-directions: rounds of re-weighting each word's pictures' cells towards what they share (0 = the plain mean cell; default 5; models/tools/word_directions_space.py --sweep compares them).") var keywordRounds: Int?
    @Option(help: "With --keyword-directions: after the rounds, take this share of each picture's cells that score highest as the word's structure and refit the direction as their whitened contrast against the rest of the picture (linear discriminant analysis with the peaks for a mask; e.g. 0.02; 0 = off).") var keywordContrast: Float = 0
    @Option(help: "Weight of the text-teaches-audio term ||a - t||²/||t||² (0 = off; with --weights 0,1,0,1 the audio learns only from the text branch).") var alignAudioToText: Float = 0
    @Flag(help: "Mask screen furniture (pixels that do not change between a clip's frames, per recording) out of the frames; the bundle tells the appliance to do the same.") var liveImageMask = false
    @Option(help: "Random translation of training frames: up to N pixels per axis (0 = off).") var frameShift = 0
    @Option(help: "Start the video branch from this run folder's checkpoint-video.safetensors (e.g. a --variant video-cells run with the same --config), such a file, or a model bundle folder (e.g. models/edge-full).") var initVideo: String?
    @Option(help: "The video branch's learning rate relative to --lr (0 freezes it).") var videoLrScale: Float = 1
    @Option(help: "word2vec file (text or binary).") var wordVectors = "models/glove-6b-50d-showtell.txt"
    @Option(help: "Keyword dictionary (TOML).") var keywords = "models/keywords.toml"
    @Option(help: "Toy clips instead of a dataset.") var synthetic = 0
    @Option(help: "Keep keyword clips and every k-th other clip (clips overlap: 0.2 s hop, 0.6 s window).") var clipStride = 1
    @Flag(help: "Continue from RUN_DIR's checkpoints.") var resume = false
    @Option(help: "Stop (with a checkpoint) after this many minutes.") var maxMinutes: Double?
    @Option(help: "Stop after this many steps.") var maxSteps: Int?
    @Option(help: "Steps between checkpoints.") var checkpointEvery = 50
    @Option(help: "Threads (OpenBLAS and the backbones' loops).") var threads = 2
    @Option(help: "Held-out prep folder for the pointing game.") var evaluate: String?
    @Option(help: "Raw sessions of the held-out folder (labels.jsonl: ground truth for scoring only).") var sessions: String?

    func validate() throws {
        guard dataset != nil || synthetic > 0 else { throw ValidationError("give a DATASET folder or --synthetic N") }
        guard batch >= 2 else { throw ValidationError("--batch must be at least 2") }
        guard (1...2).contains(framesPerClip) else { throw ValidationError("--frames-per-clip must be 1 or 2") }
        guard !keywordClipsOnly || dataset != nil else { throw ValidationError("--keyword-clips-only needs a DATASET (toy clips have no ASR words)") }
        guard (0..<(ShowTellNetwork.frameSize / 2)).contains(frameShift) else {
            throw ValidationError("--frame-shift must be 0 (off) up to \(ShowTellNetwork.frameSize / 2 - 1) pixels")
        }
        guard alignAudioToText >= 0, alignAudioToText == 0 || variant == .full else {
            throw ValidationError("--align-audio-to-text needs --variant full (audio and text) and a weight of 0 or more")
        }
        guard listen >= 0, listen == 0 || variant.usesAudio else {
            throw ValidationError("--listen needs a variant with audio (va-base, va-contra, va-spatial, full) and a weight of 0 or more")
        }
        guard distillWeight == 1 || !distillFrom.isEmpty else { throw ValidationError("--distill-weight needs --distill-from BUNDLE (the teachers)") }
        guard distillFrom.isEmpty || (distillWeight > 0 && variant.usesAudio && initVideo != nil && videoLrScale == 0) else {
            throw ValidationError("--distill-from needs a variant with audio, --init-video (the teachers' video branch) with --video-lr-scale 0, and --distill-weight above 0")
        }
        guard (0...1).contains(keywordDirections), keywordDirections == 0 || (!distillFrom.isEmpty && keywordSpace != nil) else {
            throw ValidationError("--keyword-directions is a share from 0 to 1 and needs --distill-from BUNDLE (the directions are mixed into the teachers' targets) and --keyword-space BUNDLE (the projection they are fitted through)")
        }
        guard keywordSpace == nil || keywordDirections > 0 else { throw ValidationError("--keyword-space needs --keyword-directions SHARE") }
        guard keywordRounds.map({ (0...100).contains($0) && keywordDirections > 0 }) ?? true else {
            throw ValidationError("--keyword-rounds is 0 to 100 and needs --keyword-directions SHARE")
        }
        guard (0..<0.5).contains(keywordContrast), keywordContrast == 0 || keywordDirections > 0 else {
            throw ValidationError("--keyword-contrast is a share of the cells from 0 to below 0.5 and needs --keyword-directions SHARE")
        }
        guard !cellsWhereTheyLook || variant == .videoCells else {
            throw ValidationError("--cells-where-they-look traces cells between two views of a frame: it needs --variant video-cells")
        }
        guard !keywordByShare || keywordDirections > 0 else {
            throw ValidationError("--keyword-by-share needs --keyword-directions SHARE")
        }
        guard keywordContext >= 0, keywordContext == 0 || keywordNegatives else {
            throw ValidationError("--keyword-context needs --keyword-negatives and 0 or more seconds")
        }
        guard cellSeparation >= 0, cellSeparation == 0 || (keywordContext > 0 && !consecutiveBatches) else {
            throw ValidationError("--cell-separation needs --keyword-context S (the seconds within which two named anatomies share a picture) and random batches (not --consecutive-batches)")
        }
        guard nearNegatives >= 0, nearNegatives == 0 || (keywordNegatives && nearNegatives > keywordContext && cellSeparation == 0 && !consecutiveBatches) else {
            throw ValidationError("--near-negatives needs --keyword-negatives, a window longer than --keyword-context (\(keywordContext) s: nearer clips are never negatives) and neither --cell-separation nor --consecutive-batches")
        }
        guard nearNegativesAlike >= 0, nearNegativesAlike == 0 || (nearNegatives > 0 && initVideo != nil && videoLrScale == 0) else {
            throw ValidationError("--near-negatives-alike needs --near-negatives, 0 or more, and a frozen pre-trained video branch (--init-video with --video-lr-scale 0): the frames are compared once, by that branch")
        }
        guard poolingSharpness > 0, poolingSharpness == 1 || pooling == .lse else {
            throw ValidationError("--pooling-sharpness is above 0 and needs --pooling lse (it shapes that pooling)")
        }
        guard separationMargin >= 0, separationMargin == 0 || cellSeparation > 0 else { throw ValidationError("--separation-margin needs --cell-separation and 0 or more") }
        guard cellSeparation == 0 || pooling == .lse else { throw ValidationError("--cell-separation needs --pooling lse (its cell weights are the pooling's softmax)") }
        guard (0...1).contains(mosaic) else { throw ValidationError("--mosaic is a share of clips, from 0 to 1") }
        guard !mosaicFullScale || mosaic == 1 else {
            throw ValidationError("--mosaic-full-scale makes every training image a mosaic (one input size per batch): give --mosaic 1")
        }
        guard !mosaicFullScale || evaluate == nil else {
            throw ValidationError("--evaluate scores maps of whole frames, and a --mosaic-full-scale model trains on mosaics: judge its bundle with `showtell eval localise` instead")
        }
        guard (0..<0.5).contains(warpFrequency), (0..<0.5).contains(warpTime) else {
            throw ValidationError("--warp-frequency and --warp-time must be at least 0 and below 0.5 (a scale factor of 1 ± W)")
        }
        guard (evaluate == nil) == (sessions == nil) else { throw ValidationError("--evaluate and --sessions go together") }
        guard videoLrScale >= 0 else { throw ValidationError("--video-lr-scale must be 0 (frozen) or more") }
        if variant == .videoCells {
            guard framesPerClip == 2, mosaic == 0, evaluate == nil else {
                throw ValidationError("--variant video-cells needs --frames-per-clip 2 (two views of each clip), no --mosaic, and no --evaluate (it has no audio map; give its run folder to --init-video)")
            }
        }
    }

    func run() throws {
        var c = TrainingConfiguration(backbone: backbone.configuration, variant: variant)
        c.audioBackbone = audioBackbone.map(\.configuration).flatMap { $0 == c.backbone ? nil : $0 }
        c.batch = batch
        c.optimizer = optimizer
        c.learningRate = lr
        c.decayEvery = decayEvery
        c.momentum = momentum
        c.weightDecay = weightDecay
        c.gradientClip = clip
        c.seed = seed
        c.dimension = dimension
        c.framesPerClip = framesPerClip
        if let gate { c.gate = gate }
        c.pooling = pooling
        c.poolingSharpness = poolingSharpness
        c.contrastive = contrastive
        c.temperature = temperature
        c.fusionInit = fusionInit
        c.negatives = NegativePolicy(minimumShift: minShift, keywordAware: keywordNegatives, keywordContext: keywordContext)
        c.consecutiveBatches = consecutiveBatches
        c.cellSeparation = cellSeparation
        c.nearNegatives = nearNegatives
        c.nearNegativesAlike = nearNegativesAlike
        c.separationMargin = separationMargin
        c.alignAudioToText = alignAudioToText
        c.listen = listen
        if !distillFrom.isEmpty {
            c.distill = distillWeight
            c.distillFrom = distillFrom
            c.keywordDirections = keywordDirections
            c.keywordSpace = keywordSpace
            if let keywordRounds { c.keywordRounds = keywordRounds }
            c.keywordContrast = keywordContrast
            c.keywordDirectionsByShare = keywordByShare
        }
        c.cellsWhereTheyLook = cellsWhereTheyLook
        c.videoLearningRateScale = videoLrScale
        if liveImageMask { c.liveImageMask = LiveImageMask() }
        if frameShift > 0 { c.frameJitter = FrameJitter(maxShift: frameShift) }
        if mosaic > 0 { c.frameMosaic = FrameMosaic(probability: mosaic, fullScale: mosaicFullScale) }
        if warpFrequency > 0 || warpTime > 0 { c.spectrogramWarp = SpectrogramWarp(frequency: warpFrequency, time: warpTime) }
        if specMask > 0 { c.spectrogramMasking = SpectrogramMasking(bands: 2, maxWidth: specMask) }
        if let weights {
            let values = weights.split(separator: ",").compactMap { Float($0) }
            guard values.count == 4 else { throw ValidationError("--weights needs four numbers: alpha,beta,gamma,delta") }
            let own = variant.terms
            // Only the variant's own terms can be switched on.
            c.weights = LossWeights(baseAudio: own.baseAudio > 0 ? values[0] : 0, baseText: own.baseText > 0 ? values[1] : 0,
                                    contraAudio: own.contraAudio > 0 ? values[2] : 0, contraText: own.contraText > 0 ? values[3] : 0)
        }
        var options = TrainingRunOptions(configuration: c, out: out)
        options.dataset = dataset
        options.syntheticClips = synthetic
        options.clipStride = clipStride
        options.keywordClipsOnly = keywordClipsOnly
        options.initVideo = initVideo
        options.epochs = epochs
        options.resume = resume
        options.timeLimit = maxMinutes.map { $0 * 60 }
        options.stepLimit = maxSteps
        options.checkpointEvery = checkpointEvery
        options.threads = threads
        options.wordVectors = dataset == nil ? nil : wordVectors
        options.keywords = dataset == nil ? nil : keywords
        if let evaluate, let sessions {
            // Ground truth is read here, after training, by the Evaluation module only.
            options.heldout = PointingGame.heldoutScorer(prep: evaluate, sessions: sessions, out: out, title: variant.rawValue)
        }
        options.bundleNotes = "dataset \(dataset ?? "synthetic"), \(epochs) epochs, seed \(seed)"
        do {
            _ = try TrainingRun.run(options, log: { Console.out($0 + "\n") }, progress: { line in
                Console.error("\r" + line + "\u{1B}[K")
            })
        } catch let error as TrainingError {
            throw ValidationError(error.description)
        }
    }
}
