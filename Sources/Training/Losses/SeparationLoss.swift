import Glibc
import ShowTellModel

/// L_sep: two things named on one picture are in two places. The contrastive terms constrain
/// the pooled pair score only, so one blob on the picture's most salient structure can carry
/// every word said about it (the heart and the spine of a four-chamber view alike). For a pair
/// (i, j) of clips of one scan, close in time, whose ASR words name disjoint anatomies (the
/// prep's words: self-supervised input), video i's cell weights for its own audio
/// p = softmax_s m[i][i][s] and for clip j's audio q = softmax_s m[i][j][s] (the LSE pooling's
/// weights: where each word finds its match) should not overlap:
///
///   L = mean over pairs of  S · Σ_s p_s q_s      (1 for two flat maps, 0 for disjoint ones)
///
/// with both distributions taken over the S cells of video i that show something
/// (`visibleCells`: the softmax over those cells alone).
/// Gradients are with respect to the cell logits m (through the softmax), for
/// `SpatialFusion.backward`'s `cellGrad`.
public enum SeparationLoss {
    /// A video (row) and a query (column) of the batch's [N, N] pair grid.
    public struct Pair: Sendable, Equatable {
        public var video: Int
        public var query: Int
        public init(video: Int, query: Int) {
            self.video = video
            self.query = query
        }
    }

    /// Cells whose mean grey level (0...255) is below this show nothing (the black around the
    /// sector): without it, the term is met by sending one of the two words to the background,
    /// which every frame has (tried: 25.7 % pointing, heat on the black).
    public static let visibleGray: Float = 16

    /// p and q of one pair restricted to video i's visible cells and renormalised (the softmax
    /// over those cells alone), and how many there are.
    static func restricted(_ weights: UnsafePointer<Float>, _ pair: Pair, visible: UnsafePointer<Float>?, batch n: Int, cells s: Int)
        -> (p: [Float], q: [Float], count: Int) {
        let own = weights + (pair.video * n + pair.video) * s, other = weights + (pair.video * n + pair.query) * s
        var p = [Float](repeating: 0, count: s), q = p
        var pTotal: Float = 0, qTotal: Float = 0, count = 0
        for c in 0..<s where visible.map({ $0[pair.video * s + c] != 0 }) ?? true {
            p[c] = own[c]
            q[c] = other[c]
            pTotal += own[c]
            qTotal += other[c]
            count += 1
        }
        guard count >= 2, pTotal > 0, qTotal > 0 else { return ([], [], 0) }
        for c in 0..<s {
            p[c] /= pTotal
            q[c] /= qTotal
        }
        return (p, q, count)
    }

    /// weights [N, N, S]: per pair (row video, column query) the softmax over cells; visible
    /// [N, S]: 1 where video i's cell shows something (nil: every cell). Pairs whose video has
    /// fewer than two visible cells are left out.
    /// `margin`: only overlap above it costs (hinge), so flattening both maps below it earns
    /// nothing; 0 is the plain overlap.
    public static func forward(weights: UnsafePointer<Float>, visible: UnsafePointer<Float>? = nil, pairs: [Pair], batch n: Int, cells s: Int,
                               margin: Float = 0) -> Float {
        var total = 0.0, used = 0
        for pair in pairs {
            let (p, q, count) = restricted(weights, pair, visible: visible, batch: n, cells: s)
            guard count > 0 else { continue }
            var overlap = 0.0
            for c in 0..<s { overlap += Double(p[c]) * Double(q[c]) }
            total += max(Double(count) * overlap - Double(margin), 0)
            used += 1
        }
        return used == 0 ? 0 : Float(total / Double(used))
    }

