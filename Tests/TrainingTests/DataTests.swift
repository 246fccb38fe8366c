import NeuralTestSupport
import Foundation
import NeuralCore
import ShowTellModel
import Testing
@testable import Training
import TestSupport

/// Eight 24×24 clips over four recordings (the mosaic test): clip k's frame is k·1000 + the
/// pixel's index, so every pixel of a mosaic tells whose frame it is and where it came from.
private struct FourRecordings: ClipSource {
    let clips = (0..<8).map { ClipRecord(session: $0 % 4, time: Double($0) * 3, words: ["alpha"]) }
    let sessionNames = ["s0", "s1", "s2", "s3"]
    let frameSize = 24, spectrogramSize = 16, framesPerClip = 1
    func loadFrame(clip index: Int, frame: Int, into output: UnsafeMutablePointer<Float>) {
        for i in 0..<(24 * 24) { output[i] = Float(index * 1000 + i) }
    }
    func loadSpectrogram(clip index: Int, into output: UnsafeMutablePointer<Float>) { output.update(repeating: 0, count: 256) }
}

@Suite struct DataTests {
    @Test func sigMasksUnknownPaddingAndNonKeywords() {
        // outliers: <unk> and padding closed, other words open
        #expect(BatchBuilder.mask(level: .outliers, isPadding: false, isUnknown: true, isKeyword: false) == 0)
        #expect(BatchBuilder.mask(level: .outliers, isPadding: true, isUnknown: false, isKeyword: true) == 0)
        #expect(BatchBuilder.mask(level: .outliers, isPadding: false, isUnknown: false, isKeyword: false) == 1)
        // keywords: only dictionary words
        #expect(BatchBuilder.mask(level: .keywords, isPadding: false, isUnknown: false, isKeyword: false) == 0)
        #expect(BatchBuilder.mask(level: .keywords, isPadding: false, isUnknown: false, isKeyword: true) == 1)
        #expect(BatchBuilder.mask(level: .keywords, isPadding: true, isUnknown: false, isKeyword: true) == 0)
        // none (V-T base): every real word
        #expect(BatchBuilder.mask(level: .none, isPadding: false, isUnknown: true, isKeyword: false) == 1)
    }

    /// Through the whole text path: a clip "so here is the xyzzy kidneys" at level keywords
    /// has one open gate (kidneys); at level outliers all but <unk> (xyzzy) and padding.
    @Test(arguments: [GateLevel.keywords, .outliers])
    func sigGatesInTheModel(level: GateLevel) throws {
        let vectors = WordVectors(words: ["so", "here", "is", "the", "kidneys"], dimension: 3, vectors: (0..<15).map { Float($0) / 10 })
        let keywords = KeywordDictionary(forms: ["kidneys": ["kidneys"], "pulmonary_artery": ["pulmonary artery"]])
        let clips = [ClipRecord(session: 0, time: 0, words: ["so", "here", "is", "the", "xyzzy", "kidneys"]),
                     ClipRecord(session: 1, time: 0, words: ["um"])]
        let source = ListSource(clips: clips)
        var c = TrainingConfiguration(backbone: .tiny, variant: .full)
        c.batch = 2
        c.gate = level
        c.maxWords = 8
        c.frameSize = 16
        c.spectrogramSize = 16
        c.dimension = 8
        let model = try TrainingModel(c, wordDimension: 3)
        let builder = BatchBuilder(source: source, vectors: vectors, keywords: keywords, configuration: c)
        var random = RandomSource(seed: 1)
        let inputs = builder.fill(model, indices: [0, 1], random: &random)
        _ = model.trainStep(inputs)
        let gates = (0..<8).map { model.gateValues[$0] }
        let open = gates.enumerated().filter { $0.element > 0 }.map(\.offset)
        #expect(open == (level == .keywords ? [5] : [0, 1, 2, 3, 5]))
        #expect((8..<16).allSatisfy { model.gateValues[$0] == 0 })  // "um" is <unk>, the rest padding
    }

    @Test func keywordDictionaryMatchesMultiWordForms() {
        let keywords = KeywordDictionary(forms: ["pulmonary_artery": ["Pulmonary Artery"], "heart": ["heart"]])
        #expect(keywords.match(["the", "pulmonary", "artery", "and", "heart"]) == [nil, "pulmonary_artery", "pulmonary_artery", nil, "heart"])
        #expect(keywords.match(["pulmonary", "valve"]) == [nil, nil])
    }

    @Test func keywordDictionaryReadsTOML() throws {
        let path = NSTemporaryDirectory() + "/keywords-\(getpid()).toml"
        try "[keywords]\nheart = [\"heart\", \"cardiac\"]\npulmonary_artery = [\"pulmonary artery\"]\n".write(toFile: path, atomically: true, encoding: .utf8)
        let dictionary = try KeywordDictionary.read(path: path)
        #expect(dictionary.forms["heart"] == ["heart", "cardiac"])
        #expect(dictionary.allWords == ["heart", "cardiac", "pulmonary", "artery"])
    }

