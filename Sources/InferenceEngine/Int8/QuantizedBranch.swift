import CInt8Kernels

/// Int8 execution of a BranchPlan (TFLite int8 arithmetic, CInt8Kernels): every convolution,
/// the stem's max pool and the residual adds in int8; the SE gate in float (folded into the
/// gated add's per-channel multipliers); the audio head's pooled vector and projection in float.
/// Everything is allocated and packed at load; `run` allocates nothing, takes no lock.
public final class QuantizedBranch: @unchecked Sendable {
    public let plan: BranchPlan
    public let family: st_q8_family
    public let activations: [ActivationQuantization]  // per slot
    private let slots: [UnsafeMutablePointer<Int8>]
    private let slotMemory: UnsafeMutableRawPointer
    private var geometries: [st_q8_conv_geometry]
    private let packed: [UnsafeMutableRawPointer]
    private let scratch: UnsafeMutableRawPointer
    /// With more than one thread: the team that splits each convolution and gated add, and
    /// one scratch per member (`scratch` is member 0's).
    private let team: OpaquePointer?
    private let memberScratch: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    public let threads: Int
    private let sums: UnsafeMutablePointer<Int32>  // [C]
    private let pooled, hidden, gate, multipliers: UnsafeMutablePointer<Float>  // [C], [R], [C], [C]
    /// The audio embedding [D] after `run` (audio plans).
    public let embedding: UnsafeMutablePointer<Float>

