import NeuralCore
import ShowTellModel

/// Turns a list of clip indices into the model's inputs: frames and spectrograms written into
/// the backbones' arenas, word vectors and SIG masks, the negatives of each row.
public struct BatchBuilder: Sendable {
    public let source: any ClipSource
    public let vectors: WordVectors
    public let keywords: KeywordDictionary
    public let configuration: TrainingConfiguration
    /// Per clip, computed once: word ids [≤ L] and which of them are dictionary keywords.
    public let wordIDs: [[Int]]
    public let keywordFlags: [[Bool]]
    /// Per clip, the canonical anatomies its recognised words name (keyword-aware negatives).
    public let anatomies: [Set<String>]
    /// Per clip, what its frame may show by the words around it (`NegativePolicy.keywordContext`).
    public let contexts: [Set<String>]
    /// Per clip, the largest share of a keyword's duration inside its window (0: names none).
    let keywordInside: [Float]
    /// Per recording, the live-image mask [frameSize²] (nil without `liveImageMask`).
    public let liveMasks: [[Float]]?
    /// Per clip, the clips a step pairs with it (`partnered`): `SeparationLoss`'s partners with
    /// `cellSeparation`, its near negatives with `nearNegatives`, else none.
    public private(set) var partners: [[Int]]
    /// Each keyword's direction for the distillation targets (set by `TrainingRun` once the
    /// frozen video branch is loaded; nil without `keywordDirections`).
    var keywordDirections: KeywordDirections?

    public init(source: any ClipSource, vectors: WordVectors, keywords: KeywordDictionary, configuration: TrainingConfiguration) {
        self.source = source
        self.vectors = vectors
        self.keywords = keywords
        self.configuration = configuration
        var ids = [[Int]](), flags = [[Bool]](), named = [Set<String>](), inside = [Float]()
        for clip in source.clips {
            let words = Array(clip.words.prefix(configuration.maxWords))
            ids.append(words.map { vectors.id($0) })
            let matches = keywords.match(words)
            flags.append(matches.map { $0 != nil })
            named.append(Set(matches.compactMap { $0 }))
            inside.append(Float(matches.indices.filter { matches[$0] != nil }.map { clip.inside[$0] }.max() ?? 0))
        }
        wordIDs = ids
        keywordFlags = flags
        anatomies = named
        keywordInside = inside
        contexts = configuration.negatives.contexts(source.clips, anatomies: named)
        liveMasks = configuration.liveImageMask.map { Self.liveMasks(source, spec: $0, side: configuration.frameSize) }
        if configuration.cellSeparation > 0 {
            partners = Self.partners(source.clips, anatomies: named, window: configuration.negatives.keywordContext)
        } else if configuration.nearNegatives > 0 {
            partners = Self.nearNegatives(source.clips, anatomies: named, contexts: contexts, policy: configuration.negatives,
                                          window: configuration.nearNegatives)
        } else {
            partners = source.clips.map { _ in [] }
        }
    }

    /// Per clip naming anatomy, the clips of its scan at most `window` seconds away that name
    /// anatomy and are its negatives both ways by `policy` (so `negatives` keeps them in the
    /// step's denominators).
    static func nearNegatives(_ clips: [ClipRecord], anatomies: [Set<String>], contexts: [Set<String>],
                              policy: NegativePolicy, window: Double) -> [[Int]] {
        let neighbours = ClipRecord.namingNeighbours(of: clips, anatomies: anatomies, within: window)
        return clips.enumerated().map { i, clip in
            guard !anatomies[i].isEmpty else { return [] }
            return neighbours[i].filter { j in
                j != i
                    && policy.isNegative(clip, clips[j], sharedKeyword: !contexts[i].isDisjoint(with: anatomies[j]))
                    && policy.isNegative(clips[j], clip, sharedKeyword: !contexts[j].isDisjoint(with: anatomies[i]))
            }
        }
    }

    /// Keeps, of each clip's partners, the `count` whose frames look most like its own
    /// (`mostAlike`); `descriptors` holds one vector per clip of `source`.
    public mutating func keepMostAlikePartners(_ count: Int, descriptors: [[Float]]) {
        precondition(descriptors.count == source.clips.count, "one descriptor per clip")
        partners = Self.mostAlike(partners, descriptors: descriptors, count: count)
    }

    /// Of each clip's partners the `count` most alike by the cosine of their descriptors (ties
    /// by index), in index order.
    static func mostAlike(_ partners: [[Int]], descriptors: [[Float]], count: Int) -> [[Int]] {
        let cosine = cosines(descriptors)
        return partners.enumerated().map { i, candidates in
            guard candidates.count > count else { return candidates }
            let ranked = candidates.map { (j: $0, alike: cosine(i, $0)) }.sorted { $0.alike != $1.alike ? $0.alike > $1.alike : $0.j < $1.j }
            return ranked.prefix(count).map(\.j).sorted()
        }
    }

