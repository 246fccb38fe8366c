import NeuralTestSupport
import Foundation
import NeuralCore
import ShowTellModel
import Testing
@testable import Training
import TestSupport

@Suite(.serialized) struct ModelTests {
    static func toyConfiguration(_ variant: Variant, batch: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration(backbone: .tiny, variant: variant)
        #expect(c.summary["audio_backbone"] == nil, "a run whose branches agree keeps its earlier summary")
        c.batch = batch
        c.dimension = 16
        c.frameSize = 24
        c.spectrogramSize = 16
        c.textHidden = 8
        c.concatHidden = 8
        c.maxWords = 6
        return c
    }

    /// The whole step (backbones, frame averaging, projections, fusion, eq. 4) against finite
    /// differences of its own loss, on a few parameters of each store.
    @Test(arguments: [Variant.full, .vaContra, .videoOnly, .videoCells])
    func wholeStepGradient(variant: Variant) throws {
        var c = Self.toyConfiguration(variant, batch: 4)
        c.gate = .outliers  // toy words are all in the vocabulary: gates open, SIG gradients flow
        c.contrastive = .infoNCE
        c.gradientClip = 0
        let source = SyntheticClips(count: 4, sessions: 4, frameSize: 24, spectrogramSize: 16, seed: 3)
        let builder = BatchBuilder(source: source, vectors: TrainingRun.syntheticVectors(),
                                   keywords: KeywordDictionary(forms: ["alpha": ["alpha"]]), configuration: c)
        let model = try TrainingModel(c, wordDimension: 16)
        var random = RandomSource(seed: 2)
        let inputs = builder.fill(model, indices: [0, 1, 2, 3], random: &random)
        let (checked, bad) = Self.finiteDifferenceMismatches(model, inputs)
        #expect(checked >= 10)
        #expect(bad.count <= checked / 10, "\(bad)")  // float32 through BN: allow the odd ReLU kink
    }

    /// Analytic gradients of one step against central differences of its loss, on up to
    /// eight used parameters of each store: (parameters checked, descriptions of mismatches).
    static func finiteDifferenceMismatches(_ model: TrainingModel, _ inputs: BatchInputs,
                                           stores names: Set<String>? = nil) -> (checked: Int, bad: [String]) {
        for (_, store) in model.stores { store.zeroGradients() }
        _ = model.trainStep(inputs)
        // Every store's gradient is read before any finite-difference step: each extra
        // trainStep accumulates into all of them.
        let gradients = model.stores.map { Array(UnsafeBufferPointer(start: $0.store.gradients, count: $0.store.parameterCount)) }
        var checked = 0, bad = [String]()
        for ((storeName, store), analytic) in zip(model.stores, gradients) where names?.contains(storeName) ?? true {
            var r = RandomSource(seed: 11)
            // Sample parameters whose gradient is not zero (unused heads have none).
            let used = (0..<store.parameterCount).filter { analytic[$0] != 0 }
            for _ in 0..<min(8, used.count) {
                let index = used[Int(r.next() % UInt64(used.count))]
                let saved = store.parameters[index]
                let epsilon: Float = 1e-2 * max(1, abs(saved))
                store.parameters[index] = saved + epsilon
                let plus = Double(model.trainStep(inputs).total)
                store.parameters[index] = saved - epsilon
                let minus = Double(model.trainStep(inputs).total)
                store.parameters[index] = saved
                let numeric = (plus - minus) / (2 * Double(epsilon))
                checked += 1
                if abs(numeric - Double(analytic[index])) > 2e-3 + 0.08 * max(abs(numeric), abs(Double(analytic[index]))) {
                    bad.append("\(storeName)[\(index)]: numeric \(numeric) analytic \(analytic[index])")
                }
            }
        }
        return (checked, bad)
    }