    /// activations: one per plan slot (from calibration or an int8 bundle); weights: one per conv;
    /// threads: 1, or more to split every convolution and gated add across a team (bit-exact).
    public init(plan: BranchPlan, activations: [ActivationQuantization], weights: [QuantizedConvWeights],
                family: st_q8_family = st_q8_best_family(), threads: Int = 1) {
        precondition(activations.count == plan.slots.count && weights.count == plan.convs.count, "quantisation does not match the plan")
        self.plan = plan
        self.family = family
        self.activations = activations
        var total = 0
        var offsets = [Int]()
        for slot in plan.slots {
            offsets.append(total)
            total += (slot.count + 63) & ~63
        }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(total, 64), alignment: 64)
        memory.initializeMemory(as: Int8.self, repeating: 0, count: max(total, 64))
        slotMemory = memory
        slots = offsets.map { memory.advanced(by: $0).assumingMemoryBound(to: Int8.self) }
        var geometries = [st_q8_conv_geometry](), packed = [UnsafeMutableRawPointer]()
        var scratchBytes = 64
        for step in plan.steps {
            guard case .conv(let c, let input, let output) = step else { continue }
            let conv = plan.convs[c], s = conv.shape
            let x = activations[input], y = activations[output]
            var g = st_q8_conv_geometry(
                height: Int32(s.height), width: Int32(s.width), in_channels: Int32(s.inChannels), out_channels: Int32(s.outChannels),
                kernel: Int32(s.kernel), stride: Int32(s.stride), padding: Int32(s.padding), dilation: Int32(s.dilation),
                groups: Int32(s.groups), input_zero_point: x.zeroPoint, output_zero_point: y.zeroPoint,
                output_min: conv.relu ? y.zeroPoint : -128, output_max: 127)
            if let bad = st_q8_conv_check(&g) { preconditionFailure("\(conv.name): \(String(cString: bad))") }
            let w = weights[c]
            let multipliers = (0..<s.outChannels).map { Float(Double(x.scale) * Double(w.scale[$0]) / Double(y.scale)) }
            let memory = UnsafeMutableRawPointer.allocate(byteCount: st_q8_conv_packed_size(&g, family), alignment: 64)
            st_q8_conv_pack(&g, family, w.weight, w.bias, multipliers, memory)
            geometries.append(g)
            packed.append(memory)
            scratchBytes = max(scratchBytes, st_q8_conv_scratch_size(&g, family))
        }
        // Steps visit convs in index order (the plan appends a conv with its step).
        self.geometries = geometries
        self.packed = packed
        scratch = .allocate(byteCount: scratchBytes, alignment: 64)
        team = threads > 1 ? st_team_create(Int32(threads)) : nil
        self.threads = Int(st_team_size(team))
        memberScratch = .allocate(capacity: self.threads)
        memberScratch[0] = scratch
        for i in 1..<self.threads { memberScratch[i] = .allocate(byteCount: scratchBytes, alignment: 64) }
        let widest = plan.slots.map(\.channels).max() ?? 1
        sums = .allocate(capacity: widest)
        pooled = .allocate(capacity: widest)
        gate = .allocate(capacity: widest)
        multipliers = .allocate(capacity: widest)
        hidden = .allocate(capacity: plan.squeezeExcitations.map(\.reduced).max() ?? 1)
        embedding = .allocate(capacity: plan.embeddingDimension)
        embedding.initialize(repeating: 0, count: plan.embeddingDimension)
    }

    deinit {
        packed.forEach { $0.deallocate() }
        slotMemory.deallocate()
        st_team_destroy(team)  // joins the helpers before their scratch goes
        for i in 1..<threads { memberScratch[i]!.deallocate() }
        memberScratch.deallocate()
        scratch.deallocate()
        sums.deallocate()
        pooled.deallocate()
        gate.deallocate()
        multipliers.deallocate()
        hidden.deallocate()
        embedding.deallocate()
    }

    /// [H][W][C] int8 of a slot.
    public func slot(_ index: Int) -> UnsafeMutablePointer<Int8> { slots[index] }

    /// Quantises a float input [H][W][C] into slot 0.
    public func setInput(_ x: UnsafePointer<Float>) { setSlot(0, from: x) }

    /// Dequantises a slot [H][W][C] into out [C][H*W] (channel-major, as the video map is laid out).
    public func dequantizeTransposed(_ index: Int, into out: UnsafeMutablePointer<Float>) {
        let s = plan.slots[index], q = activations[index], x = slots[index]
        let pixels = s.height * s.width
        for p in 0..<pixels {
            for c in 0..<s.channels { out[c * pixels + p] = q.scale * Float(Int32(x[p * s.channels + c]) - q.zeroPoint) }
        }
    }

    /// Quantises a float activation [H][W][C] into slot `index` with that slot's parameters.
    func setSlot(_ index: Int, from x: UnsafePointer<Float>) {
        let q = activations[index]
        // rint(x / scale) + z, clamped (st_q8_quantize_reference is the scalar form).
        st_q8_quantize(family, plan.slots[index].count, x, 1 / q.scale, q.zeroPoint, slots[index])
    }

    /// Runs convolution `index` alone, from its input slot to its output slot.
    func runConv(_ index: Int, input: Int, output: Int) {
        let s = plan.convs[index].shape
        withUnsafePointer(to: &geometries[index]) { g in
            st_q8_conv_run(g, packed[index], slots[input], slots[output], 0, Int32(s.outHeight * s.outWidth), scratch)
        }
    }

    /// Slot 0 -> every step -> head. No allocation.
    public func run() {
        var convIndex = 0
        for step in plan.steps {
            switch step {
            case .conv(_, let input, let output):
                if let team {
                    withUnsafePointer(to: &geometries[convIndex]) { g in
                        st_q8_conv_run_team(team, g, packed[convIndex], slots[input], slots[output], memberScratch)
                    }
                } else {
                    runConv(convIndex, input: input, output: output)
                }
                convIndex += 1
            case .maxPool(let input, let output):
                let s = plan.slots[input], q = activations[output]
                var g = st_q8_pool_geometry(
                    height: Int32(s.height), width: Int32(s.width), channels: Int32(s.channels), kernel: 3, stride: 2, padding: 1,
                    input_zero_point: q.zeroPoint, output_zero_point: q.zeroPoint, output_min: -128, output_max: 127, multiplier: 1)
                st_q8_max_pool(family, &g, slots[input], slots[output])
            case .squeezeExciteAdd(let index, let input, let identity, let output):
                squeezeExciteAdd(index, input, identity, output)
            }
        }
        if case .pooledProjection(let weight, let bias) = plan.head {
            let s = plan.slots[plan.backboneOutput]
            dequantizedMean(plan.backboneOutput, pixels: s.height * s.width, channels: s.channels)
            let d = plan.embeddingDimension, c = s.channels
            weight.withUnsafeBufferPointer { w in
                for j in 0..<d {
                    var total = bias[j]
                    let row = w.baseAddress! + j * c
                    for i in 0..<c { total += row[i] * pooled[i] }
                    embedding[j] = total
                }
            }
        }
    }

    /// pooled [C] = mean over pixels of the dequantised slot (exact int32 sums, then fp32).
    private func dequantizedMean(_ index: Int, pixels: Int, channels: Int) {
        let x = slots[index], q = activations[index]
        sums.update(repeating: 0, count: channels)
        for p in 0..<pixels {
            let row = x + p * channels
            for c in 0..<channels { sums[c] &+= Int32(row[c]) }
        }
        let scale = q.scale / Float(pixels)
        for c in 0..<channels { pooled[c] = scale * Float(sums[c] - Int32(pixels) * q.zeroPoint) }
    }

    private func squeezeExciteAdd(_ index: Int, _ input: Int, _ identity: Int, _ output: Int) {
        let s = plan.slots[output], pixels = s.height * s.width, c = s.channels
        dequantizedMean(input, pixels: pixels, channels: c)
        SqueezeExcite.gate(plan.squeezeExcitations[index], pooled: pooled, hidden: hidden, gate: gate)
        let a = activations[input], b = activations[identity], y = activations[output]
        for i in 0..<c { multipliers[i] = a.scale * gate[i] / y.scale }
        var p = st_q8_add_params(
            a_zero_point: a.zeroPoint, b_zero_point: b.zeroPoint, output_zero_point: y.zeroPoint,
            output_min: y.zeroPoint, output_max: 127, a_multiplier: 0, b_multiplier: b.scale / y.scale)
        if let team {
            st_q8_gated_add_team(team, family, pixels, c, slots[input], multipliers, slots[identity], slots[output], &p)
        } else {
            st_q8_gated_add(family, pixels, c, slots[input], multipliers, slots[identity], slots[output], &p)
        }
    }
}
