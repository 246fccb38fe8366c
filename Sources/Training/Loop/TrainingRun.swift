import FoundationEssentials
import MediaFormats
import NeuralCore
import Platform
import ShowTellModel

/// `showtell train`: dataset -> model -> loop -> curves -> held-out score -> bundle.
/// The run folder holds run.json (configuration, dataset), losses.csv/png, checkpoints, what
/// the held-out scorer wrote and, for variants with audio and spatial fusion, `bundle/`.
///
/// Training reads the prep index only. Scoring on held-out ground truth is the caller's
/// `HeldoutScorer` (the CLI passes the Evaluation module's pointing game), so this module has
/// no code that reads transcripts or labels (checked by TrainingIsolationTests).
public struct TrainingRunOptions: Sendable {
    public var dataset: String?
    /// Toy clips instead of a dataset (tests, development).
    public var syntheticClips = 0
    public var configuration: TrainingConfiguration
    public var out: String
    public var epochs = 8
    public var resume = false
    public var timeLimit: Double?
    public var stepLimit: Int?
    public var checkpointEvery = 50
    public var threads = 2
    public var wordVectors: String?
    public var keywords: String?
    /// Scores the trained model on held-out data after the last step (nil: no scoring).
    public var heldout: HeldoutScorer?
    public var bundleNotes = ""
    /// Keep every clip whose recognised words hold a keyword, and every `clipStride`-th other clip.
    public var clipStride = 1
    /// Keep only the clips whose recognised words hold a keyword (overrides `clipStride`).
    public var keywordClipsOnly = false
    /// The video backbone's starting weights: a run folder (its checkpoint-video.safetensors,
    /// e.g. a video-cells pre-training) or such a file (nil: the seed's initialisation).
    public var initVideo: String?

    public init(configuration: TrainingConfiguration, out: String) {
        self.configuration = configuration
        self.out = out
    }
}

public enum TrainingRun {
    public struct Summary: Sendable {
        public var steps: Int
        public var epochs: Int
        public var last: LossTerms?
        public var clipsPerSecond: Double
        public var heldout: HeldoutScore?
        public var bundle: String?
    }

    /// Toy vocabulary for synthetic runs: the object words and fillers, fixed random vectors.
    static func syntheticVectors() -> WordVectors {
        let words = SyntheticClips.objectWords + ["so", "here", "is", "the", "and"]
        var random = RandomSource(seed: 99)
        var vectors = [Float](repeating: 0, count: words.count * 16)
        random.fillGaussian(&vectors, count: vectors.count, std: 1)
        return WordVectors(words: words, dimension: 16, vectors: vectors)
    }