    /// The text-teaches-audio term (audio as the text branch's student, V-A terms off): its
    /// gradient reaches the audio branch and matches finite differences; the map the box
    /// draws then goes through the text fusion head.
    @Test func alignedStudentGradient() throws {
        var c = Self.toyConfiguration(.full, batch: 4)
        c.gate = .outliers
        c.contrastive = .infoNCE
        c.gradientClip = 0
        c.weights = LossWeights(baseAudio: 0, baseText: 1, contraAudio: 0, contraText: 1)
        c.alignAudioToText = 1
        let source = SyntheticClips(count: 4, sessions: 4, frameSize: 24, spectrogramSize: 16, seed: 3)
        let builder = BatchBuilder(source: source, vectors: TrainingRun.syntheticVectors(),
                                   keywords: KeywordDictionary(forms: ["alpha": ["alpha"]]), configuration: c)
        let model = try TrainingModel(c, wordDimension: 16)
        #expect(model.audioMapHead == "fusion_text")
        var random = RandomSource(seed: 2)
        let inputs = builder.fill(model, indices: [0, 1, 2, 3], random: &random)
        let terms = model.trainStep(inputs)
        #expect(terms.alignAudio > 0 && terms.alignAudio.isFinite && terms.contraAudio.isNaN)
        let audioStore = model.stores.first { $0.name == "audio" }!.store
        #expect((0..<audioStore.parameterCount).contains { audioStore.gradients[$0] != 0 })
        // t is held fixed by the term (stop-gradient), so the text parameters' analytic
        // gradient leaves out on purpose what finite differences see: check the backbones.
        let (checked, bad) = Self.finiteDifferenceMismatches(model, inputs, stores: ["video", "audio"])
        #expect(checked >= 10)
        #expect(bad.count <= checked / 10, "\(bad)")
    }

    /// A toy full-variant step with the keyword-listening term on (every synthetic object word
    /// a keyword), ready for finite differences.
    static func listeningStep(audioBackbone: ResNeXtConfiguration? = nil) throws
        -> (TrainingConfiguration, BatchBuilder, TrainingModel, BatchInputs) {
        var c = toyConfiguration(.full, batch: 4)
        c.audioBackbone = audioBackbone
        c.gate = .outliers
        c.contrastive = .infoNCE
        c.gradientClip = 0
        c.listen = 0.5
        let dictionary = KeywordDictionary(forms: Dictionary(uniqueKeysWithValues: SyntheticClips.objectWords.map { ($0, [$0]) }))
        c.listenClasses = dictionary.forms.keys.sorted()
        let source = SyntheticClips(count: 4, sessions: 4, frameSize: 24, spectrogramSize: 16, seed: 3)
        let builder = BatchBuilder(source: source, vectors: TrainingRun.syntheticVectors(), keywords: dictionary, configuration: c)
        let model = try TrainingModel(c, wordDimension: 16)
        var random = RandomSource(seed: 2)
        return (c, builder, model, builder.fill(model, indices: [0, 1, 2, 3], random: &random))
    }