    /// Accumulates dL/dm into cellGrad [N, N, S] (scaled by lossGrad).
    public static func backward(cellGrad: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, visible: UnsafePointer<Float>? = nil,
                                pairs: [Pair], batch n: Int, cells s: Int, margin: Float = 0, lossGrad: Float = 1) {
        let terms = pairs.map { restricted(weights, $0, visible: visible, batch: n, cells: s) }
        let used = terms.filter { $0.count > 0 }.count
        guard used > 0 else { return }
        for (pair, (p, q, count)) in zip(pairs, terms) where count > 0 {
            let scale = lossGrad * Float(count) / Float(used)
            let own = (pair.video * n + pair.video) * s, other = (pair.video * n + pair.query) * s
            var overlap: Float = 0
            for c in 0..<s { overlap += p[c] * q[c] }
            guard Float(count) * overlap > margin else { continue }  // the hinge: flat below the margin
            // d(Σ p q)/dm_p[c] = p_c (q_c - Σ p q) by the (restricted) softmax's Jacobian; the
            // same for q; zero on the cells left out.
            for c in 0..<s {
                cellGrad[own + c] += scale * p[c] * (q[c] - overlap)
                cellGrad[other + c] += scale * q[c] * (p[c] - overlap)
            }
        }
    }

    /// Double reference from the cell logits m [N, N, S] and visible [N, S].
    public static func reference(cellLogits m: [Float], visible: [Float]? = nil, pairs: [Pair], batch n: Int, cells s: Int,
                                 margin: Float = 0) -> Double {
        func softmax(_ offset: Int, video: Int) -> [Double] {
            let shown = (0..<s).map { c in visible.map { $0[video * s + c] != 0 } ?? true }
            let peak = (0..<s).filter { shown[$0] }.map { Double(m[offset + $0]) }.max()!
            let e = (0..<s).map { shown[$0] ? exp(Double(m[offset + $0]) - peak) : 0 }
            let total = e.reduce(0, +)
            return e.map { $0 / total }
        }
        var total = 0.0, used = 0
        for pair in pairs {
            let count = visible.map { v in (0..<s).filter { v[pair.video * s + $0] != 0 }.count } ?? s
            guard count >= 2 else { continue }
            let p = softmax((pair.video * n + pair.video) * s, video: pair.video), q = softmax((pair.video * n + pair.query) * s, video: pair.video)
            total += max(Double(count) * zip(p, q).map(*).reduce(0, +) - Double(margin), 0)
            used += 1
        }
        return used == 0 ? 0 : total / Double(used)
    }

    /// visible [S] of one image [side, side] (normalised pixels; exact zeros are the live-image
    /// mask's) cut into mapSide² cells: 1 where the cell's mean grey level is `visibleGray` or more.
    public static func visibleCells(image: UnsafePointer<Float>, side: Int, mapSide: Int, into out: UnsafeMutablePointer<Float>) {
        let cell = side / mapSide
        for cy in 0..<mapSide {
            for cx in 0..<mapSide {
                var grey: Float = 0
                for y in (cy * cell)..<((cy + 1) * cell) {
                    for x in (cx * cell)..<((cx + 1) * cell) {
                        let v = image[y * side + x]
                        if v != 0 { grey += (v * ShowTellNetwork.pixelStd + ShowTellNetwork.pixelMean) * 255 }
                    }
                }
                out[cy * mapSide + cx] = grey / Float(cell * cell) >= visibleGray ? 1 : 0
            }
        }
    }

    /// Whether two clips (and what their words name) make a pair: one scan, within `window`
    /// seconds, both naming anatomy and none of it in common.
    static func arePartners(_ a: ClipRecord, _ aNames: Set<String>, _ b: ClipRecord, _ bNames: Set<String>, window: Double) -> Bool {
        !aNames.isEmpty && !bNames.isEmpty && a.session == b.session && abs(a.time - b.time) <= window && aNames.isDisjoint(with: bNames)
    }

    /// The pairs of a batch: slots a ≠ b that are partners (`arePartners`), in both directions
    /// (a's picture with b's words and b's picture with a's).
    public static func pairs(for clips: [ClipRecord], anatomies: [Set<String>], window: Double) -> [Pair] {
        precondition(clips.count == anatomies.count, "one anatomy set per clip")
        var result: [Pair] = []
        for a in clips.indices {
            for b in clips.indices where b != a && arePartners(clips[a], anatomies[a], clips[b], anatomies[b], window: window) {
                result.append(Pair(video: a, query: b))
            }
        }
        return result
    }
}
