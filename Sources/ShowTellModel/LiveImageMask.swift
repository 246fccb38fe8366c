/// The live ultrasound image inside the captured screen. A grabber sees the whole monitor:
/// the image sector, where speckle and receiver noise change every frame, and screen furniture
/// (text, depth scale, logos, settings) that stays put. The furniture tells planes apart by
/// itself (the depth and gain read-outs differ between presets), so a video branch left to
/// see it learns to read the settings panel instead of the anatomy, and its map peaks there.
/// The mask keeps the pixels of the model's input whose mean frame-to-frame change (each
/// change capped at `capGray`, so a read-out that changes once in a while, such as the depth
/// after a preset change, does not count as live) exceeds `thresholdGray` grey levels, dilated
/// by `dilation` pixels so the sector's edge stays in; everything else is set to the
/// standardised mean (0). It is learned from the video alone: per recording in training (the
/// clips' frame pairs), running in the appliance (`LiveImageTracker`).
public struct LiveImageMask: Sendable, Equatable, Codable {
    /// Mean capped absolute change per frame pair, in grey levels (0...255), above which a pixel is live.
    public var thresholdGray: Float
    /// Largest change one frame pair may contribute, in grey levels.
    public var capGray: Float
    /// Pixels the live region is grown by (a square structuring element of side 2·d + 1).
    public var dilation: Int

    public init(thresholdGray: Float = 0.5, capGray: Float = 4, dilation: Int = 3) {
        self.thresholdGray = thresholdGray
        self.capGray = capGray
        self.dilation = dilation
    }

    enum CodingKeys: String, CodingKey {
        case thresholdGray = "threshold_gray", capGray = "cap_gray", dilation
    }

    /// A frame pair's contribution at one pixel, from two standardised values.
    @inline(__always)
    public func change(_ a: Float, _ b: Float, grayPerUnit: Float) -> Float { min(abs(a - b) * grayPerUnit, capGray) }

    /// mask [side·side] (1 live, 0 furniture) from the mean change `activity` [side·side] in
    /// grey levels. `scratch` [side·side] is overwritten. No allocation.
    public func mask(activity: UnsafePointer<Float>, side: Int, scratch: UnsafeMutablePointer<Float>,
                     into mask: UnsafeMutablePointer<Float>) {
        let count = side * side, d = dilation
        for i in 0..<count { mask[i] = activity[i] > thresholdGray ? 1 : 0 }
        guard d > 0 else { return }
        // Separable max filter: rows into scratch, then columns back into mask.
        for y in 0..<side {
            let row = mask + y * side, out = scratch + y * side
            for x in 0..<side {
                var m: Float = 0
                for k in max(0, x - d)...min(side - 1, x + d) where row[k] > m { m = row[k] }
                out[x] = m
            }
        }
        for y in 0..<side {
            for x in 0..<side {
                var m: Float = 0
                for k in max(0, y - d)...min(side - 1, y + d) where scratch[k * side + x] > m { m = scratch[k * side + x] }
                mask[y * side + x] = m
            }
        }
    }

    /// Plain reference of `mask`: a pixel is live when any pixel within `dilation` (Chebyshev
    /// distance) has activity above the threshold.
    public func referenceMask(activity: [Float], side: Int) -> [Float] {
        (0..<(side * side)).map { i in
            let y = i / side, x = i % side
            for yy in max(0, y - dilation)...min(side - 1, y + dilation) {
                for xx in max(0, x - dilation)...min(side - 1, x + dilation) where activity[yy * side + xx] > thresholdGray { return 1 }
            }
            return 0
        }
    }
}

/// The appliance's side of `LiveImageMask`: a running mean of each pixel's capped change
/// (exponential, time constant `frames`, bias-corrected so the first frames count fully), the
/// mask recomputed every `refreshEvery` frames, applied in place to each preprocessed frame.
/// Frames in which (almost) nothing changes, a frozen image or a lost signal, leave the
/// statistics alone, so a long freeze does not blank the picture. All buffers are made in
/// `init`; `apply` allocates nothing, takes no lock and does not log.
public final class LiveImageTracker: @unchecked Sendable {
    public let spec: LiveImageMask
    public let side: Int
    private let grayPerUnit: Float, decay: Float, refreshEvery: Int
    private let previous, activity, mask, scratch: UnsafeMutablePointer<Float>
    private var seen = 0, updates = 0, correction: Float = 1
    /// Whether a mask is in use yet (from the first frame pair that changed on).
    public private(set) var ready = false

    public init(spec: LiveImageMask, side: Int, pixelStd: Float, frames: Float = 60, refreshEvery: Int = 15) {
        self.spec = spec
        self.side = side
        grayPerUnit = 255 * pixelStd
        decay = 1 - 1 / max(frames, 1)
        self.refreshEvery = max(refreshEvery, 1)
        let count = side * side
        previous = .allocate(capacity: count); activity = .allocate(capacity: count)
        mask = .allocate(capacity: count); scratch = .allocate(capacity: count)
        activity.initialize(repeating: 0, count: count)
        mask.initialize(repeating: 1, count: count)
        previous.initialize(repeating: 0, count: count)
        scratch.initialize(repeating: 0, count: count)
    }

    deinit {
        previous.deallocate(); activity.deallocate(); mask.deallocate(); scratch.deallocate()
    }

    /// frame: standardised [side·side]: updates the statistics, then masks it in place.
    public func apply(_ frame: UnsafeMutablePointer<Float>) {
        let count = side * side
        if seen > 0 {
            // This frame's changes once, into scratch (the dilation below reuses it afterwards).
            var total: Float = 0
            for i in 0..<count {
                scratch[i] = spec.change(frame[i], previous[i], grayPerUnit: grayPerUnit)
                total += scratch[i]
            }
            // A frozen or lost picture changes nowhere: keep what the live picture taught.
            if total / Float(count) > spec.thresholdGray / 50 {
                for i in 0..<count { activity[i] = decay * activity[i] + (1 - decay) * scratch[i] }
                updates += 1
                correction *= decay
                if updates == 1 || updates % refreshEvery == 0 {
                    // Bias-corrected mean (as Adam's moments): activity / (1 - decay^updates).
                    // `previous` holds it for the moment: it is rewritten with this frame below.
                    let unbias = 1 / (1 - correction)
                    for i in 0..<count { previous[i] = activity[i] * unbias }
                    spec.mask(activity: previous, side: side, scratch: scratch, into: mask)
                    ready = true
                }
            }
        }
        previous.update(from: frame, count: count)
        seen += 1
        if ready { for i in 0..<count { frame[i] *= mask[i] } }
    }

    /// The current mask [side·side] (1 live, 0 furniture); all ones before `ready`.
    public var currentMask: UnsafePointer<Float> { UnsafePointer(mask) }
}