    /// The keyword-listening term in the whole step: targets come from the clips' words
    /// through the dictionary, the term is in the total, and its gradient reaches the listen
    /// head and the audio backbone, matching finite differences of the total.
    @Test func listeningGradient() throws {
        let (c, builder, model, inputs) = try Self.listeningStep()
        let k = c.listenClasses.count + 1
        #expect(inputs.listenTargets.count == 4 * k)
        for (slot, clip) in [0, 1, 2, 3].enumerated() {
            let row = Array(inputs.listenTargets[(slot * k)..<((slot + 1) * k)])
            #expect(abs(row.reduce(0, +) - 1) < 1e-6)
            let named = builder.anatomies[clip]
            for (index, name) in c.listenClasses.enumerated() { #expect((row[index] > 0) == named.contains(name)) }
        }
        for (_, store) in model.stores { store.zeroGradients() }
        let terms = model.trainStep(inputs)
        #expect(terms.listen.isFinite && terms.listen > 0)
        let heads = model.stores.first { $0.name == "heads" }!.store
        let listen = heads.entry(named: "listen.weight")!
        #expect((0..<listen.count).contains { heads.gradients[listen.offset + $0] != 0 })
        let (checked, bad) = Self.finiteDifferenceMismatches(model, inputs, stores: ["audio", "heads"])
        #expect(checked >= 10)
        #expect(bad.count <= checked / 10, "\(bad)")
    }

    /// An audio branch with its own backbone (`--audio-config`: 128 pooled channels beside the
    /// video's 32): the audio projection and the listen head take its width, and the whole
    /// step still matches finite differences in the audio backbone and the heads.
    @Test func ownAudioBackboneGradient() throws {
        let (c, _, model, inputs) = try Self.listeningStep(audioBackbone: .edgeLocal)
        #expect(c.summary["audio_backbone"] == "edge-local")
        #expect(model.channels == 32 && model.audioChannels == 128)
        #expect(model.heads.entry(named: "audio_projection.weight")?.shape == [16, 128])
        #expect(model.heads.entry(named: "listen.weight")?.shape == [c.listenClasses.count + 1, 128])
        let (checked, bad) = Self.finiteDifferenceMismatches(model, inputs, stores: ["audio", "heads"])
        #expect(checked >= 10)
        #expect(bad.count <= checked / 10, "\(bad)")
        // The bundle's audio projection is the trained one (its width, folded fusion weight).
        model.exportProjections()
        #expect(model.network.audioBackbone == .edgeLocal && model.network.audioChannels == 128)
        #expect((0..<(16 * 128)).contains { model.network.audioProjectionWeight[$0] != 0 })
    }

    /// The ensemble-distillation term in the whole step (frozen video branch, two teacher
    /// bundles sharing it): in the total, and its gradient reaches the audio backbone and
    /// the heads, matching finite differences of the total.
    @Test func distillationGradient() throws {
        var c = Self.toyConfiguration(.full, batch: 4)
        c.gate = .outliers
        c.contrastive = .infoNCE
        c.gradientClip = 0
        c.videoLearningRateScale = 0
        c.distill = 2
        let source = SyntheticClips(count: 4, sessions: 4, frameSize: 24, spectrogramSize: 16, seed: 3)
        let builder = BatchBuilder(source: source, vectors: TrainingRun.syntheticVectors(),
                                   keywords: KeywordDictionary(forms: ["alpha": ["alpha"]]), configuration: c)
        let model = try TrainingModel(c, wordDimension: 16)
        let directory = NSTemporaryDirectory() + "showtell-distill-step-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for seed in [5, 6] as [UInt64] {
            let teacher = ShowTellNetwork(backbone: .tiny, embeddingDimension: 16, seed: seed)
            EnsembleDistillationTests.shareVideo(teacher, from: model.network)
            try ModelBundle.write(network: teacher, trained: true, notes: "teacher", to: directory + "/t\(seed)")
        }
        model.teachers = try EnsembleTeachers(bundles: [directory + "/t5", directory + "/t6"], student: model.network, batch: 4, spectrogramSize: 16)
        var random = RandomSource(seed: 2)
        let inputs = builder.fill(model, indices: [0, 1, 2, 3], random: &random)
        for (_, store) in model.stores { store.zeroGradients() }
        let terms = model.trainStep(inputs)
        #expect(terms.distill.isFinite && terms.distill > 0)
        let heads = model.stores.first { $0.name == "heads" }!.store
        let fusion = heads.entry(named: "fusion_audio.spatial.weight")!
        #expect((0..<fusion.count).contains { heads.gradients[fusion.offset + $0] != 0 })
        // The frozen video backbone has no analytic gradient on purpose: check the others.
        let (checked, bad) = Self.finiteDifferenceMismatches(model, inputs, stores: ["audio", "heads"])
        #expect(checked >= 10)
        #expect(bad.count <= checked / 10, "\(bad)")

        // Keyword directions mixed into the targets: they depend on the frozen branch only, so
        // the term changes and its gradient still matches finite differences.
        c.keywordDirections = 0.5
        c.keywordSpace = directory + "/t5"
        let worded = try TrainingModel(c, wordDimension: 16)
        worded.teachers = try EnsembleTeachers(bundles: [directory + "/t5", directory + "/t6"], student: worded.network, batch: 4, spectrogramSize: 16)
        var wordBuilder = BatchBuilder(source: source, vectors: TrainingRun.syntheticVectors(),
                                       keywords: KeywordDictionary(forms: ["alpha": ["alpha"]]), configuration: c)
        var direction = [Float](repeating: 0, count: worded.channels)
        random.fillGaussian(&direction, count: direction.count, std: 1)
        wordBuilder.keywordDirections = KeywordDirections(directions: ["alpha": direction], channels: worded.channels)
        var again = RandomSource(seed: 2)
        let wordInputs = wordBuilder.fill(worded, indices: [0, 1, 2, 3], random: &again)
        #expect(wordInputs.directionTargets.contains { $0 != 0 } && wordInputs.directionTargets.contains { $0 == 0 }, "only clips naming alpha get a direction")
        for (_, store) in worded.stores { store.zeroGradients() }
        let wordTerms = worded.trainStep(wordInputs)
        #expect(wordTerms.distill.isFinite && abs(wordTerms.distill - terms.distill) > 1e-4)
        let (wordChecked, wordBad) = Self.finiteDifferenceMismatches(worded, wordInputs, stores: ["audio", "heads"])
        #expect(wordChecked >= 10)
        #expect(wordBad.count <= wordChecked / 10, "\(wordBad)")
    }

