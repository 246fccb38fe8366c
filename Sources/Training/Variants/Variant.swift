/// The paper's models, each trainable for the ablation (`showtell train --variant NAME`).
public enum Variant: String, Sendable, CaseIterable {
    /// V-A base: 1-D vectors, concatenation fusion, correspondence only (Fig. 2a).
    case vaBase = "va-base"
    /// + cross-modal contrastive learning (Fig. 2b).
    case vaContra = "va-contra"
    /// + spatial awareness: spatial fusion, eq. (3).
    case vaSpatial = "va-spatial"
    /// Video + text, no SIG (the paper's V-T base).
    case vtBase = "vt-base"
    /// Video + text with SIG keywords, no audio ("w/o Audio").
    case noAudio = "no-audio"
    /// Everything: video, audio, text with SIG keywords, spatial fusion, eq. (4).
    case full
    /// Video alone, frame-order prediction (the paper's video baseline).
    case videoOnly = "video-only"
    /// Plane labels: the upper bound; the only variant allowed to read labels.
    case supervised
    /// Video alone, dense: each cell of one augmented view of a frame finds its own cell in
    /// another view among every cell of the batch (`CellCorrespondenceLoss`). Not the paper's:
    /// a pre-training of the video branch (`--init-video`) so that its cells tell the
    /// structures of one picture apart before words are attached to them.
    case videoCells = "video-cells"

    public enum Fusion: String, Sendable { case concat, spatial }

    public var fusion: Fusion { self == .vaBase || self == .vaContra ? .concat : .spatial }
    public var usesAudio: Bool { [.vaBase, .vaContra, .vaSpatial, .full].contains(self) }
    public var usesText: Bool { [.vtBase, .noAudio, .full].contains(self) }
    public var gate: GateLevel { self == .vtBase ? .none : .keywords }

    /// Loss weights α (base V-A), β (base V-T), γ (contra V-A), δ (contra V-T) before
    /// normalisation: equal over the terms the variant has (the paper: "set to be equal
    /// after normalising to the same scale").
    public var terms: LossWeights {
        switch self {
        case .vaBase: return LossWeights(baseAudio: 1, baseText: 0, contraAudio: 0, contraText: 0)
        case .vaContra, .vaSpatial: return LossWeights(baseAudio: 1, baseText: 0, contraAudio: 1, contraText: 0)
        case .vtBase, .noAudio: return LossWeights(baseAudio: 0, baseText: 1, contraAudio: 0, contraText: 1)
        case .full: return LossWeights(baseAudio: 1, baseText: 1, contraAudio: 1, contraText: 1)
        case .videoOnly, .supervised, .videoCells: return LossWeights(baseAudio: 0, baseText: 0, contraAudio: 0, contraText: 0)
        }
    }
}

/// α, β, γ, δ of eq. (4). Each term is divided by its chance value first (ln 2 for BCE,
/// ln(N - 1) for the contrastive term over N - 1 negatives: its value when all logits are
/// equal), so equal weights mean equal influence; then the weights are scaled to sum to 1.
public struct LossWeights: Sendable, Equatable {
    public var baseAudio: Float
    public var baseText: Float
    public var contraAudio: Float
    public var contraText: Float

    public init(baseAudio: Float, baseText: Float, contraAudio: Float, contraText: Float) {
        self.baseAudio = baseAudio
        self.baseText = baseText
        self.contraAudio = contraAudio
        self.contraText = contraText
    }

    public var normalised: LossWeights {
        let total = baseAudio + baseText + contraAudio + contraText
        guard total > 0 else { return self }
        return LossWeights(baseAudio: baseAudio / total, baseText: baseText / total,
                           contraAudio: contraAudio / total, contraText: contraText / total)
    }
}