    public static func run(_ options: TrainingRunOptions, log: @escaping (String) -> Void, progress: ((String) -> Void)? = nil) throws -> Summary {
        var c = options.configuration
        let source: any ClipSource
        let vectors: WordVectors
        let keywords: KeywordDictionary
        if let path = options.dataset {
            let dataset = try PreparedDataset(path: path)
            guard let vectorsPath = options.wordVectors, let keywordsPath = options.keywords else {
                throw TrainingError("training on a dataset needs --word-vectors and --keywords")
            }
            vectors = try WordVectors.read(path: vectorsPath)
            keywords = try KeywordDictionary.read(path: keywordsPath)
            if options.clipStride > 1 || options.keywordClipsOnly {
                let kept = dataset.clips.indices.filter { i in
                    (!options.keywordClipsOnly && i % options.clipStride == 0) || keywords.match(dataset.clips[i].words).contains { $0 != nil }
                }
                source = SubsetSource(dataset, indices: kept)
            } else {
                source = dataset
            }
        } else {
            // Toy sizes for the tiny backbone; the deployed sizes otherwise (speed measurements).
            let tiny = c.backbone.name == "tiny"
            source = SyntheticClips(count: max(options.syntheticClips, c.batch), frameSize: tiny ? 24 : ShowTellNetwork.frameSize,
                                    spectrogramSize: tiny ? 16 : ShowTellNetwork.spectrogramSize, seed: c.seed)
            vectors = syntheticVectors()
            keywords = KeywordDictionary(forms: Dictionary(uniqueKeysWithValues: SyntheticClips.objectWords.map { ($0, [$0]) }))
        }
        c.frameSize = source.frameSize
        c.spectrogramSize = source.spectrogramSize
        if c.listen > 0 { c.listenClasses = keywords.forms.keys.sorted() }
        if source.framesPerClip < c.framesPerClip, c.variant == .videoOnly || c.variant == .videoCells {
            throw TrainingError("\(c.variant.rawValue) needs 2 frames per clip; the dataset stores \(source.framesPerClip)")
        }
        ShowTellNetwork.setBLASThreads(options.threads)
        let model = try TrainingModel(c, wordDimension: vectors.dimension)
        model.threads = options.threads
        if let initVideo = options.initVideo {
            // A run folder's checkpoint, such a file, or a model bundle (its video.* tensors).
            let bundle = initVideo + "/model.safetensors"
            let fromBundle = !initVideo.hasSuffix(".safetensors") && !FileIO.exists(initVideo + "/checkpoint-video.safetensors") && FileIO.exists(bundle)
            let path = initVideo.hasSuffix(".safetensors") ? initVideo : fromBundle ? bundle : initVideo + "/checkpoint-video.safetensors"
            guard FileIO.exists(path) else {
                throw TrainingError("--init-video: \(path) does not exist (give the run folder of a `showtell train` run, e.g. --variant video-cells, its checkpoint-video.safetensors, or a model bundle folder)")
            }
            do {
                try model.network.video.store.load(from: SafeTensorsFile.read(path: path), prefix: fromBundle ? "video." : "")
            } catch {
                throw TrainingError("--init-video \(path): \(error) (it must come from a run with the same --config, \(c.backbone.name))")
            }
            log("video branch initialised from \(path)")
        }
        if c.distill > 0 {
            model.teachers = try EnsembleTeachers(bundles: c.distillFrom, student: model.network, batch: c.batch, spectrogramSize: c.spectrogramSize)
            log(c.distillFrom.count == 1 ? "audio map taught by one bundle's map (weight \(c.distill))"
                : "audio map taught by the summed map of \(c.distillFrom.count) bundles (weight \(c.distill))")
        }
        var builder = BatchBuilder(source: source, vectors: vectors, keywords: keywords, configuration: c)
        var alikeLog: String?
        if c.nearNegatives > 0 && c.nearNegativesAlike > 0 {
            let descriptors = model.frameDescriptors(for: Array(source.clips.indices), builder: builder)
            let before = BatchBuilder.meanCosine(builder.partners, descriptors: descriptors)
            builder.keepMostAlikePartners(c.nearNegativesAlike, descriptors: descriptors)
            let after = BatchBuilder.meanCosine(builder.partners, descriptors: descriptors)
            alikeLog = "near negatives: the \(c.nearNegativesAlike) most alike by the video branch (mean cosine of the frames \(formatted(Double(after), digits: 3)), of all candidates \(formatted(Double(before), digits: 3)))"
        }
        var keywordSpaceChecksum: String?
        if c.keywordDirections > 0 {
            let naming = builder.anatomies.indices.filter { !builder.anatomies[$0].isEmpty }
            guard !naming.isEmpty else { throw TrainingError("--keyword-directions: no clip's ASR words name an anatomy of the keyword dictionary") }
            let space = try EnsembleTeachers.loadSharingVideo(c.keywordSpace!, with: model.network, option: "--keyword-space")
            let projection = Array(UnsafeBufferPointer(start: space.network.videoProjectionWeight, count: c.dimension * model.channels))
            let features = model.spatialFeatures(for: naming, builder: builder)
            builder.keywordDirections = KeywordDirections.fit(features: features, named: naming.map { builder.anatomies[$0] }, projection: projection,
                                                              channels: model.channels, cells: model.cells, rounds: c.keywordRounds,
                                                              contrast: c.keywordContrast)
            keywordSpaceChecksum = space.manifest.sha256
            log("keyword directions: \(builder.keywordDirections!.directions.count) words fitted on \(naming.count) clips' frames by the frozen video branch through \(c.keywordSpace!)'s projection; share \(c.keywordDirections) of their targets")
        }
        let trainer = Trainer(model: model, builder: builder, directory: options.out, epochs: options.epochs)
        trainer.checkpointEvery = options.checkpointEvery
        trainer.timeLimit = options.timeLimit
        trainer.stepLimit = options.stepLimit
        trainer.progress = progress
        try FileIO.makeDirectories(options.out)
        if options.resume {
            guard trainer.hasCheckpoint else { throw TrainingError("--resume: no checkpoint in \(options.out)") }
            try trainer.resume()
            log("resumed at epoch \(trainer.position.epoch + 1), step \(trainer.position.step) (\(trainer.position.globalStep) steps done)")
        }
        let keywordClips = builder.keywordFlags.filter { $0.contains(true) }.count
        var runInfo = c.summary
        runInfo["dataset"] = options.dataset ?? "synthetic:\(source.clips.count)"
        // Pins the exact prepared data (every session's tensors by their digest in prep.json,
        // every clip's words in clips.jsonl), so a retrained bundle can tell whether its input moved.
        if let path = options.dataset { runInfo["dataset_sha256"] = try Self.preparedDataDigest(path) }
        runInfo["clips"] = "\(source.clips.count)"
        runInfo["sessions"] = "\(source.sessionNames.count)"
        runInfo["clips_with_keyword"] = "\(keywordClips)"
        runInfo["word_vectors"] = options.wordVectors ?? "synthetic"
        runInfo["epochs"] = "\(options.epochs)"
        runInfo["clip_stride"] = "\(options.clipStride)"
        runInfo["keyword_clips_only"] = "\(options.keywordClipsOnly)"
        if let initVideo = options.initVideo { runInfo["init_video"] = initVideo }
        if let keywordSpaceChecksum { runInfo["keyword_space_sha256"] = keywordSpaceChecksum }
        if let teachers = model.teachers { runInfo["distill_teachers_sha256"] = teachers.checksums.joined(separator: ", ") }
        if c.cellSeparation > 0 {
            let partnered = builder.partners.filter { !$0.isEmpty }.count
            runInfo["clips_with_separation_partner"] = "\(partnered)"
            log("\(partnered) clips have a partner for the separation term (another anatomy named within \(c.negatives.keywordContext) s)")
        }
        if c.nearNegatives > 0 {
            let paired = builder.partners.filter { !$0.isEmpty }.count
            runInfo["clips_with_near_negative"] = "\(paired)"
            log("\(paired) clips have a near negative (another anatomy named within \(c.nearNegatives) s, outside the keyword context)")
            if let alikeLog { log(alikeLog) }
        }
        try writeJSON(runInfo, to: options.out + "/run.json")
        log("\(source.clips.count) clips from \(source.sessionNames.count) scans (\(keywordClips) with a keyword), "
            + "\(trainer.stepsPerEpoch) steps/epoch of \(c.batch); variant \(c.variant.rawValue), backbone \(c.backbone.name), "
            + "\(model.stores.reduce(0) { $0 + $1.store.parameterCount }) parameters trained")
        let started = monotonicSeconds(), stepsBefore = trainer.position.globalStep
        let last = try trainer.run()
        let elapsed = monotonicSeconds() - started
        let steps = trainer.position.globalStep - stepsBefore
        let rate = steps > 0 ? Double(steps * c.batch) / elapsed : 0
        try trainer.writeCurves()
        log("")
        log("trained \(steps) steps in \(formatted(elapsed, digits: 0)) s: \(formatted(rate, digits: 2)) clips/s (\(formatted(rate * Double(c.framesPerClip + (c.variant.usesAudio ? 1 : 0)), digits: 1)) images/s)")
        var summary = Summary(steps: trainer.position.globalStep, epochs: trainer.position.epoch, last: last, clipsPerSecond: rate)

        if let toy = source as? SyntheticClips, c.variant.fusion == .spatial || c.variant == .vaContra || c.variant == .vaBase,
           c.variant != .videoOnly {
            // Toy pointing: fresh clips (another seed); hit when the maximum cell lies on the named object.
            let heldout = SyntheticClips(count: 4 * c.batch, sessions: 4, frameSize: toy.frameSize, spectrogramSize: toy.spectrogramSize, seed: c.seed &+ 1000)
            let maps = model.maps(for: Array(0..<heldout.clips.count), builder: BatchBuilder(source: heldout, vectors: vectors, keywords: keywords, configuration: c))
            var hits = 0
            for (clip, map) in maps.enumerated() {
                let best = map.indices.max { map[$0] < map[$1] }!
                let step = Double(toy.frameSize) / Double(model.mapSide)
                let x = (Double(best % model.mapSide) + 0.5) * step, y = (Double(best / model.mapSide) + 0.5) * step
                let box = heldout.targetBox(clip: clip)
                if x >= Double(box.x0) - 1 && x <= Double(box.x1) + 1 && y >= Double(box.y0) - 1 && y <= Double(box.y1) + 1 { hits += 1 }
            }
            log("toy pointing on \(maps.count) fresh clips: \(hits) hits (\(percent(Double(hits) / Double(maps.count))))")
        }

        if let scorer = options.heldout {
            let score = try scorer(model, vectors, keywords)
            log(score.report)
            summary.heldout = score
        }

        if c.variant.usesAudio, c.variant.fusion == .spatial, c.backbone.name != "tiny" {
            model.exportProjections()
            var training = ModelManifest.TrainingSummary()
            training.runID = options.out
            training.dataset = options.dataset
            training.sessions = source.sessionNames.count
            training.clips = source.clips.count
            training.epochs = trainer.position.epoch
            training.steps = trainer.position.globalStep
            training.batchSize = c.batch
            training.learningRate = Double(c.learningRate)
            training.seed = c.seed
            var losses = [String: Double]()
            if let last { for (name, value) in zip(LossTerms.names, last.values) where !value.isNaN { losses[name] = Double(value) } }
            let w = c.weights.normalised
            losses["alpha"] = Double(w.baseAudio); losses["beta"] = Double(w.baseText)
            losses["gamma"] = Double(w.contraAudio); losses["delta"] = Double(w.contraText)
            training.losses = losses
            if let score = summary.heldout { training.metrics = score.metrics }
            training.configuration = runInfo
            training.keywords = keywords.forms
            if let score = summary.heldout { training.report = score.table }
            let bundle = options.out + "/bundle"
            let manifest = try ModelBundle.write(network: model.network, trained: true,
                                                 notes: "trained: showtell train --variant \(c.variant.rawValue) (\(options.bundleNotes))",
                                                 training: training, producer: "showtell train", localisation: .fusionDot,
                                                 liveImageMask: c.liveImageMask, to: bundle)
            log("wrote \(bundle): \(manifest.parameters) parameters, \(manifest.bytes ?? 0) bytes, sha256 \(manifest.sha256.prefix(12))")
            summary.bundle = bundle
        }
        return summary
    }

    /// SHA-256 of a prepared dataset's prep.json followed by its clips.jsonl.
    static func preparedDataDigest(_ dataset: String) throws -> String {
        var hash = SHA256()
        for file in ["prep.json", "clips.jsonl"] { hash.update(try FileIO.readAll(dataset + "/" + file)) }
        return SHA256.hexString(hash.finalize())
    }

    static func writeJSON(_ values: [String: String], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try FileIO.writeAtomically(path, Array(try encoder.encode(values)) + [0x0A])
    }
}

/// What a held-out scorer hands back: a markdown report (logged; the scorer also writes its
/// own files), the table and metrics the bundle's training summary carries.
public struct HeldoutScore: Sendable {
    public var report: String
    public var table: String
    public var metrics: [String: Double]

    public init(report: String, table: String, metrics: [String: Double]) {
        self.report = report
        self.table = table
        self.metrics = metrics
    }
}

/// Scores a trained model (inference mode) with the run's word vectors and keywords.
public typealias HeldoutScorer = @Sendable (_ model: TrainingModel, _ vectors: WordVectors, _ keywords: KeywordDictionary) throws -> HeldoutScore