    /// Distillation with the voice perturbation: the teachers hear each window as recorded, the
    /// student the warped one (so it learns to hear the teachers' word through another voice);
    /// without augmentation both hear the same, and a run without warp or masking keeps no copy.
    @Test func teachersHearTheCleanWindow() throws {
        var c = Self.toyConfiguration(.full, batch: 4)
        c.videoLearningRateScale = 0
        c.distill = 1
        c.spectrogramWarp = SpectrogramWarp(frequency: 0.2, time: 0.2)
        let source = SyntheticClips(count: 4, sessions: 4, frameSize: 24, spectrogramSize: 16, seed: 3)
        let builder = BatchBuilder(source: source, vectors: TrainingRun.syntheticVectors(),
                                   keywords: KeywordDictionary(forms: ["alpha": ["alpha"]]), configuration: c)
        let model = try TrainingModel(c, wordDimension: 16)
        let area = 16 * 16
        var recorded = [Float](repeating: 0, count: 4 * area)
        recorded.withUnsafeMutableBufferPointer { for clip in 0..<4 { source.loadSpectrogram(clip: clip, into: $0.baseAddress! + clip * area) } }
        var random = RandomSource(seed: 2)
        _ = builder.fill(model, indices: [0, 1, 2, 3], random: &random)
        let teacher = try #require(model.teacherAudioInput)
        #expect(Array(UnsafeBufferPointer(start: teacher, count: 4 * area)) == recorded)
        #expect(Array(UnsafeBufferPointer(start: model.audioInput!, count: 4 * area)) != recorded, "the student hears the warped windows")
        _ = builder.fill(model, indices: [0, 1, 2, 3], random: &random, augment: false)
        #expect(Array(UnsafeBufferPointer(start: model.audioInput!, count: 4 * area)) == recorded)
        #expect(Array(UnsafeBufferPointer(start: teacher, count: 4 * area)) == recorded)

        c.spectrogramWarp = nil
        #expect(try TrainingModel(c, wordDimension: 16).teacherAudioInput == nil)
        c.spectrogramMasking = SpectrogramMasking(bands: 2, maxWidth: 4)
        #expect(try TrainingModel(c, wordDimension: 16).teacherAudioInput != nil)
    }