    @Test func negativesAreNeverPositives() {
        var random = RandomSource(seed: 4)
        let policy = NegativePolicy(minimumShift: 2)
        var clips = [ClipRecord]()
        for i in 0..<40 { clips.append(ClipRecord(session: Int(random.next() % 3), time: Double(random.next() % 20) * 0.5, words: [])) }
        clips.append(ClipRecord(session: 9, time: 0, words: []))  // the only clip of its scan
        for trial in 0..<20 {
            var r = RandomSource(seed: UInt64(trial))
            let (pick, mask) = BatchBuilder.negatives(for: clips, anatomies: clips.map { _ in [] }, policy: policy, random: &r)
            let n = clips.count
            for i in 0..<n {
                #expect(mask[i * n + i] == 0)
                for j in 0..<n where mask[i * n + j] != 0 {
                    #expect(clips[i].session != clips[j].session || abs(clips[i].time - clips[j].time) >= 2)
                }
                if pick[i] >= 0 {
                    #expect(pick[i] != i && mask[i * n + pick[i]] == 1)
                }
            }
        }
        // Same scan 1.5 s apart is neither positive nor negative; 2 s apart is a negative.
        #expect(!policy.isNegative(ClipRecord(session: 0, time: 10, words: []), ClipRecord(session: 0, time: 11.5, words: [])))
        #expect(policy.isNegative(ClipRecord(session: 0, time: 10, words: []), ClipRecord(session: 0, time: 12, words: [])))
        #expect(policy.isNegative(ClipRecord(session: 0, time: 10, words: []), ClipRecord(session: 1, time: 10, words: [])))
    }

    /// Keyword-aware negatives: clips naming a common anatomy (by their ASR words) are never
    /// negatives of each other; everything else follows the shift rule as before.
    @Test func keywordAwareNegativesSkipSharedAnatomy() {
        let clips = [ClipRecord(session: 0, time: 0, words: ["kidney"]), ClipRecord(session: 1, time: 0, words: ["kidneys"]),
                     ClipRecord(session: 2, time: 0, words: ["liver"]), ClipRecord(session: 3, time: 0, words: [])]
        let anatomies: [Set<String>] = [["kidney"], ["kidney"], ["liver"], []]
        var r = RandomSource(seed: 1)
        let plain = BatchBuilder.negatives(for: clips, anatomies: anatomies, policy: NegativePolicy(), random: &r)
        #expect(plain.mask[0 * 4 + 1] == 1)  // without the option: other scan, so a negative
        let aware = BatchBuilder.negatives(for: clips, anatomies: anatomies, policy: NegativePolicy(keywordAware: true), random: &r)
        #expect(aware.mask[0 * 4 + 1] == 0 && aware.mask[1 * 4 + 0] == 0)
        #expect(aware.mask[0 * 4 + 2] == 1 && aware.mask[2 * 4 + 0] == 1)  // kidney vs liver
        #expect(aware.mask[0 * 4 + 3] == 1 && aware.mask[3 * 4 + 3] == 0)  // no keyword shares nothing
        #expect(aware.pick[0] != 1 && aware.pick[1] != 0)
    }

    /// Keyword context: a clip naming what was named near a frame (same scan, within the
    /// window) is not that frame's negative; outside the window, or in another scan, it is.
    @Test func keywordContextKeepsNeighbouringNamesOffNegatives() {
        let clips = [ClipRecord(session: 0, time: 10, words: ["heart"]), ClipRecord(session: 0, time: 13, words: ["spine"]),
                     ClipRecord(session: 1, time: 0, words: ["spine"]), ClipRecord(session: 1, time: 20, words: ["heart"]),
                     ClipRecord(session: 0, time: 30, words: ["femur"])]
        let anatomies: [Set<String>] = [["heart"], ["spine"], ["spine"], ["heart"], ["femur"]]
        let policy = NegativePolicy(keywordAware: true, keywordContext: 4)
        let contexts = policy.contexts(clips, anatomies: anatomies)
        #expect(contexts[0] == ["heart", "spine"] && contexts[1] == ["heart", "spine"])
        #expect(contexts[2] == ["spine"] && contexts[4] == ["femur"])  // 20 s apart: not context
        #expect(NegativePolicy(keywordAware: true).contexts(clips, anatomies: anatomies) == anatomies)
        var r = RandomSource(seed: 2)
        let mask = BatchBuilder.negatives(for: clips, anatomies: anatomies, contexts: contexts, policy: policy, random: &r).mask
        let n = clips.count
        #expect(mask[0 * n + 2] == 0)  // the heart's frame may show the spine named 3 s later: not a negative
        #expect(mask[2 * n + 0] == 1)  // the other scan's spine frame had no heart named near it
        #expect(mask[0 * n + 4] == 1 && mask[4 * n + 0] == 1)  // femur vs heart: negatives both ways
        var plain = RandomSource(seed: 2)
        let without = BatchBuilder.negatives(for: clips, anatomies: anatomies, policy: NegativePolicy(keywordAware: true), random: &plain).mask
        #expect(without[0 * n + 2] == 1)
    }

