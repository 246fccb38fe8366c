import CFloatKernels
import COpenBLAS
import NeuralCore

/// Float32 execution of a BranchPlan over NHWC buffers made at load. Pointwise convolutions on
/// AVX-512: a kernel with weights packed at load and the bias and ReLU applied before its only
/// store (CFloatKernels; 1.05-1.17x sgemm + the bias pass per layer). Other dense convolutions:
/// im2col (NHWC rows [pixel][tap][Ci]; 1x1 read in place) + sgemm, folded bias and fused ReLU in
/// one pass. Grouped convolutions: a direct kernel vectorised across the groups, since a
/// per-group sgemm of a few output channels leaves BLAS far below its peak.
/// `run` allocates nothing, takes no lock.
public final class FloatBranch: @unchecked Sendable {
    public let plan: BranchPlan
    private let arena: Arena
    private let slotOffsets: [Int]
    private let columns: UnsafeMutablePointer<Float>  // [max pixels * K] im2col scratch
    private let weights: [UnsafeMutablePointer<Float>]  // per conv: OHWI (or the direct kernel's packed) weights
    private let biases: [UnsafeMutablePointer<Float>]   // per conv: [Co], after its weights
    /// Per conv: the direct kernel's (grouped or pointwise) shape and family, nil for the im2col + sgemm path.
    private let direct: [(shape: st_f32_conv, family: st_f32_family, pointwise: Bool)?]
    private let pooled, hidden, gate: UnsafeMutablePointer<Float>  // SE / head scratch [C], [R], [C]
    /// Per conv: its output is an SE block's input and the pointwise kernel sums it into
    /// `pooled` as it stores it (the SE then skips its own pass over the tensor).
    private let sumsIntoPooled: [Bool]
    /// Per SE block: `pooled` holds its input's channel sums when it runs.
    private let summedSE: [Bool]
    /// The head's result: the audio embedding [D] (audio) or nothing (video: see `slot(headOutput)`).
    public let embedding: UnsafeMutablePointer<Float>
    /// Called after each step with (slot, values, count): calibration observes activations here.
    public var observer: ((Int, UnsafePointer<Float>, Int) -> Void)?

    public init(plan: BranchPlan) {
        self.plan = plan
        var layout = ArenaLayout()
        slotOffsets = plan.slots.map { layout.reserve($0.count) }
        let family = st_f32_best_family()
        direct = plan.convs.map { conv in
            let s = conv.shape
            let shape = st_f32_conv(height: Int32(s.height), width: Int32(s.width), in_channels: Int32(s.inChannels),
                                    out_height: Int32(s.outHeight), out_width: Int32(s.outWidth), out_channels: Int32(s.outChannels),
                                    groups: Int32(s.groups), kernel: Int32(s.kernel), stride: Int32(s.stride), padding: Int32(s.padding),
                                    dilation: Int32(s.dilation), relu: conv.relu ? 1 : 0)
            // Shapes no SIMD family takes stay on im2col + sgemm (faster than the naive reference).
            let pointwise = s.groups == 1
            let chosen = withUnsafePointer(to: shape) { pointwise ? st_f32_pointwise_family($0, family) : st_f32_grouped_family($0, family) }
            return chosen == ST_F32_REFERENCE ? nil : (shape, chosen, pointwise)
        }
        var sums = [Bool](repeating: false, count: plan.convs.count)
        var summed = [Bool](repeating: false, count: plan.squeezeExcitations.count)
        var producer: [Int: Int] = [:]  // slot -> the conv that writes it
        for step in plan.steps {
            if case .conv(let index, _, let output) = step { producer[output] = index }
            if case .squeezeExciteAdd(let se, let input, _, _) = step, let conv = producer[input], direct[conv]?.pointwise == true {
                sums[conv] = true
                summed[se] = true
            }
        }
        sumsIntoPooled = sums
        summedSE = summed
        var columnCount = 0
        for (conv, direct) in zip(plan.convs, direct) where !Self.isPointwise(conv.shape) && direct == nil {
            columnCount = max(columnCount, conv.shape.outHeight * conv.shape.outWidth * conv.shape.kernel * conv.shape.kernel * conv.shape.inChannels)
        }
        let columnOffset = layout.reserve(columnCount)
        // The pointwise kernel's panels round Co up to whole panels (zeros).
        let weightCounts = zip(plan.convs, direct).map { conv, direct in
            guard var d = direct, d.pointwise else { return conv.weight.count }
            return st_f32_pointwise_packed_count(&d.shape, d.family)
        }
        let weightOffsets = zip(plan.convs, weightCounts).map { layout.reserve($1 + $0.bias.count) }
        let widest = plan.slots.map(\.channels).max() ?? 1
        let pooledOffset = layout.reserve(widest), gateOffset = layout.reserve(widest)
        let hiddenOffset = layout.reserve(plan.squeezeExcitations.map(\.reduced).max() ?? 1)
        let embeddingOffset = layout.reserve(plan.embeddingDimension)
        arena = Arena(count: layout.count)
        let base = arena.base
        columns = base + columnOffset
        weights = weightOffsets.map { base + $0 }
        biases = zip(weights, weightCounts).map { $0 + $1 }
        for (index, (conv, w)) in zip(plan.convs, weights).enumerated() {
            if var d = direct[index], d.pointwise {
                conv.weight.withUnsafeBufferPointer { st_f32_pointwise_pack(&d.shape, d.family, $0.baseAddress!, w) }
            } else if var d = direct[index] {
                precondition(st_f32_grouped_packed_count(&d.shape, d.family) == conv.weight.count, "grouped weights: packed size differs")
                conv.weight.withUnsafeBufferPointer { st_f32_grouped_pack(&d.shape, d.family, $0.baseAddress!, w) }
            } else {
                w.update(from: conv.weight, count: conv.weight.count)
            }
            biases[index].update(from: conv.bias, count: conv.bias.count)
        }
        pooled = base + pooledOffset
        gate = base + gateOffset
        hidden = base + hiddenOffset
        embedding = base + embeddingOffset
    }

