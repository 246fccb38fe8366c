import Glibc

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

    /// weights [N, N, S]: per pair (row video, column query) the softmax over cells.
    public static func forward(weights: UnsafePointer<Float>, pairs: [Pair], batch n: Int, cells s: Int) -> Float {
        guard !pairs.isEmpty else { return 0 }
        var total = 0.0
        for pair in pairs {
            let p = weights + (pair.video * n + pair.video) * s, q = weights + (pair.video * n + pair.query) * s
            var overlap = 0.0
            for c in 0..<s { overlap += Double(p[c]) * Double(q[c]) }
            total += Double(s) * overlap
        }
        return Float(total / Double(pairs.count))
    }

    /// Accumulates dL/dm into cellGrad [N, N, S] (scaled by lossGrad).
    public static func backward(cellGrad: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, pairs: [Pair], batch n: Int,
                                cells s: Int, lossGrad: Float = 1) {
        guard !pairs.isEmpty else { return }
        let scale = lossGrad * Float(s) / Float(pairs.count)
        for pair in pairs {
            let own = (pair.video * n + pair.video) * s, other = (pair.video * n + pair.query) * s
            let p = weights + own, q = weights + other
            var overlap: Float = 0
            for c in 0..<s { overlap += p[c] * q[c] }
            // d(Σ p q)/dm_p[c] = p_c (q_c - Σ p q) by the softmax's Jacobian; the same for q.
            for c in 0..<s {
                cellGrad[own + c] += scale * p[c] * (q[c] - overlap)
                cellGrad[other + c] += scale * q[c] * (p[c] - overlap)
            }
        }
    }

    /// Double reference from the cell logits m [N, N, S].
    public static func reference(cellLogits m: [Float], pairs: [Pair], batch n: Int, cells s: Int) -> Double {
        guard !pairs.isEmpty else { return 0 }
        func softmax(_ offset: Int) -> [Double] {
            let row = (0..<s).map { Double(m[offset + $0]) }
            let peak = row.max()!
            let e = row.map { exp($0 - peak) }
            let total = e.reduce(0, +)
            return e.map { $0 / total }
        }
        var total = 0.0
        for pair in pairs {
            let p = softmax((pair.video * n + pair.video) * s), q = softmax((pair.video * n + pair.query) * s)
            total += Double(s) * zip(p, q).map(*).reduce(0, +)
        }
        return total / Double(pairs.count)
    }

    /// The pairs of a batch: slots a ≠ b of one scan within `window` seconds whose words both
    /// name anatomy and name none in common; both directions (a's picture with b's words and b's
    /// picture with a's).
    public static func pairs(for clips: [ClipRecord], anatomies: [Set<String>], window: Double) -> [Pair] {
        precondition(clips.count == anatomies.count, "one anatomy set per clip")
        var result: [Pair] = []
        for a in clips.indices where !anatomies[a].isEmpty {
            for b in clips.indices where b != a && !anatomies[b].isEmpty && clips[a].session == clips[b].session
                && abs(clips[a].time - clips[b].time) <= window && anatomies[a].isDisjoint(with: anatomies[b]) {
                result.append(Pair(video: a, query: b))
            }
        }
        return result
    }
}