    /// Separation pairs: one scan, within the window, both naming anatomy and none in common;
    /// a step's batch is anchors then their partners; and no pair is ever a negative (the
    /// keyword context with the same window keeps them off the denominators).
    @Test func separationPairsAndPartners() throws {
        let clips = [ClipRecord(session: 0, time: 10, words: ["heart"]), ClipRecord(session: 0, time: 13, words: ["spine"]),
                     ClipRecord(session: 0, time: 12, words: ["heart", "spine"]), ClipRecord(session: 0, time: 20, words: ["femur"]),
                     ClipRecord(session: 1, time: 10, words: ["femur"]), ClipRecord(session: 0, time: 11, words: ["um"])]
        let anatomies: [Set<String>] = [["heart"], ["spine"], ["heart", "spine"], ["femur"], ["femur"], []]
        let pairs = SeparationLoss.pairs(for: clips, anatomies: anatomies, window: 4)
        #expect(pairs == [SeparationLoss.Pair(video: 0, query: 1), SeparationLoss.Pair(video: 1, query: 0)])
        #expect(BatchBuilder.partners(clips, anatomies: anatomies, window: 4) == [[1], [0], [], [], [], []])
        #expect(BatchBuilder.partners(clips, anatomies: anatomies, window: 10) == [[1, 3], [0, 3], [3], [0, 1, 2], [], []])

        let (vectors, keywords) = tinyVocabulary(["heart", "spine", "femur"])
        var c = tinyBatchConfiguration(negatives: NegativePolicy(keywordAware: true, keywordContext: 4))
        c.cellSeparation = 0.5
        let builder = BatchBuilder(source: ListSource(clips: clips), vectors: vectors, keywords: keywords, configuration: c)
        var random = RandomSource(seed: 3)
        let batch = builder.partnered([0, 3, 4, 5], random: &random)
        #expect(batch == [0, 3, 1, 5])  // 0's partner is 1; 3 (femur alone in its 4 s) keeps the slice's own clip
        let model = try TrainingModel(c, wordDimension: 3)
        let inputs = builder.fill(model, indices: batch, random: &random)
        #expect(inputs.separationPairs == [SeparationLoss.Pair(video: 0, query: 2), SeparationLoss.Pair(video: 2, query: 0)])
        #expect(inputs.visibleCells.count == 4 * model.cells && inputs.visibleCells.contains(1))
        for pair in inputs.separationPairs { #expect(inputs.negativeMask[pair.video * 4 + pair.query] == 0) }
        let terms = model.trainStep(inputs)
        #expect(terms.separation.isFinite && terms.separation > 0)
    }

    /// Near negatives: the same scan, within the window, beyond what the clip's frame may show
    /// (keyword context), both ways; a step pairs anchors with them, and every such pair is in
    /// the step's negative mask (a near negative that the denominators left out would teach
    /// nothing).
    @Test func nearNegativesAreNegativesOfTheSameStretch() throws {
        let clips = [ClipRecord(session: 0, time: 10, words: ["skull"]), ClipRecord(session: 0, time: 12, words: ["ventricles"]),
                     ClipRecord(session: 0, time: 18, words: ["cerebellum"]), ClipRecord(session: 0, time: 40, words: ["femur"]),
                     ClipRecord(session: 1, time: 18, words: ["femur"]), ClipRecord(session: 0, time: 19, words: ["cerebellum"]),
                     ClipRecord(session: 0, time: 11, words: ["um"])]
        let anatomies: [Set<String>] = [["skull"], ["ventricles"], ["cerebellum"], ["femur"], ["femur"], ["cerebellum"], []]
        let policy = NegativePolicy(keywordAware: true, keywordContext: 4)
        let contexts = policy.contexts(clips, anatomies: anatomies)
        let near = BatchBuilder.nearNegatives(clips, anatomies: anatomies, contexts: contexts, policy: policy, window: 10)
        // 0 and 1 are within each other's context; 2 and 5 name the same; 3 is too far; 4 is another scan; 6 names nothing.
        #expect(near == [[2, 5], [2, 5], [0, 1], [], [], [0, 1], []])
        #expect(BatchBuilder.nearNegatives(clips, anatomies: anatomies, contexts: contexts, policy: policy, window: 30) == [[2, 3, 5], [2, 3, 5], [0, 1, 3], [0, 1, 2, 5], [], [0, 1, 3], []])

        let (vectors, keywords) = tinyVocabulary(["skull", "ventricles", "cerebellum", "femur"])
        var c = tinyBatchConfiguration(negatives: policy)
        c.nearNegatives = 10
        let builder = BatchBuilder(source: ListSource(clips: clips), vectors: vectors, keywords: keywords, configuration: c)
        #expect(builder.partners == near)
        var random = RandomSource(seed: 3)
        let batch = builder.partnered([0, 3, 4, 6], random: &random)
        #expect(batch[0] == 0 && batch[1] == 3 && [2, 5].contains(batch[2]) && batch[3] == 6)  // 3 has none: the slice's own clip stays
        let model = try TrainingModel(c, wordDimension: 3)
        let inputs = builder.fill(model, indices: batch, random: &random)
        #expect(inputs.negativeMask[0 * 4 + 2] == 1 && inputs.negativeMask[2 * 4 + 0] == 1)
        #expect(model.trainStep(inputs).total.isFinite)
    }

    /// Of each clip's near negatives the most alike frames are kept (cosine, ties by index), and
    /// the video branch's descriptors of a clip do not depend on the batch it is computed in.
    @Test func nearNegativesKeepTheMostAlikeFrames() throws {
        let descriptors: [[Float]] = [[1, 0], [2, 0.1], [0, 1], [1, 1], [-1, 0], [0, 0]]
        let partners = [[1, 2, 3, 4], [0], [0, 1, 3, 5], [], [0, 1], [2]]
        #expect(BatchBuilder.mostAlike(partners, descriptors: descriptors, count: 2) == [[1, 3], [0], [1, 3], [], [0, 1], [2]])
        #expect(BatchBuilder.mostAlike(partners, descriptors: descriptors, count: 1) == [[1], [0], [3], [], [1], [2]])
        #expect(abs(BatchBuilder.meanCosine([[2], [], [0]], descriptors: descriptors) - 0) < 1e-6)
        #expect(abs(BatchBuilder.meanCosine([[3], [0]], descriptors: descriptors) - (Float(0.5).squareRoot() + 2 / Float(4.01).squareRoot()) / 2) < 1e-5)

        let clips = (0..<7).map { ClipRecord(session: $0 % 2, time: Double($0) * 3, words: [$0 % 3 == 0 ? "femur" : "skull"]) }
        let (vectors, keywords) = tinyVocabulary(["skull", "femur"])
        var c = tinyBatchConfiguration(negatives: NegativePolicy(keywordAware: true, keywordContext: 4))
        c.nearNegatives = 10
        let source = ListSource(clips: clips)
        var builder = BatchBuilder(source: source, vectors: vectors, keywords: keywords, configuration: c)
        let model = try TrainingModel(c, wordDimension: 3)
        let all = model.frameDescriptors(for: Array(0..<7), builder: builder)
        let shuffled = model.frameDescriptors(for: [5, 2, 6], builder: builder)
        #expect(all.count == 7 && all[0].count == model.channels)
        #expect(shuffled == [all[5], all[2], all[6]])
        #expect(Set(all.map { $0.map(\.bitPattern) }).count > 1)  // the clips' frames differ
        let before = builder.partners
        #expect(before == [[2], [3], [0], [1, 5], [6], [3], [4]])
        builder.keepMostAlikePartners(1, descriptors: all)
        #expect(builder.partners == BatchBuilder.mostAlike(before, descriptors: all, count: 1) && builder.partners[3].count == 1)
    }

    /// Masking zeroes whole frequency rows and whole time columns, no more than asked, and
    /// leaves every other value as it was; the same random stream gives the same masks.
    @Test func spectrogramMaskingZeroesBandsOnly() {
        let size = 64
        var original = [Float](repeating: 0, count: size * size)
        for i in original.indices { original[i] = Float(i % 97) + 1 }  // never 0
        let masking = SpectrogramMasking(bands: 2, maxWidth: 8)
        for seed in 0..<20 {
            var masked = original, again = original
            var r1 = RandomSource(seed: UInt64(seed)), r2 = RandomSource(seed: UInt64(seed))
            masked.withUnsafeMutableBufferPointer { masking.apply($0.baseAddress!, size: size, random: &r1) }
            again.withUnsafeMutableBufferPointer { masking.apply($0.baseAddress!, size: size, random: &r2) }
            #expect(masked == again)
            let zeroRows = (0..<size).filter { row in (0..<size).allSatisfy { masked[row * size + $0] == 0 } }
            let zeroColumns = (0..<size).filter { column in (0..<size).allSatisfy { masked[$0 * size + column] == 0 } }
            #expect(zeroRows.count <= 16 && zeroColumns.count <= 16)
            for row in 0..<size where !zeroRows.contains(row) {
                for column in 0..<size where !zeroColumns.contains(column) {
                    #expect(masked[row * size + column] == original[row * size + column])
                }
            }
        }
    }

    /// A frame shift moves every pixel by (dy, dx) and zeroes what it uncovers, as a plain
    /// copy would; the in-place order never reads an overwritten pixel.
    @Test func frameShiftMatchesPlainCopy() {
        let side = 9
        let original = (0..<(side * side)).map { Float($0 + 1) }
        for (dy, dx) in [(0, 0), (2, 3), (-3, 1), (1, -4), (-2, -2), (8, 0), (0, -8)] {
            var shifted = original
            shifted.withUnsafeMutableBufferPointer { FrameJitter.shift($0.baseAddress!, side: side, dy: dy, dx: dx) }
            for y in 0..<side {
                for x in 0..<side {
                    let sy = y - dy, sx = x - dx
                    let expected: Float = (0..<side).contains(sy) && (0..<side).contains(sx) ? original[sy * side + sx] : 0
                    #expect(shifted[y * side + x] == expected, "shift (\(dy), \(dx)) at (\(y), \(x))")
                }
            }
        }
    }

    /// video-cells' views: the identity view is the frame; after two random views of a frame
    /// with one bright block, the cell `correspondences` traces from the block's cell in one
    /// view is the block's cell in the other (or its neighbour, where the block straddles two).
    @Test func frameViewsTraceACellToTheSamePlace() {
        let side = 64, mapSide = 4, cell = side / mapSide
        var frame = [Float](repeating: 0, count: side * side)  // background as what lies outside the frame
        for y in 26..<38 { for x in 22..<34 { frame[y * side + x] = 3 } }
        var copy = [Float](repeating: 0, count: side * side)
        FrameView.identity(side: side).resample(frame, side: side, into: &copy)
        #expect(copy == frame)
        func brightestCell(_ image: [Float]) -> Int {
            let sums = (0..<(mapSide * mapSide)).map { c -> Float in
                var total: Float = 0
                for y in 0..<cell { for x in 0..<cell { total += image[((c / mapSide) * cell + y) * side + (c % mapSide) * cell + x] } }
                return total
            }
            return sums.indices.max { sums[$0] < sums[$1] }!
        }
        var random = RandomSource(seed: 21)
        var exact = 0
        let trials = 24
        for _ in 0..<trials {
            let a = FrameView.random(side: side, random: &random), b = FrameView.random(side: side, random: &random)
            var imageA = [Float](repeating: 0, count: side * side), imageB = imageA
            a.resample(frame, side: side, into: &imageA)
            b.resample(frame, side: side, into: &imageB)
            let traced = FrameView.correspondences(from: a, to: b, side: side, mapSide: mapSide)[brightestCell(imageA)]
            let target = brightestCell(imageB)
            #expect(traced >= 0 && abs(traced / mapSide - target / mapSide) <= 1 && abs(traced % mapSide - target % mapSide) <= 1,
                    "view \(a) -> \(b): traced cell \(traced), block in cell \(target)")
            if traced == target { exact += 1 }
        }
        #expect(exact >= trials * 2 / 3, "\(exact) of \(trials) traced exactly")
    }

