import Glibc

/// Frame-level voice activity detection on 10 ms frames of the (not yet denoised) signal.
///
/// Features: band energy 200-4000 Hz (where speech lives; fan hum and hiss mostly do not)
/// against a tracked noise floor. The floor follows minima quickly and rises slowly
/// (3 dB/s), so stationary noise is learnt while speech is not. A frame is speech when its
/// band energy exceeds the floor by `thresholdDB` and an absolute floor; decisions are
/// smoothed with an onset of 2 frames and a hangover of `hangoverFrames`, which bridges the
/// short gaps between words. Allocation-free after `init`.
public final class VoiceActivityDetector {
    public struct Settings: Sendable {
        public var thresholdDB: Float = 8
        public var absoluteFloorDB: Float = -65
        public var floorRiseDBPerFrame: Float = 0.03
        public var onsetFrames = 2
        public var hangoverFrames = 20
        public init() {}
    }

    public let settings: Settings
    private let frameLength: Int
    // Band-pass 200-4000 Hz as two 2nd-order Butterworth sections (RBJ biquads):
    // 10 multiply-adds per sample, and enough to keep 50/100 Hz hum and hiss out.
    private var highPass: Biquad
    private var lowPass: Biquad
    private var noiseFloorDB: Float = -60
    private var framesSeen = 0
    private var onsetCount = 0
    private var hangover = 0
    public private(set) var lastBandDB: Float = -120

    public init(frameLength: Int, sampleRate: Int, settings: Settings = Settings()) {
        self.settings = settings
        self.frameLength = frameLength
        highPass = Biquad(highPassAt: 200, sampleRate: Double(sampleRate))
        lowPass = Biquad(lowPassAt: 4_000, sampleRate: Double(sampleRate))
    }

    public var noiseFloor: Float { noiseFloorDB }

    /// Classifies one frame; returns true for speech.
    public func isSpeech(_ frame: UnsafePointer<Float>) -> Bool {
        var energy: Float = 0
        for i in 0..<frameLength {
            let y = lowPass.process(highPass.process(frame[i]))
            energy += y * y
        }
        let level = 10 * log10f(energy / Float(frameLength) + 1e-12)
        lastBandDB = level
        framesSeen += 1

        if framesSeen <= 5 {
            noiseFloorDB = framesSeen == 1 ? level : min(noiseFloorDB, level)
        } else if level < noiseFloorDB {
            noiseFloorDB = 0.8 * noiseFloorDB + 0.2 * level
        } else {
            noiseFloorDB += settings.floorRiseDBPerFrame
        }

        let loud = level > noiseFloorDB + settings.thresholdDB && level > settings.absoluteFloorDB
        if loud {
            onsetCount += 1
            if onsetCount >= settings.onsetFrames { hangover = settings.hangoverFrames }
        } else {
            onsetCount = 0
        }
        if hangover > 0 {
            if !loud { hangover -= 1 }
            return true
        }
        return false
    }

    public func reset() {
        highPass.clear()
        lowPass.clear()
        noiseFloorDB = -60
        framesSeen = 0
        onsetCount = 0
        hangover = 0
    }
}

/// One second-order IIR section, transposed direct form II (RBJ cookbook, Q = 1/√2).
struct Biquad {
    private var b0: Float, b1: Float, b2: Float, a1: Float, a2: Float
    private var z1: Float = 0, z2: Float = 0

    init(highPassAt frequency: Double, sampleRate: Double) {
        let w = 2 * Double.pi * frequency / sampleRate, alpha = sin(w) / (2 * 0.5.squareRoot()), c = cos(w)
        let a0 = 1 + alpha
        b0 = Float((1 + c) / 2 / a0); b1 = Float(-(1 + c) / a0); b2 = b0
        a1 = Float(-2 * c / a0); a2 = Float((1 - alpha) / a0)
    }

    init(lowPassAt frequency: Double, sampleRate: Double) {
        let w = 2 * Double.pi * frequency / sampleRate, alpha = sin(w) / (2 * 0.5.squareRoot()), c = cos(w)
        let a0 = 1 + alpha
        b0 = Float((1 - c) / 2 / a0); b1 = Float((1 - c) / a0); b2 = b0
        a1 = Float(-2 * c / a0); a2 = Float((1 - alpha) / a0)
    }

    @inline(__always)
    mutating func process(_ x: Float) -> Float {
        let y = b0 * x + z1
        z1 = b1 * x - a1 * y + z2
        z2 = b2 * x - a2 * y
        return y
    }

    mutating func clear() { z1 = 0; z2 = 0 }
}