    /// A run resumed by a build with another set of loss terms keeps its curves: each old
    /// value stays under its own column, a term the old build lacked is empty.
    @Test func resumedCurvesKeepTheirColumns() {
        let names = LossTerms.names.filter { $0 != "distill_a" }
        let header = "step,epoch,learning_rate,total," + names.joined(separator: ",") + ",clips_per_s"
        let row = "7,1,0.001,1.5," + names.map { $0 == "contra_va" ? "2.5" : "" }.joined(separator: ",") + ",31.0"
        let fields = Trainer.currentLayout(rows: [row], header: header)[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let current = Trainer.csvHeader.split(separator: ",").map(String.init)
        #expect(fields.count == current.count)
        for (name, value) in zip(current, fields) {
            let expected = ["step": "7", "epoch": "1", "learning_rate": "0.001", "total": "1.5", "contra_va": "2.5", "clips_per_s": "31.0"][name] ?? ""
            #expect(value == expected, "\(name)")
        }
        #expect(Trainer.currentLayout(rows: [row], header: Trainer.csvHeader) == [row])
    }

    /// A tiny run learns the toy audio-to-position task: after 400 steps the map's maximum
    /// lands on the named object in many held-out clips (chance is ~11 %; measured 75 % with
    /// `showtell train --synthetic 640 --config tiny --variant va-spatial --batch 16 --lr 0.05
    /// --epochs 10 --dimension 16`).
    @Test func toyRunLearnsWhereTheNamedObjectIs() throws {
        var c = Self.toyConfiguration(.vaSpatial, batch: 16)
        c.learningRate = 0.05
        c.seed = 5
        c.framesPerClip = 1  // a third less work; the two-frame path is covered by wholeStepGradient
        let train = SyntheticClips(count: 640, sessions: 8, frameSize: 24, spectrogramSize: 16, seed: 1)
        let vectors = TrainingRun.syntheticVectors()
        let keywords = KeywordDictionary(forms: ["alpha": ["alpha"]])
        let model = try TrainingModel(c, wordDimension: vectors.dimension)
        let scratch = ScratchFolder("showtell-toy")
        let directory = scratch.path
        let trainer = Trainer(model: model, builder: BatchBuilder(source: train, vectors: vectors, keywords: keywords, configuration: c),
                              directory: directory, epochs: 10)
        trainer.checkpointEvery = 1000
        try trainer.run()
        let heldout = SyntheticClips(count: 96, sessions: 4, frameSize: 24, spectrogramSize: 16, seed: 77)
        let maps = model.maps(for: Array(0..<96), builder: BatchBuilder(source: heldout, vectors: vectors, keywords: keywords, configuration: c))
        var hits = 0
        for (clip, map) in maps.enumerated() {
            let best = map.indices.max { map[$0] < map[$1] }!
            // Tiny backbone: stride 2, so cell (x, y) is centred on pixel (2x + 1, 2y + 1).
            let x = 2 * (best % model.mapSide) + 1, y = 2 * (best / model.mapSide) + 1
            let box = heldout.targetBox(clip: clip)
            if x >= box.x0 - 1 && x <= box.x1 && y >= box.y0 - 1 && y <= box.y1 { hits += 1 }
        }
        // Measured 51/96 in a debug build, one frame per clip (75 % in release with two frames);
        // a model that learned nothing scores ~11 %.
        #expect(hits >= 96 * 4 / 10, "pointing \(hits)/96")
    }

    /// `video-cells` pre-trains the video branch on toy clips (its loss falls); `--init-video`
    /// starts another run from those weights (a run folder or a bundle folder), a video
    /// learning-rate scale of 0 keeps them (batch-norm statistics aside), and a folder without
    /// the checkpoint is named in the error.
    @Test func initVideoStartsFromAVideoCellsPreTraining() throws {
        let scratch = ScratchFolder("showtell-init-video")
        var pre = Self.toyConfiguration(.videoCells, batch: 4)
        pre.optimizer = .adamw
        pre.learningRate = 0.01
        pre.temperature = 0.2
        var options = TrainingRunOptions(configuration: pre, out: scratch.path + "/pre")
        options.syntheticClips = 16
        options.epochs = 4
        options.threads = 1
        _ = try TrainingRun.run(options, log: { _ in })
        let rows = try String(contentsOfFile: scratch.path + "/pre/losses.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let column = Trainer.csvHeader.split(separator: ",").firstIndex(of: "cells_v")!
        let losses = rows.map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[column])! }
        #expect(losses.count == 16 && losses.allSatisfy { $0 > 0 })
        #expect(losses.suffix(4).reduce(0, +) < losses.prefix(4).reduce(0, +), "\(losses)")

        var next = Self.toyConfiguration(.full, batch: 4)
        next.videoLearningRateScale = 0
        var follow = TrainingRunOptions(configuration: next, out: scratch.path + "/av")
        follow.syntheticClips = 16
        follow.epochs = 1
        follow.threads = 1
        follow.initVideo = scratch.path + "/pre"
        _ = try TrainingRun.run(follow, log: { _ in })
        let before = try SafeTensorsFile.read(path: scratch.path + "/pre/checkpoint-video.safetensors")
        let after = try SafeTensorsFile.read(path: scratch.path + "/av/checkpoint-video.safetensors")
        let store = ResNeXt(.tiny).store
        var compared = 0
        for entry in store.entries where !entry.isBuffer {
            #expect(try before.floats(entry.name) == after.floats(entry.name), "\(entry.name) moved")
            compared += 1
        }
        #expect(compared > 10)
        let fresh = ResNeXt(.tiny, seed: next.seed).store, stem = fresh.entry(named: "stem.conv.weight")!
        #expect(try after.floats(stem.name) != Array(UnsafeBufferPointer(start: fresh.pointer(stem), count: stem.count)))
        // A model bundle folder works too (its video.* tensors; tiny runs write no bundle, so
        // this one holds the AV run's video branch under the bundle's names).
        let bundleStore = ResNeXt(.tiny).store
        try bundleStore.load(from: after)
        var writer = SafeTensorsWriter()
        bundleStore.add(to: &writer, prefix: "video.")
        try FileManager.default.createDirectory(atPath: scratch.path + "/bundle", withIntermediateDirectories: true)
        try writer.write(path: scratch.path + "/bundle/model.safetensors")
        var fromBundle = follow
        fromBundle.initVideo = scratch.path + "/bundle"
        fromBundle.out = scratch.path + "/av-bundle"
        _ = try TrainingRun.run(fromBundle, log: { _ in })
        let third = try SafeTensorsFile.read(path: scratch.path + "/av-bundle/checkpoint-video.safetensors")
        for entry in store.entries where !entry.isBuffer {
            #expect(try third.floats(entry.name) == before.floats(entry.name), "\(entry.name) not loaded from the bundle")
        }

        follow.initVideo = scratch.path + "/nothing-here"
        follow.out = scratch.path + "/av2"
        do {
            _ = try TrainingRun.run(follow, log: { _ in })
            Issue.record("a missing --init-video checkpoint was accepted")
        } catch let error as TrainingError {
            #expect(error.description.contains("nothing-here/checkpoint-video.safetensors"), "\(error)")
        }
    }