    /// With the cells placed where they look (`--cells-where-they-look`: cell j of a stride-16
    /// map looks at pixel 16j, its square starting 7.5 px before its block), each traced cell is
    /// one whose look point is within half a cell of where the other view shows the place cell j
    /// looks at. The even division's pairs break that for some cells once the views zoom differently.
    @Test func correspondencesFollowTheLookPoints() {
        let side = 224, mapSide = 14, cell: Float = 16, origin: Float = -7.5
        func look(_ i: Int) -> Float { origin + (Float(i) + 0.5) * cell }
        func pairsAgreeingWithLookPoints(_ map: [Int], _ a: FrameView, _ b: FrameView) -> (agree: Int, paired: Int) {
            var agree = 0, paired = 0
            for c in map.indices where map[c] >= 0 {
                let p = a.source(y: look(c / mapSide), x: look(c % mapSide), side: side)
                let q = b.view(y: p.y, x: p.x, side: side)
                paired += 1
                if abs(look(map[c] / mapSide) - q.y) <= cell / 2 + 1e-3 && abs(look(map[c] % mapSide) - q.x) <= cell / 2 + 1e-3 { agree += 1 }
            }
            return (agree, paired)
        }
        let a = FrameView(scale: 0.75, centreY: 126, centreX: 100), b = FrameView(scale: 1.25, centreY: 100, centreX: 120)
        let traced = pairsAgreeingWithLookPoints(FrameView.correspondences(from: a, to: b, side: side, mapSide: mapSide, cellOrigin: origin), a, b)
        let even = pairsAgreeingWithLookPoints(FrameView.correspondences(from: a, to: b, side: side, mapSide: mapSide), a, b)
        #expect(traced.paired > 100 && traced.agree == traced.paired)
        #expect(even.paired > 100 && even.agree < even.paired, "the even division agrees with the look points on \(even.agree) of \(even.paired)")
    }

