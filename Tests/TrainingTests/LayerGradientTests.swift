import Glibc
import NeuralTestSupport
import NeuralCore
import ShowTellModel
import Testing
@testable import Training

/// Every new layer and loss: forward against its plain-loop Double reference, backward
/// against central finite differences of the forward.
@Suite struct LayerGradientTests {
    func tensor(_ name: String, _ value: TestBuffer) -> Differentiable {
        Differentiable(name: name, value: value, gradient: TestBuffer(count: value.count))
    }

    @Test(arguments: [true, false])
    func textEncoder(gated: Bool) {
        var random = RandomSource(seed: 3)
        let g = TextGeometry(batch: 2, words: 3, wordDimension: 4, hidden: 5, dimension: 3, gateHidden: 2)
        let e = TestBuffer(gaussian: 2 * 3 * 4, &random)
        let mask = TestBuffer([1, 0, 1, 1, 1, 0])
        let p = tensor("parameters", TestBuffer(gaussian: TextEncoder.parameterCount(g), &random, scale: 0.7))
        let t = TestBuffer(count: 6), gates = TestBuffer(count: 6), scratch = TestBuffer(count: g.scratchCount)
        let r = TestBuffer(gaussian: 6, &random)
        let forward = {
            TextEncoder.forward(output: t.pointer, gates: gates.pointer, embeddings: e.pointer, mask: mask.pointer, gated: gated,
                                parameters: p.value.pointer, scratch: scratch.pointer, geometry: g)
        }
        forward()
        let reference = TextEncoder.reference(embeddings: e.array, mask: mask.array, gated: gated, parameters: p.value.array, geometry: g)
        for i in 0..<6 { #expect(abs(Double(t.pointer[i]) - reference[i]) < 1e-4) }
        let check = gradientMismatches([p], samples: 60, loss: { forward(); return t.dot(r) }) {
            forward()
            TextEncoder.backward(parameterGrads: p.gradient.pointer, outputGrad: r.pointer, embeddings: e.pointer, mask: mask.pointer,
                                 gated: gated, parameters: p.value.pointer, scratch: scratch.pointer, geometry: g)
        }
        #expect(check.mismatches.isEmpty, "\(check.mismatches)")
        #expect(check.checked > 40)
    }

    @Test(arguments: CellPooling.allCases.map { ($0, Float(1)) } + [(.lse, 4)])
    func spatialFusion(pooling: CellPooling, sharpness: Float) {
        var random = RandomSource(seed: 5)
        let g = SpatialFusionGeometry(videos: 3, queries: 2, dimension: 4, cells: 5, pooling: pooling, sharpness: sharpness)
        let v = tensor("video", TestBuffer(gaussian: 3 * 4 * 5, &random))
        let q = tensor("query", TestBuffer(gaussian: 2 * 4, &random))
        let w = tensor("weight", TestBuffer(gaussian: 4, &random))
        let b = tensor("bias", TestBuffer(gaussian: 1, &random))
        let logits = TestBuffer(count: 6), scratch = TestBuffer(count: g.scratchCount), r = TestBuffer(gaussian: 6, &random)
        let forward = {
            SpatialFusion.forward(logits: logits.pointer, video: v.value.pointer, query: q.value.pointer, weight: w.value.pointer,
                                  bias: b.value.pointer, scratch: scratch.pointer, geometry: g)
        }
        forward()
        let reference = SpatialFusion.reference(video: v.value.array, query: q.value.array, weight: w.value.array, bias: b.value.pointer[0], geometry: g)
        for i in 0..<6 { #expect(abs(Double(logits.pointer[i]) - reference[i]) < 1e-4) }
        let check = gradientMismatches([v, q, w, b], loss: { forward(); return logits.dot(r) }) {
            forward()
            SpatialFusion.backward(videoGrad: v.gradient.pointer, queryGrad: q.gradient.pointer, weightGrad: w.gradient.pointer,
                                   biasGrad: b.gradient.pointer, logitsGrad: r.pointer, video: v.value.pointer, query: q.value.pointer,
                                   weight: w.value.pointer, scratch: scratch.pointer, geometry: g)
        }
        #expect(check.mismatches.isEmpty, "\(check.mismatches)")
    }

    /// A loss on the cell logits m (`cellGrad`, e.g. `SeparationLoss`) flows back like the
    /// pooled logits': loss = Σ logits·r + Σ m·R, with m from the plain per-cell map.
    @Test func spatialFusionCellGradient() {
        var random = RandomSource(seed: 15)
        let g = SpatialFusionGeometry(videos: 2, queries: 3, dimension: 4, cells: 5, pooling: .lse)
        let v = tensor("video", TestBuffer(gaussian: 2 * 4 * 5, &random))
        let q = tensor("query", TestBuffer(gaussian: 3 * 4, &random))
        let w = tensor("weight", TestBuffer(gaussian: 4, &random))
        let b = tensor("bias", TestBuffer(gaussian: 1, &random))
        let logits = TestBuffer(count: 6), scratch = TestBuffer(count: g.scratchCount), r = TestBuffer(gaussian: 6, &random)
        let cellWeights = TestBuffer(gaussian: 6 * 5, &random), map = TestBuffer(count: 5)
        let forward = {
            SpatialFusion.forward(logits: logits.pointer, video: v.value.pointer, query: q.value.pointer, weight: w.value.pointer,
                                  bias: b.value.pointer, scratch: scratch.pointer, geometry: g)
        }
        let loss = { () -> Double in
            forward()
            var total = logits.dot(r)
            for i in 0..<2 {
                for j in 0..<3 {
                    SpatialFusion.cellMap(video: v.value.pointer + i * 20, query: q.value.pointer + j * 4, weight: w.value.pointer,
                                          bias: b.value.pointer[0], dimension: 4, cells: 5, into: map.pointer)
                    for c in 0..<5 { total += Double(map.pointer[c]) * Double(cellWeights.pointer[(i * 3 + j) * 5 + c]) }
                }
            }
            return total
        }
        let check = gradientMismatches([v, q, w, b], loss: loss) {
            forward()
            SpatialFusion.backward(videoGrad: v.gradient.pointer, queryGrad: q.gradient.pointer, weightGrad: w.gradient.pointer,
                                   biasGrad: b.gradient.pointer, logitsGrad: r.pointer, cellGrad: cellWeights.pointer, video: v.value.pointer,
                                   query: q.value.pointer, weight: w.value.pointer, scratch: scratch.pointer, geometry: g)
        }
        #expect(check.mismatches.isEmpty, "\(check.mismatches)")
    }

    /// L_sep through the cells' softmax: against its Double reference, and its gradient on the
    /// cell logits against finite differences. Two pairs share a video's own map; with a
    /// visibility mask, video 0 shows 4 of its 7 cells and video 2 one (its pair is left out).
    @Test(arguments: [(false, Float(0)), (true, 0), (false, 0.9)]) func separationLoss(masked: Bool, margin: Float) {
        var random = RandomSource(seed: 16)
        let n = 3, s = 7
        let m = tensor("cell logits", TestBuffer(gaussian: n * n * s, &random, scale: 1.5))
        let pairs = [SeparationLoss.Pair(video: 0, query: 2), SeparationLoss.Pair(video: 2, query: 0), SeparationLoss.Pair(video: 0, query: 1)]
        let visible: [Float]? = masked ? [1, 0, 1, 1, 0, 1, 0] + [Float](repeating: 1, count: s) + [0, 0, 0, 1, 0, 0, 0] : nil
        let weights = TestBuffer(count: n * n * s)
        let softmax = {
            for pair in 0..<(n * n) {
                let row = m.value.pointer + pair * s, out = weights.pointer + pair * s
                let peak = (0..<s).map { row[$0] }.max()!
                var total: Float = 0
                for c in 0..<s { out[c] = expf(row[c] - peak); total += out[c] }
                for c in 0..<s { out[c] /= total }
            }
        }
        softmax()
        let loss = SeparationLoss.forward(weights: weights.pointer, visible: visible, pairs: pairs, batch: n, cells: s, margin: margin)
        #expect(abs(Double(loss) - SeparationLoss.reference(cellLogits: m.value.array, visible: visible, pairs: pairs, batch: n, cells: s, margin: margin)) < 1e-5)
        let check = gradientMismatches([m], epsilon: 1e-3, loss: {
            softmax()
            return Double(SeparationLoss.forward(weights: weights.pointer, visible: visible, pairs: pairs, batch: n, cells: s, margin: margin))
        }) {
            softmax()
            SeparationLoss.backward(cellGrad: m.gradient.pointer, weights: weights.pointer, visible: visible, pairs: pairs, batch: n, cells: s, margin: margin)
        }
        #expect(check.mismatches.isEmpty, "\(check.mismatches)")
        if masked {  // no gradient reaches a hidden cell
            #expect((0..<s).allSatisfy { visible![$0] != 0 || m.gradient.pointer[$0] == 0 })
        }
        // Flat maps overlap fully (1); one-hot maps on different cells not at all (0).
        let flat = [Float](repeating: 1 / Float(s), count: n * n * s)
        #expect(abs(SeparationLoss.forward(weights: flat, pairs: pairs, batch: n, cells: s) - 1) < 1e-5)
        var apart = [Float](repeating: 0, count: n * n * s)
        for pair in 0..<(n * n) { apart[pair * s + pair % s] = 1 }
        #expect(SeparationLoss.forward(weights: apart, pairs: [SeparationLoss.Pair(video: 0, query: 1)], batch: n, cells: s) == 0)
    }

    /// The dense cell loss of video-cells, through the L2 normalisation before it, against
    /// finite differences and its Double reference; an anchor is never its own negative, and
    /// embeddings that single out each anchor's positive drive the loss to 0.
    @Test func cellCorrespondenceLoss() {
        var random = RandomSource(seed: 18)
        let rows = 10, d = 4, temperature: Float = 0.5
        let u = tensor("cell embeddings", TestBuffer(gaussian: rows * d, &random))
        let z = TestBuffer(count: rows * d), norms = TestBuffer(count: rows), dz = TestBuffer(count: rows * d)
        let anchors: [Int32] = [0, 3, 7, 9], positives: [Int32] = [5, 8, 2, 4]
        let scratch = TestBuffer(count: CellCorrespondenceLoss.scratchCount(anchors: anchors.count, rows: rows, dimension: d))
        let forward = { () -> Float in
            L2Normalize.forward(output: z.pointer, input: u.value.pointer, norms: norms.pointer, rows: rows, dimension: d)
            return CellCorrespondenceLoss.forward(embeddings: z.pointer, rows: rows, dimension: d, anchors: anchors, positives: positives,
                                                  temperature: temperature, scratch: scratch.pointer)
        }
        let loss = forward()
        let reference = CellCorrespondenceLoss.referenceLoss(embeddings: z.pointer, rows: rows, dimension: d, anchors: anchors,
                                                             positives: positives, temperature: temperature)
        #expect(abs(Double(loss) - reference) < 1e-5)
        let check = gradientMismatches([u], epsilon: 1e-3, loss: { Double(forward()) }) {
            _ = forward()
            dz.zero()
            CellCorrespondenceLoss.backward(embeddingsGrad: dz.pointer, embeddings: z.pointer, rows: rows, dimension: d, anchors: anchors,
                                            positives: positives, temperature: temperature, lossGrad: 1, scratch: scratch.pointer)
            L2Normalize.backward(inputGrad: u.gradient.pointer, outputGrad: dz.pointer, output: z.pointer, norms: norms.pointer, rows: rows, dimension: d)
        }
        #expect(check.mismatches.isEmpty, "\(check.mismatches)")
        // Anchor k and its positive share direction k (one-hot), the other rows point elsewhere:
        // the anchor's own perfect score (itself) must not count, or the loss could not reach 0.
        let pairs: [Int32] = [0, 1], partners: [Int32] = [2, 3]
        var sharp = [Float](repeating: 0, count: rows * d)
        for (k, (a, p)) in zip(pairs, partners).enumerated() { sharp[Int(a) * d + k] = 1; sharp[Int(p) * d + k] = 1 }
        for row in 4..<rows { sharp[row * d + 2 + row % 2] = 1 }
        let small = TestBuffer(count: CellCorrespondenceLoss.scratchCount(anchors: 2, rows: rows, dimension: d))
        let sharpLoss = CellCorrespondenceLoss.forward(embeddings: sharp, rows: rows, dimension: d, anchors: pairs, positives: partners, temperature: 0.05, scratch: small.pointer)
        #expect(sharpLoss < 1e-6)
    }

    /// The listening term: soft-target cross-entropy against finite differences and a plain
    /// Double reference; targets spread over the anatomies a clip's ASR words name, "no keyword"
    /// (the last class) when none of the dictionary's is named.
    @Test func keywordListeningLoss() {
        var random = RandomSource(seed: 23)
        let classes = ["heart", "kidney", "spine"], n = 4, k = classes.count + 1
        let q = KeywordListeningLoss.targets(named: [["kidney"], ["heart", "spine"], [], ["liver"]], classes: classes)
        #expect(q == [0, 1, 0, 0, 0.5, 0, 0.5, 0, 0, 0, 0, 1, 0, 0, 0, 1])
        let z = tensor("logits", TestBuffer(gaussian: n * k, &random, scale: 2))
        let targets = TestBuffer(q)
        let forward = { Double(KeywordListeningLoss.forward(logits: z.value.pointer, targets: targets.pointer, batch: n, classes: k)) }
        var reference = 0.0
        for row in 0..<n {
            let logits = (0..<k).map { Double(z.value.pointer[row * k + $0]) }
            let norm = log(logits.map { exp($0) }.reduce(0, +))
            for c in 0..<k { reference -= Double(q[row * k + c]) * (logits[c] - norm) }
        }
        #expect(abs(forward() - reference / Double(n)) < 1e-5)
        let check = gradientMismatches([z], epsilon: 1e-3, loss: forward) {
            KeywordListeningLoss.backward(logitsGrad: z.gradient.pointer, logits: z.value.pointer, targets: targets.pointer, batch: n, classes: k)
        }
        #expect(check.mismatches.isEmpty, "\(check.mismatches)")
    }

    /// s = W_vᵀ (w ⊙ a) against a double reference; L = 0 at s = u; gradients of a, W_v and w.
    @Test func ensembleDistillationLoss() {
        var random = RandomSource(seed: 31)
        let g = EnsembleDistillationLoss.Geometry(batch: 3, dimension: 4, channels: 5)
        let a = tensor("a", TestBuffer(gaussian: 12, &random)), wv = tensor("W_v", TestBuffer(gaussian: 20, &random))
        let w = tensor("w", TestBuffer(gaussian: 4, &random))
        let u = TestBuffer(gaussian: 15, &random), s = TestBuffer(count: 15), scratch = TestBuffer(count: 5)
        let forward = { () -> Double in
            EnsembleDistillationLoss.studentVectors(s.pointer, audio: a.value.pointer, videoProjection: wv.value.pointer, fusion: w.value.pointer, geometry: g)
            return Double(EnsembleDistillationLoss.forward(student: s.pointer, targets: u.pointer, geometry: g))
        }
        var distance = 0.0, norm = 0.0
        for n in 0..<3 {
            for c in 0..<5 {
                var student = 0.0
                for k in 0..<4 { student += Double(wv.value.pointer[k * 5 + c]) * Double(w.value.pointer[k]) * Double(a.value.pointer[n * 4 + k]) }
                distance += pow(student - Double(u.pointer[n * 5 + c]), 2)
                norm += pow(Double(u.pointer[n * 5 + c]), 2)
            }
        }
        #expect(abs(forward() - distance / norm) < 1e-5)
        #expect(EnsembleDistillationLoss.forward(student: s.pointer, targets: s.pointer, geometry: g) == 0)
        let check = gradientMismatches([a, wv, w], epsilon: 1e-3, loss: forward) {
            EnsembleDistillationLoss.studentVectors(s.pointer, audio: a.value.pointer, videoProjection: wv.value.pointer, fusion: w.value.pointer, geometry: g)
            EnsembleDistillationLoss.backward(audioGrad: a.gradient.pointer, videoProjectionGrad: wv.gradient.pointer, fusionGrad: w.gradient.pointer,
                                              student: s.pointer, targets: u.pointer, audio: a.value.pointer, videoProjection: wv.value.pointer,
                                              fusion: w.value.pointer, scratch: scratch.pointer, geometry: g)
        }
        #expect(check.mismatches.isEmpty, "\(check.mismatches)")
    }

    /// A cell shows something when its mean grey level reaches `visibleGray`; the live-image
    /// mask's zeros count as black, not as the mean grey they stand for.
    @Test func visibleCellsFollowTheGreyLevel() {
        let side = 8, grey = { (g: Float) in (g / 255 - ShowTellNetwork.pixelMean) / ShowTellNetwork.pixelStd }
        var image = [Float](repeating: grey(0), count: side * side)
        for y in 0..<4 { for x in 4..<8 { image[y * side + x] = grey(40) } }  // top right: tissue
        for y in 4..<8 { for x in 0..<4 { image[y * side + x] = 0 } }  // bottom left: masked furniture
        for x in 4..<8 { image[4 * side + x] = grey(255) }  // bottom right: one bright row, mean 64
        var out = [Float](repeating: -1, count: 4)
        SeparationLoss.visibleCells(image: image, side: side, mapSide: 2, into: &out)
        #expect(out == [0, 1, 0, 1])
        for x in 4..<8 { image[4 * side + x] = grey(60) }  // mean 15: below 16
        SeparationLoss.visibleCells(image: image, side: side, mapSide: 2, into: &out)
        #expect(out == [0, 1, 0, 0])
    }

    /// The per-cell map the box draws pools to the pair's logit (mean pooling: exactly).
    @Test func cellMapPoolsToLogit() {
        var random = RandomSource(seed: 8)
        let g = SpatialFusionGeometry(videos: 1, queries: 1, dimension: 6, cells: 9, pooling: .mean)
        let v = TestBuffer(gaussian: 54, &random), q = TestBuffer(gaussian: 6, &random), w = TestBuffer(gaussian: 6, &random)
        let b = TestBuffer([0.3]), logits = TestBuffer(count: 1), scratch = TestBuffer(count: g.scratchCount), map = TestBuffer(count: 9)
        SpatialFusion.forward(logits: logits.pointer, video: v.pointer, query: q.pointer, weight: w.pointer, bias: b.pointer, scratch: scratch.pointer, geometry: g)
        SpatialFusion.cellMap(video: v.pointer, query: q.pointer, weight: w.pointer, bias: 0.3, dimension: 6, cells: 9, into: map.pointer)
        #expect(abs(map.array.reduce(0, +) / 9 - logits.pointer[0]) < 1e-5)
    }

    @Test func concatFusion() {
        var random = RandomSource(seed: 6)
        let g = ConcatFusionGeometry(videos: 3, queries: 3, dimension: 4, cells: 5, hidden: 6)
        let v = tensor("video", TestBuffer(gaussian: 3 * 4 * 5, &random))
        let q = tensor("query", TestBuffer(gaussian: 3 * 4, &random))
        let p = tensor("parameters", TestBuffer(gaussian: ConcatFusion.parameterCount(g), &random, scale: 0.8))
        let logits = TestBuffer(count: 9), scratch = TestBuffer(count: g.scratchCount), r = TestBuffer(gaussian: 9, &random)
        let forward = {
            ConcatFusion.forward(logits: logits.pointer, video: v.value.pointer, query: q.value.pointer, parameters: p.value.pointer,
                                 scratch: scratch.pointer, geometry: g)
        }
        forward()
        let reference = ConcatFusion.reference(video: v.value.array, query: q.value.array, parameters: p.value.array, geometry: g)
        for i in 0..<9 { #expect(abs(Double(logits.pointer[i]) - reference[i]) < 1e-4) }
        let check = gradientMismatches([v, q, p], epsilon: 1e-3, samples: 40, loss: { forward(); return logits.dot(r) }) {
            forward()
            ConcatFusion.backward(videoGrad: v.gradient.pointer, queryGrad: q.gradient.pointer, parameterGrads: p.gradient.pointer,
                                  logitsGrad: r.pointer, video: v.value.pointer, query: q.value.pointer, parameters: p.value.pointer,
                                  scratch: scratch.pointer, geometry: g)
        }
        #expect(check.mismatches.isEmpty, "\(check.mismatches)")
    }

    @Test func correspondenceLoss() {
        var random = RandomSource(seed: 9)
        let n = 4
        let x = tensor("logits", TestBuffer(gaussian: n * n, &random, scale: 2))
        let negatives = [2, -1, 0, 1]
        let loss = CorrespondenceLoss.forward(logits: x.value.pointer, negatives: negatives, batch: n)
        #expect(abs(Double(loss) - CorrespondenceLoss.reference(logits: x.value.array, negatives: negatives, batch: n)) < 1e-5)
        let check = gradientMismatches([x], epsilon: 1e-3, loss: { Double(CorrespondenceLoss.forward(logits: x.value.pointer, negatives: negatives, batch: n)) }) {
            CorrespondenceLoss.backward(logitsGrad: x.gradient.pointer, logits: x.value.pointer, negatives: negatives, batch: n)
        }
        #expect(check.mismatches.isEmpty, "\(check.mismatches)")
    }

    @Test(arguments: ContrastiveForm.allCases)
    func contrastiveLoss(form: ContrastiveForm) {
        var random = RandomSource(seed: 10)
        let n = 4
        let g = ContrastiveGeometry(batch: n, temperature: 0.5, form: form)
        let x = tensor("logits", TestBuffer(gaussian: n * n, &random))
        // Row 1 has no negative (skipped); row 0 cannot use column 3 (too close in time).
        let mask = TestBuffer([0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0])
        let loss = ContrastiveLoss.forward(logits: x.value.pointer, negative: mask.pointer, geometry: g)
        #expect(abs(Double(loss) - ContrastiveLoss.reference(logits: x.value.array, negative: mask.array, geometry: g)) < 1e-5)
        let check = gradientMismatches([x], epsilon: 1e-3, loss: { Double(ContrastiveLoss.forward(logits: x.value.pointer, negative: mask.pointer, geometry: g)) }) {
            ContrastiveLoss.backward(logitsGrad: x.gradient.pointer, logits: x.value.pointer, negative: mask.pointer, geometry: g)
        }
        #expect(check.mismatches.isEmpty, "\(check.mismatches)")
        // Masked-out pairs and the skipped row receive no gradient (but for the row's own
        // pair, which is column 1's positive in the symmetric form).
        #expect(x.gradient.pointer[3] == 0)
        for j in 0..<n where !(form == .symmetric && j == 1) { #expect(x.gradient.pointer[n + j] == 0) }
        if form == .symmetric { #expect(x.gradient.pointer[n + 1] < 0) }
    }

    /// The paper's form excludes the positive from the denominator: its value is
    /// -x_ii + log Σ_neg exp(x_ij) exactly, and it keeps falling as the positive grows.
    @Test func paperContrastiveExcludesPositive() {
        let g = ContrastiveGeometry(batch: 2, form: .paper)
        var logits: [Float] = [3, 1, 1, 3]
        let mask: [Float] = [0, 1, 1, 0]
        #expect(abs(ContrastiveLoss.forward(logits: logits, negative: mask, geometry: g) - (-2)) < 1e-6)
        logits[0] = 10
        logits[3] = 10
        #expect(abs(ContrastiveLoss.forward(logits: logits, negative: mask, geometry: g) - (-9)) < 1e-5)
    }
}