    /// Same seed, same losses; and a run resumed from its checkpoint ends where an
    /// uninterrupted run ends.
    @Test func deterministicAndResumable() throws {
        var c = Self.toyConfiguration(.full, batch: 8)
        c.learningRate = 0.01
        let source = SyntheticClips(count: 48, sessions: 4, frameSize: 24, spectrogramSize: 16, seed: 2)
        let vectors = TrainingRun.syntheticVectors()
        let keywords = KeywordDictionary(forms: ["alpha": ["alpha"], "bravo": ["bravo"]])
        func train(_ directory: String, epochs: Int, stepLimit: Int? = nil, resume: Bool = false) throws -> (LossTerms?, TrainingModel) {
            let model = try TrainingModel(c, wordDimension: vectors.dimension)
            let trainer = Trainer(model: model, builder: BatchBuilder(source: source, vectors: vectors, keywords: keywords, configuration: c),
                                  directory: directory, epochs: epochs)
            trainer.checkpointEvery = 4
            trainer.stepLimit = stepLimit
            if resume { try trainer.resume() }
            return (try trainer.run(), model)
        }
        let scratch = ScratchFolder("showtell-det")
        let base = scratch.path
        let (a, modelA) = try train(base + "/a", epochs: 2)
        let (b, _) = try train(base + "/b", epochs: 2)
        #expect(a?.total == b?.total)
        _ = try train(base + "/c", epochs: 2, stepLimit: 5)
        let (c2, modelC) = try train(base + "/c", epochs: 2, resume: true)
        #expect(a?.total == c2?.total)
        let pa = modelA.heads.parameters, pc = modelC.heads.parameters
        #expect((0..<modelA.heads.parameterCount).allSatisfy { pa[$0] == pc[$0] })
        let csv = try String(contentsOfFile: base + "/c/losses.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 12)  // header + 2 epochs x 6 steps
        #expect(FileManager.default.fileExists(atPath: base + "/c/losses.png"))
    }
}