    /// Floats this branch holds (activations, scratch, weights).
    public var floatCount: Int { arena.count }

    /// [H][W][C] of a slot; slot 0 is the input: write it before `run`.
    public func slot(_ index: Int) -> UnsafeMutablePointer<Float> { arena.base + slotOffsets[index] }

    static func isPointwise(_ s: ConvShape) -> Bool { s.kernel == 1 && s.stride == 1 && s.padding == 0 }

    /// Input (slot 0) -> every step -> head. No allocation.
    public func run() {
        observer?(0, slot(0), plan.slots[0].count)
        for step in plan.steps {
            switch step {
            case .conv(let index, let input, let output):
                conv(index, slot(input), slot(output))
                observer?(output, slot(output), plan.slots[output].count)
            case .maxPool(let input, let output):
                maxPool(plan.slots[input], slot(input), slot(output))
                observer?(output, slot(output), plan.slots[output].count)
            case .squeezeExciteAdd(let index, let input, let identity, let output):
                squeezeExciteAdd(index, slot(input), slot(identity), slot(output), plan.slots[output], summed: summedSE[index])
                observer?(output, slot(output), plan.slots[output].count)
            }
        }
        if case .pooledProjection(let weight, let bias) = plan.head {
            let s = plan.slots[plan.backboneOutput]
            Self.meanOverPixels(slot(plan.backboneOutput), pixels: s.height * s.width, channels: s.channels, into: pooled)
            let d = plan.embeddingDimension
            embedding.update(from: bias, count: d)
            weight.withUnsafeBufferPointer {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(d), Int32(s.channels), 1, $0.baseAddress!, Int32(s.channels), pooled, 1, 1, embedding, 1)
            }
        }
    }

    private func conv(_ index: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let conv = plan.convs[index], s = conv.shape
        if let d = direct[index] {
            withUnsafePointer(to: d.shape) {
                if d.pointwise {
                    let sums = sumsIntoPooled[index] ? pooled : nil
                    sums?.update(repeating: 0, count: conv.shape.outChannels)
                    st_f32_pointwise_run($0, d.family, weights[index], biases[index], x, y, sums)
                } else {
                    st_f32_grouped_run($0, d.family, weights[index], biases[index], x, y)
                }
            }
            return
        }
        let pixels = s.outHeight * s.outWidth, kg = s.groupReduction, k = kg * s.groups
        let gout = s.outChannels / s.groups
        let a: UnsafePointer<Float>
        if Self.isPointwise(s) {
            a = x
        } else {
            Self.im2col(x, s, columns)
            a = UnsafePointer(columns)
        }
        let w = weights[index]
        for g in 0..<s.groups {
            // y[:, g] [pixels][gout] = rows[:, g] [pixels][kg] x W_g^T [kg][gout]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(pixels), Int32(gout), Int32(kg), 1,
                        a + g * kg, Int32(k), w + g * gout * kg, Int32(kg), 0, y + g * gout, Int32(s.outChannels))
        }
        let bias = biases[index]
        for p in 0..<pixels {
            let row = y + p * s.outChannels
            if conv.relu {
                for c in 0..<s.outChannels { row[c] = max(row[c] + bias[c], 0) }
            } else {
                for c in 0..<s.outChannels { row[c] += bias[c] }
            }
        }
    }

    /// rows [pixels][groups][k*k][Ci/g]; outside the image reads 0.
    static func im2col(_ x: UnsafePointer<Float>, _ s: ConvShape, _ rows: UnsafeMutablePointer<Float>) {
        let gin = s.inChannels / s.groups, kg = s.groupReduction, k = kg * s.groups
        if s.inChannels == 1 {  // the stems (a grey frame, a spectrogram): one float per tap, no copy calls
            for oy in 0..<s.outHeight {
                for ox in 0..<s.outWidth {
                    let row = rows + (oy * s.outWidth + ox) * k
                    for ky in 0..<s.kernel {
                        let iy = oy * s.stride - s.padding + ky * s.dilation
                        let taps = row + ky * s.kernel
                        guard iy >= 0 && iy < s.height else {
                            taps.update(repeating: 0, count: s.kernel)
                            continue
                        }
                        let line = x + iy * s.width
                        for kx in 0..<s.kernel {
                            let ix = ox * s.stride - s.padding + kx * s.dilation
                            taps[kx] = ix >= 0 && ix < s.width ? line[ix] : 0
                        }
                    }
                }
            }
            return
        }
        for oy in 0..<s.outHeight {
            for ox in 0..<s.outWidth {
                let row = rows + (oy * s.outWidth + ox) * k
                for ky in 0..<s.kernel {
                    let iy = oy * s.stride - s.padding + ky * s.dilation
                    for kx in 0..<s.kernel {
                        let ix = ox * s.stride - s.padding + kx * s.dilation
                        let tap = ky * s.kernel + kx
                        let inside = iy >= 0 && iy < s.height && ix >= 0 && ix < s.width
                        let source = x + (iy * s.width + ix) * s.inChannels
                        for g in 0..<s.groups {
                            let dst = row + g * kg + tap * gin
                            if inside { dst.update(from: source + g * gin, count: gin) } else { dst.update(repeating: 0, count: gin) }
                        }
                    }
                }
            }
        }
    }

    /// 3x3, stride 2, padding 1 (padding never wins), NHWC.
    private func maxPool(_ s: ActivationSlot, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let ho = (s.height - 1) / 2 + 1, wo = (s.width - 1) / 2 + 1, c = s.channels
        for oy in 0..<ho {
            for ox in 0..<wo {
                let out = y + (oy * wo + ox) * c
                out.update(repeating: -Float.infinity, count: c)
                for iy in max(0, 2 * oy - 1)..<min(s.height, 2 * oy + 2) {
                    for ix in max(0, 2 * ox - 1)..<min(s.width, 2 * ox + 2) {
                        let input = x + (iy * s.width + ix) * c
                        for i in 0..<c { out[i] = max(out[i], input[i]) }
                    }
                }
            }
        }
    }

    /// `summed`: `pooled` already holds the input's channel sums (from its pointwise conv).
    private func squeezeExciteAdd(_ index: Int, _ x: UnsafePointer<Float>, _ identity: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                  _ s: ActivationSlot, summed: Bool) {
        let pixels = s.height * s.width, c = s.channels
        if summed {
            let scale = 1 / Float(pixels)
            for i in 0..<c { pooled[i] *= scale }
        } else {
            Self.meanOverPixels(x, pixels: pixels, channels: c, into: pooled)
        }
        SqueezeExcite.gate(plan.squeezeExcitations[index], pooled: pooled, hidden: hidden, gate: gate)
        for p in 0..<pixels {
            let a = x + p * c, b = identity + p * c, out = y + p * c
            for i in 0..<c { out[i] = max(a[i] * gate[i] + b[i], 0) }
        }
    }

    static func meanOverPixels(_ x: UnsafePointer<Float>, pixels: Int, channels: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: channels)
        for p in 0..<pixels {
            let row = x + p * channels
            for c in 0..<channels { out[c] += row[c] }
        }
        let scale = 1 / Float(pixels)
        for c in 0..<channels { out[c] *= scale }
    }
}