    /// Mean cosine between each clip's descriptor and its partners' (the run log's diagnostic).
    static func meanCosine(_ partners: [[Int]], descriptors: [[Float]]) -> Float {
        let cosine = cosines(descriptors)
        let values = partners.enumerated().flatMap { i, list in list.map { cosine(i, $0) } }
        return values.isEmpty ? 0 : values.reduce(0, +) / Float(values.count)
    }

    /// The cosine of two descriptors by index, each normalised once (a zero vector scores 0).
    private static func cosines(_ descriptors: [[Float]]) -> (Int, Int) -> Float {
        let unit = descriptors.map { v -> [Float] in
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? v.map { $0 / norm } : v
        }
        return { a, b in zip(unit[a], unit[b]).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// Per clip, its partners in the dataset (`SeparationLoss.arePartners`: the pairs
    /// `SeparationLoss.pairs` finds in a batch).
    static func partners(_ clips: [ClipRecord], anatomies: [Set<String>], window: Double) -> [[Int]] {
        let neighbours = ClipRecord.namingNeighbours(of: clips, anatomies: anatomies, within: window)
        return clips.enumerated().map { index, clip in
            neighbours[index].filter { SeparationLoss.arePartners(clip, anatomies[index], clips[$0], anatomies[$0], window: window) }
        }
    }

    /// A step's clips with `cellSeparation` or `nearNegatives`: the first half of `slice` as anchors, each
    /// followed in the second half by a random partner (`partners`), or by the slice's own
    /// clip in that slot when it has none.
    public func partnered(_ slice: [Int], random: inout RandomSource) -> [Int] {
        let half = slice.count / 2
        let anchors = Array(slice[..<(slice.count - half)])
        let followers = (0..<half).map { k -> Int in
            let choices = partners[anchors[k]]
            return choices.isEmpty ? slice[slice.count - half + k] : choices[random.index(choices.count)]
        }
        return anchors + followers
    }

    /// Each recording's live-image mask from its clips' frame pairs (frames 0 and 1 of a clip
    /// are 0.2 s apart): the mean capped change per pixel, thresholded and dilated. A
    /// recording without pairs keeps its whole frame.
    static func liveMasks(_ source: any ClipSource, spec: LiveImageMask, side: Int) -> [[Float]] {
        let area = side * side, grayPerUnit = 255 * ShowTellNetwork.pixelStd
        var sums = [[Float]](repeating: [Float](repeating: 0, count: area), count: source.sessionNames.count)
        var counts = [Int](repeating: 0, count: source.sessionNames.count)
        var first = [Float](repeating: 0, count: area), second = first
        if source.framesPerClip >= 2 {
            for (index, clip) in source.clips.enumerated() {
                first.withUnsafeMutableBufferPointer { source.loadFrame(clip: index, frame: 0, into: $0.baseAddress!) }
                second.withUnsafeMutableBufferPointer { source.loadFrame(clip: index, frame: 1, into: $0.baseAddress!) }
                for i in 0..<area { sums[clip.session][i] += spec.change(first[i], second[i], grayPerUnit: grayPerUnit) }
                counts[clip.session] += 1
            }
        }
        var scratch = [Float](repeating: 0, count: area)
        return zip(sums, counts).map { sum, count in
            guard count > 0 else { return [Float](repeating: 1, count: area) }
            let activity = sum.map { $0 / Float(count) }
            var mask = [Float](repeating: 0, count: area)
            activity.withUnsafeBufferPointer { a in
                scratch.withUnsafeMutableBufferPointer { s in
                    mask.withUnsafeMutableBufferPointer { spec.mask(activity: a.baseAddress!, side: side, scratch: s.baseAddress!, into: $0.baseAddress!) }
                }
            }
            return mask
        }
    }

    /// SIG's mask for one word slot: may this word open the gate at `level`?
    public static func mask(level: GateLevel, isPadding: Bool, isUnknown: Bool, isKeyword: Bool) -> Float {
        if isPadding { return 0 }
        switch level {
        case .none: return 1
        case .outliers: return isUnknown ? 0 : 1
        case .keywords: return isKeyword ? 1 : 0
        }
    }

    /// For each row i: one random valid negative column (or -1), and the [N, N] mask of all
    /// valid negatives. Never the positive, never a clip of the same scan closer than the
    /// policy's minimum shift; with a keyword-aware policy, never a clip naming a common
    /// anatomy (`anatomies[i]`: what clip i's words name; empty sets share nothing), and never
    /// a clip j naming something clip i's frame may show (`contexts[i]`, default `anatomies`).
    public static func negatives(for clips: [ClipRecord], anatomies: [Set<String>], contexts: [Set<String>]? = nil,
                                 policy: NegativePolicy, random: inout RandomSource) -> (pick: [Int], mask: [Float]) {
        let n = clips.count
        let contexts = contexts ?? anatomies
        precondition(anatomies.count == n && contexts.count == n, "one anatomy set per clip")
        var mask = [Float](repeating: 0, count: n * n), pick = [Int](repeating: -1, count: n)
        for i in 0..<n {
            var candidates = [Int]()
            for j in 0..<n where j != i && policy.isNegative(clips[i], clips[j], sharedKeyword: !contexts[i].isDisjoint(with: anatomies[j])) {
                mask[i * n + j] = 1
                candidates.append(j)
            }
            if !candidates.isEmpty { pick[i] = candidates[Int(random.next() % UInt64(candidates.count))] }
        }
        return (pick, mask)
    }

    /// video-cells: for each clip (images 2n, 2n + 1) and direction, up to `perDirection`
    /// random cells of one view that show something and whose place the other view shows in
    /// a cell that shows something too; returns their rows (image·S + cell) and their
    /// counterparts' rows.
    static func cellAnchors(views: [FrameView], visible: [Float], side: Int, mapSide: Int, perDirection: Int, cellOrigin: Float = 0,
                            random: inout RandomSource) -> (anchors: [Int32], positives: [Int32]) {
        let cells = mapSide * mapSide
        precondition(views.count % 2 == 0 && visible.count == views.count * cells, "two views per clip")
        var anchors = [Int32](), positives = [Int32]()
        for clip in 0..<(views.count / 2) {
            for (from, to) in [(2 * clip, 2 * clip + 1), (2 * clip + 1, 2 * clip)] {
                let map = FrameView.correspondences(from: views[from], to: views[to], side: side, mapSide: mapSide, cellOrigin: cellOrigin)
                var candidates = (0..<cells).filter { map[$0] >= 0 && visible[from * cells + $0] > 0 && visible[to * cells + map[$0]] > 0 }
                for i in 0..<min(perDirection, candidates.count) { candidates.swapAt(i, i + random.index(candidates.count - i)) }
                for s in candidates.prefix(perDirection) {
                    anchors.append(Int32(from * cells + s))
                    positives.append(Int32(to * cells + map[s]))
                }
            }
        }
        return (anchors, positives)
    }

    /// Fills the model's input arenas for `indices` (count == batch) and returns the rest.
    /// `augment`: apply the run's frame jitter, spectrogram warp and masking (training batches only,
    /// never the maps that are scored against ground-truth positions).
    public func fill(_ model: TrainingModel, indices: [Int], random: inout RandomSource, augment: Bool = true) -> BatchInputs {
        let c = configuration, n = c.batch, f = c.framesPerClip
        precondition(indices.count == n, "batch of \(indices.count) clips, model expects \(n)")
        let frameArea = c.frameSize * c.frameSize, spectrogramArea = c.spectrogramSize * c.spectrogramSize
        let imageSide = c.trainingImageSide, imageArea = imageSide * imageSide
        let fullScale = c.frameMosaic?.fullScale ?? false
        var swapped = [Bool](repeating: false, count: n)
        var warpScratch = [Float](repeating: 0, count: augment && c.spectrogramWarp != nil ? spectrogramArea : 0)
        let views = c.variant == .videoCells
        var tile = [Float](repeating: 0, count: (augment || fullScale) && c.frameMosaic != nil || views ? imageArea : 0)
        // video-cells: each image's view and its cells that show something (before the photometric change).
        var frameViews = [FrameView](), viewVisible = [Float](repeating: 0, count: views ? n * f * model.cells : 0)
        for (slot, clip) in indices.enumerated() {
            // Mosaic: the clip's quadrant and three clips of other recordings for the rest.
            var mosaic: (quadrant: Int, others: [Int])?
            if augment || fullScale, let m = c.frameMosaic, fullScale || random.chance(m.probability) {
                let session = source.clips[clip].session
                var others: [Int] = []
                for _ in 0..<64 where others.count < 3 {
                    let other = random.index(source.clips.count)
                    if source.clips[other].session != session { others.append(other) }
                }
                if others.count == 3 { mosaic = (augment ? random.index(4) : 0, others) }
            }
            for frame in 0..<f {
                // With one frame per clip the first stored frame is used.
                let image = model.videoInput + (slot * f + frame) * imageArea
                let stored = min(frame, source.framesPerClip - 1)
                func load(_ index: Int, into target: UnsafeMutablePointer<Float>) {
                    source.loadFrame(clip: index, frame: stored, into: target)
                    if let mask = liveMasks?[source.clips[index].session] { for i in 0..<frameArea { target[i] *= mask[i] } }
                }
                if let mosaic {
                    tile.withUnsafeMutableBufferPointer { t in
                        let quadrants = [mosaic.quadrant] + (0..<4).filter { $0 != mosaic.quadrant }
                        for (quadrant, index) in zip(quadrants, [clip] + mosaic.others) {
                            load(index, into: t.baseAddress!)
                            c.frameMosaic!.place(t.baseAddress!, quadrant: quadrant, side: c.frameSize, into: image)
                        }
                    }
                } else if fullScale {
                    // A single-scan source: the clip alone, top left, on black.
                    image.update(repeating: 0, count: imageArea)
                    tile.withUnsafeMutableBufferPointer { t in
                        load(clip, into: t.baseAddress!)
                        c.frameMosaic!.place(t.baseAddress!, quadrant: 0, side: c.frameSize, into: image)
                    }
                } else {
                    load(clip, into: image)
                }
                if views {
                    let view = augment ? FrameView.random(side: imageSide, random: &random) : .identity(side: imageSide)
                    tile.withUnsafeMutableBufferPointer { t in
                        t.baseAddress!.update(from: image, count: imageArea)
                        view.resample(t.baseAddress!, side: imageSide, into: image)
                    }
                    viewVisible.withUnsafeMutableBufferPointer {
                        SeparationLoss.visibleCells(image: image, side: imageSide, mapSide: model.mapSide, into: $0.baseAddress! + (slot * f + frame) * model.cells)
                    }
                    if augment { view.photometric(image, count: imageArea, random: &random) }
                    frameViews.append(view)
                } else if augment {
                    c.frameJitter?.apply(image, side: imageSide, random: &random)
                }
            }
            if let audio = model.audioInput {
                source.loadSpectrogram(clip: clip, into: audio + slot * spectrogramArea)
                if let clean = model.teacherAudioInput {
                    (clean + slot * spectrogramArea).update(from: audio + slot * spectrogramArea, count: spectrogramArea)
                }
                if augment, let warp = c.spectrogramWarp {
                    warpScratch.withUnsafeMutableBufferPointer {
                        warp.apply(audio + slot * spectrogramArea, size: c.spectrogramSize, scratch: $0.baseAddress!, random: &random)
                    }
                }
                if augment { c.spectrogramMasking?.apply(audio + slot * spectrogramArea, size: c.spectrogramSize, random: &random) }
            }
            if c.variant == .videoOnly { swapped[slot] = random.next() % 2 == 1 }
        }
        let e = vectors.dimension, l = c.maxWords
        var embeddings = [Float](repeating: 0, count: n * l * e), mask = [Float](repeating: 0, count: n * l)
        if c.variant.usesText {
            for (slot, clip) in indices.enumerated() {
                for (k, id) in wordIDs[clip].enumerated() {
                    for d in 0..<e { embeddings[(slot * l + k) * e + d] = vectors.vectors[id * e + d] }
                    mask[slot * l + k] = Self.mask(level: c.gate, isPadding: false, isUnknown: id == 0, isKeyword: keywordFlags[clip][k])
                }
            }
        }
        let picked = Self.negatives(for: indices.map { source.clips[$0] }, anatomies: indices.map { anatomies[$0] },
                                    contexts: indices.map { contexts[$0] }, policy: c.negatives, random: &random)
        let pairs = c.cellSeparation > 0
            ? SeparationLoss.pairs(for: indices.map { source.clips[$0] }, anatomies: indices.map { anatomies[$0] }, window: c.negatives.keywordContext) : []
        var visible = [Float](repeating: 0, count: pairs.isEmpty ? 0 : n * model.cells)
        visible.withUnsafeMutableBufferPointer { out in
            for slot in 0..<(pairs.isEmpty ? 0 : n) {
                SeparationLoss.visibleCells(image: model.videoInput + slot * f * imageArea, side: imageSide, mapSide: model.mapSide,
                                            into: out.baseAddress! + slot * model.cells)
            }
        }
        var inputs = BatchInputs(negatives: picked.pick, negativeMask: picked.mask, embeddings: embeddings, wordMask: mask, swapped: swapped,
                                 separationPairs: pairs, visibleCells: visible)
        if let keywordDirections {
            inputs.directionTargets = keywordDirections.targets(named: indices.map { anatomies[$0] })
            if c.keywordDirectionsByShare { inputs.directionShares = indices.map { keywordInside[$0] } }
        }
        if c.listen > 0 {
            inputs.listenTargets = KeywordListeningLoss.targets(named: indices.map { anatomies[$0] }, classes: c.listenClasses)
        }
        if views {
            (inputs.cellAnchors, inputs.cellPositives) = Self.cellAnchors(views: frameViews, visible: viewVisible, side: imageSide, mapSide: model.mapSide,
                                                                          perDirection: c.cellAnchors,
                                                                          cellOrigin: c.cellsWhereTheyLook ? Float(CellCentres(c.backbone).firstEdge) : 0,
                                                                          random: &random)
        }
        return inputs
    }
}