    /// Each anchor of video-cells has its positive in the same clip's other view, at the cell
    /// `correspondences` gives; both show something; at most `perDirection` per clip and direction.
    @Test func cellAnchorsPairTheSamePlaceInTheOtherView() {
        let side = 64, mapSide = 4, cells = 16
        var random = RandomSource(seed: 5)
        let views = (0..<4).map { _ in FrameView.random(side: side, random: &random) }
        var visible = [Float](repeating: 1, count: 4 * cells)
        for i in stride(from: 0, to: visible.count, by: 3) { visible[i] = 0 }
        let (anchors, positives) = BatchBuilder.cellAnchors(views: views, visible: visible, side: side, mapSide: mapSide, perDirection: 5, random: &random)
        #expect(!anchors.isEmpty && anchors.count == positives.count && anchors.count <= 4 * 5)
        for (a, p) in zip(anchors.map(Int.init), positives.map(Int.init)) {
            let from = a / cells, to = p / cells
            #expect(from / 2 == to / 2 && from != to, "anchor image \(from), positive image \(to)")
            #expect(visible[a] == 1 && visible[p] == 1)
            #expect(FrameView.correspondences(from: views[from], to: views[to], side: side, mapSide: mapSide)[a % cells] == p % cells)
        }
    }

    /// The warp moves a formant at bin f to bin αf and a column at c + d to c + βd (exact
    /// where those land on whole bins), leaves a spectrogram alone at α = β = 1, keeps a
    /// spectrogram that is constant along time unchanged by the tempo change, and repeats the
    /// top bin where the stretched axis runs out.
    @Test func spectrogramWarpMovesFormantsAndColumnsByItsFactors() {
        let size = 33, centre = 16
        var scratch = [Float](repeating: 0, count: size * size)
        func warp(_ input: [Float], _ alpha: Double, _ beta: Double) -> [Float] {
            var out = input
            out.withUnsafeMutableBufferPointer { o in scratch.withUnsafeMutableBufferPointer {
                SpectrogramWarp.warp(o.baseAddress!, size: size, frequencyScale: alpha, timeScale: beta, scratch: $0.baseAddress!)
            } }
            return out
        }
        let noise = (0..<(size * size)).map { Float(($0 * 7919) % 101) / 50 - 1 }
        #expect(warp(noise, 1, 1) == noise)
        // A formant at bin 8 under α = 1.25 lands on bin 10.
        var formant = [Float](repeating: 0, count: size * size)
        for t in 0..<size { formant[8 * size + t] = 1 }
        let raised = warp(formant, 1.25, 1)
        for t in 0..<size { #expect(raised[10 * size + t] == 1 && raised[9 * size + t] < 1 && raised[11 * size + t] < 1) }
        // A column at centre + 8 under β = 1.5 lands on centre + 12; under 0.5 on centre + 4.
        var column = [Float](repeating: 0, count: size * size)
        for f in 0..<size { column[f * size + centre + 8] = 1 }
        for (beta, target) in [(1.5, centre + 12), (0.5, centre + 4)] {
            let moved = warp(column, 1, beta)
            for f in 0..<size { #expect(moved[f * size + target] == 1, "beta \(beta) bin \(f)") }
        }
        // Rows constant along time stay so under a tempo change; a lowered voice (α < 1)
        // reads above its top bin and repeats it.
        let rows = (0..<(size * size)).map { Float($0 / size) }
        #expect(warp(rows, 1, 0.8) == rows)
        let lowered = warp(rows, 0.8, 1)
        #expect(lowered[(size - 1) * size] == Float(size - 1))
        for f in 0..<size { #expect(abs(lowered[f * size] - min(Float(f) / 0.8, Float(size - 1))) < 1e-4) }
    }

    /// A mosaic frame holds the clip's own frame in one quadrant and frames of other
    /// recordings in the other three: at half size (2×2 means), or at full size in an image
    /// of twice the side with a map twice as large. Scoring batches get whole frames, or for a
    /// full-scale model the own frame in the first quadrant.
    @Test(arguments: [false, true]) func mosaicPutsTheClipInOneQuadrantAndOtherRecordingsAround(fullScale: Bool) throws {
        var c = ModelTests.toyConfiguration(.vaSpatial, batch: 2)
        c.framesPerClip = 1
        c.frameMosaic = FrameMosaic(probability: fullScale ? 0.3 : 1, fullScale: fullScale)
        #expect(c.frameMosaic?.probability == 1)
        let side = fullScale ? 48 : 24, half = side / 2
        #expect(c.trainingImageSide == side)
        let source = FourRecordings()
        let builder = BatchBuilder(source: source, vectors: TrainingRun.syntheticVectors(),
                                   keywords: KeywordDictionary(forms: ["alpha": ["alpha"]]), configuration: c)
        let model = try TrainingModel(c, wordDimension: 16)
        let plain = try TrainingModel(ModelTests.toyConfiguration(.vaSpatial, batch: 2), wordDimension: 16)
        #expect(model.mapSide == (fullScale ? 2 : 1) * plain.mapSide)
        // Pixel (y, x) of clip k's tile: its frame (k·1000 + y·24 + x) as it is, or 2×2 means.
        func expected(_ k: Int, _ y: Int, _ x: Int) -> Float {
            fullScale ? Float(k * 1000 + y * 24 + x) : Float(k * 1000 + 48 * y + 2 * x) + 12.5
        }
        func owners(_ image: UnsafePointer<Float>) -> [Int] {
            (0..<4).map { q in
                let k = Int(image[(q / 2) * half * side + (q % 2) * half]) / 1000
                for y in 0..<half { for x in 0..<half { #expect(image[((q / 2) * half + y) * side + (q % 2) * half + x] == expected(k, y, x)) } }
                return k
            }
        }
        var random = RandomSource(seed: 4)
        var quadrantsSeen = Set<Int>()
        for _ in 0..<12 {
            _ = builder.fill(model, indices: [1, 6], random: &random)
            for (slot, clip) in [1, 6].enumerated() {
                let quadrants = owners(model.videoInput + slot * side * side)
                let own = quadrants.indices.filter { quadrants[$0] == clip }
                #expect(own.count == 1, "the clip's own frame fills exactly one quadrant: \(quadrants)")
                quadrantsSeen.formUnion(own)
                for owner in quadrants where owner != clip {
                    #expect(source.clips[owner].session != source.clips[clip].session, "other quadrants come from other recordings")
                }
            }
        }
        #expect(quadrantsSeen.count == 4, "the own quadrant is drawn at random")
        _ = builder.fill(model, indices: [1, 6], random: &random, augment: false)
        if fullScale {
            #expect(owners(model.videoInput)[0] == 1, "a full-scale model scores its own frame in the first quadrant")
        } else {
            #expect((0..<(24 * 24)).allSatisfy { model.videoInput[$0] == Float(1000 + $0) }, "scored frames are whole")
        }
    }

    /// Augmentation is for training batches only: maps scored against ground truth see the
    /// frames as stored.
    @Test func scoringBatchesAreNotAugmented() throws {
        var c = ModelTests.toyConfiguration(.vaSpatial, batch: 2)
        c.framesPerClip = 1
        c.frameJitter = FrameJitter(maxShift: 4)
        c.spectrogramMasking = SpectrogramMasking(bands: 2, maxWidth: 4)
        c.spectrogramWarp = SpectrogramWarp(frequency: 0.2, time: 0.2)
        let source = SyntheticClips(count: 2, sessions: 2, frameSize: 24, spectrogramSize: 16, seed: 3)
        let builder = BatchBuilder(source: source, vectors: TrainingRun.syntheticVectors(),
                                   keywords: KeywordDictionary(forms: ["alpha": ["alpha"]]), configuration: c)
        let model = try TrainingModel(c, wordDimension: 16)
        var stored = [Float](repeating: 0, count: 24 * 24)
        stored.withUnsafeMutableBufferPointer { source.loadFrame(clip: 0, frame: 0, into: $0.baseAddress!) }
        var random = RandomSource(seed: 1)
        _ = builder.fill(model, indices: [0, 1], random: &random, augment: false)
        #expect(Array(UnsafeBufferPointer(start: model.videoInput, count: 24 * 24)) == stored)
        var spectrogram = [Float](repeating: 0, count: 16 * 16)
        spectrogram.withUnsafeMutableBufferPointer { source.loadSpectrogram(clip: 0, into: $0.baseAddress!) }
        let audio = try #require(model.audioInput)
        #expect(Array(UnsafeBufferPointer(start: audio, count: 16 * 16)) == spectrogram, "scored clips are not warped or masked")
        var changed = false
        for seed in 0..<8 where !changed {
            var r = RandomSource(seed: UInt64(seed))
            _ = builder.fill(model, indices: [0, 1], random: &r)
            changed = Array(UnsafeBufferPointer(start: model.videoInput, count: 24 * 24)) != stored
        }
        #expect(changed, "training batches are shifted")
    }

    /// Per recording, the live-image mask keeps what changes between a clip's two frames
    /// (plus the dilation) and batches see the rest as 0, in training and in scoring.
    @Test func liveImageMaskHidesStaticPixels() throws {
        struct ScreenSource: ClipSource {
            let clips = (0..<4).map { ClipRecord(session: 0, time: Double($0) * 3, words: ["alpha"]) }
            let sessionNames = ["s0"]
            let frameSize = 24, spectrogramSize = 16, framesPerClip = 2
            func loadFrame(clip index: Int, frame: Int, into output: UnsafeMutablePointer<Float>) {
                for y in 0..<24 {
                    for x in 0..<24 { output[y * 24 + x] = x < 8 ? Float((x * 5 + y * 3 + frame * 7 + index) % 9) / 4 : 1.5 }
                }
            }
            func loadSpectrogram(clip index: Int, into output: UnsafeMutablePointer<Float>) { output.update(repeating: 0, count: 256) }
        }
        var c = ModelTests.toyConfiguration(.vaSpatial, batch: 2)
        c.framesPerClip = 1
        c.liveImageMask = LiveImageMask(thresholdGray: 0.5, capGray: 4, dilation: 3)
        let builder = BatchBuilder(source: ScreenSource(), vectors: TrainingRun.syntheticVectors(),
                                   keywords: KeywordDictionary(forms: ["alpha": ["alpha"]]), configuration: c)
        let mask = try #require(builder.liveMasks?.first)
        for y in 0..<24 { for x in 0..<24 { #expect(mask[y * 24 + x] == (x <= 10 ? 1 : 0), "(\(x), \(y))") } }
        let model = try TrainingModel(c, wordDimension: 16)
        var random = RandomSource(seed: 1)
        for augment in [true, false] {
            _ = builder.fill(model, indices: [0, 1], random: &random, augment: augment)
            #expect((0..<24).allSatisfy { y in (11..<24).allSatisfy { model.videoInput[y * 24 + $0] == 0 } })
            #expect(model.videoInput[3] != 0)
        }
    }

    /// Consecutive batches: every clip once per epoch, each batch a run of neighbours (in the
    /// rotated order), runs in a different order and with other boundaries each epoch.
    @Test func consecutiveBatchOrderIsAPermutationOfRuns() {
        let count = 103, batch = 10
        let first = Trainer.order(count: count, batch: batch, consecutive: true, seed: 5, epoch: 0)
        let second = Trainer.order(count: count, batch: batch, consecutive: true, seed: 5, epoch: 1)
        for order in [first, second] {
            #expect(order.sorted() == Array(0..<count))
            for start in stride(from: 0, to: count - batch, by: batch) {
                let run = order[start..<(start + batch)]
                #expect(zip(run, run.dropFirst()).allSatisfy { ($0 + 1) % count == $1 }, "\(Array(run))")
            }
        }
        #expect(first != second)
        #expect(Trainer.order(count: count, batch: batch, consecutive: true, seed: 5, epoch: 0) == first)  // resumable
        #expect(Trainer.order(count: count, batch: batch, consecutive: false, seed: 5, epoch: 0) == Trainer.permutation(count: count, seed: 5, epoch: 0))
    }

    @Test func wordVectorsTextAndBinary() throws {
        let text = "2 3\nheart 0.5 -1 2\nKidneys 1 2 3\n"
        let a = try WordVectors.parse(Array(text.utf8))
        #expect(a.dimension == 3 && a.words == ["<unk>", "heart", "kidneys"])
        #expect(a.id("Kidneys") == 2 && a.id("spleen") == 0)
        #expect(Array(a.vectors[3..<6]) == [0.5, -1, 2])
        #expect(Array(a.vectors[0..<3]) == [0, 0, 0])
        var binary = Array("2 3\n".utf8)
        for (word, values) in [("heart", [Float(0.5), -1, 2]), ("kidneys", [1, 2, 3])] {
            binary += Array((word + " ").utf8)
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { binary += $0 } }
            binary.append(0x0A)
        }
        let b = try WordVectors.parse(binary)
        #expect(b.words == a.words && b.vectors == a.vectors)
        #expect(throws: TrainingError.self) { try WordVectors.parse(Array("2 3\nheart 1 2\n".utf8)) }
    }

    @Test func preparedDataDigestPinsTheIndexAndEveryClipsWords() throws {
        let folder = ScratchFolder("showtell-dataset-digest")
        let index = Array(#"{"format":"showtell-prep"}"#.utf8)
        var clips = Array(#"{"words":[{"word":"heart"}]}"#.utf8)
        try Data(index).write(to: URL(fileURLWithPath: folder.path + "/prep.json"))
        try Data(clips).write(to: URL(fileURLWithPath: folder.path + "/clips.jsonl"))
        let digest = try TrainingRun.preparedDataDigest(folder.path)
        #expect(digest == SHA256.hex(index + clips))
        clips[clips.count - 5] = UInt8(ascii: "x")   // one clip hears another word
        try Data(clips).write(to: URL(fileURLWithPath: folder.path + "/clips.jsonl"))
        #expect(try TrainingRun.preparedDataDigest(folder.path) != digest)
        unlink(folder.path + "/clips.jsonl")
        #expect(throws: (any Error).self) { try TrainingRun.preparedDataDigest(folder.path) }
    }

    @Test func keywordShareInsideTheWindow() {
        #expect(ClipRecord.share(of: 2.0...2.4, inside: 2.0...2.6) == 1)
        #expect(abs(ClipRecord.share(of: 2.4...2.8, inside: 2.0...2.6) - 0.5) < 1e-12)
        #expect(ClipRecord.share(of: 2.7...2.9, inside: 2.0...2.6) == 0)
        #expect(abs(ClipRecord.share(of: 1.5...3.5, inside: 2.0...2.6) - 0.3) < 1e-12)
        let (vectors, _) = tinyVocabulary(["heart", "spine", "the"])
        let keywords = KeywordDictionary(forms: ["heart": ["heart"], "spine": ["spine"]])
        let clips = [ClipRecord(session: 0, time: 1, words: ["the", "heart"], inside: [1, 0.3]),
                     ClipRecord(session: 0, time: 2, words: ["heart", "the", "spine"], inside: [0.2, 1, 0.9]),
                     ClipRecord(session: 1, time: 1, words: ["the"], inside: [1]),
                     ClipRecord(session: 1, time: 4, words: ["spine"])]
        let builder = BatchBuilder(source: ListSource(clips: clips), vectors: vectors, keywords: keywords,
                                   configuration: tinyBatchConfiguration(negatives: NegativePolicy()))
        #expect(builder.keywordInside == [0.3, 0.9, 0, 1], "the best-heard keyword's share; 0 without one; 1 without word times")
    }

    @Test func halfFloats() {
        #expect(HalfFloat.decode(0x3C00) == 1)
        #expect(HalfFloat.decode(0xC000) == -2)
        #expect(HalfFloat.decode(0x7BFF) == 65504)
        #expect(HalfFloat.decode(0x0001) == Float(5.960464477539063e-8))
        #expect(HalfFloat.decode(0x7C00) == .infinity)
        #expect(HalfFloat.decode(0x3555) == Float(0.333251953125))
    }
}

/// Clips with blank images, for tests of the text and batching paths.
/// Word vectors (3-d, distinct) and a dictionary in which each word is its own keyword.
func tinyVocabulary(_ words: [String]) -> (WordVectors, KeywordDictionary) {
    (WordVectors(words: words, dimension: 3, vectors: (0..<(3 * words.count)).map { Float($0) / 10 }),
     KeywordDictionary(forms: Dictionary(uniqueKeysWithValues: words.map { ($0, [$0]) })))
}

/// The tiny full-variant model for `ListSource`'s 16 x 16 inputs, batches of 4.
func tinyBatchConfiguration(negatives: NegativePolicy) -> TrainingConfiguration {
    var c = TrainingConfiguration(backbone: .tiny, variant: .full)
    c.batch = 4
    c.frameSize = 16
    c.spectrogramSize = 16
    c.dimension = 8
    c.negatives = negatives
    return c
}

struct ListSource: ClipSource {
    let clips: [ClipRecord]
    var sessionNames: [String] { (0..<((clips.map(\.session).max() ?? 0) + 1)).map { "s\($0)" } }
    let frameSize = 16
    let spectrogramSize = 16
    let framesPerClip = 2
    func loadFrame(clip index: Int, frame: Int, into output: UnsafeMutablePointer<Float>) {
        for i in 0..<(frameSize * frameSize) { output[i] = Float((i * 7 + index * 3 + frame) % 11) / 5 - 1 }
    }
    func loadSpectrogram(clip index: Int, into output: UnsafeMutablePointer<Float>) {
        for i in 0..<(spectrogramSize * spectrogramSize) { output[i] = Float((i * 5 + index) % 13) / 6 - 1 }
    }
}
