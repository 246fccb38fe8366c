import AudioFrontEnd
import Glibc

/// The live microphone meter (`showtell mic-test --live`): per refresh interval the peak and
/// RMS level, the noise floor, whether someone speaks, and clipping, for placing the
/// microphone. Fed with whatever the capture delivers; a reading is due every `refresh`.
public final class LevelMeter {
    public struct Reading: Codable, Sendable, Equatable {
        /// Seconds of audio since the start, at the end of this interval.
        public var seconds: Double
        public var peakDBFS: Double
        /// RMS of the interval, dB relative to a full-scale sine (a full-scale sine reads 0).
        public var rmsDBFS: Double
        /// The quietest interval's RMS over the last `floorSeconds`: the room's noise floor.
        public var noiseFloorDBFS: Double
        /// RMS above the noise floor.
        public var marginDB: Double
        /// The speech detector (the appliance's own VAD) found speech in this interval.
        public var speech: Bool
        public var speechPercent: Double
        /// Samples at full scale in this interval, and since the start.
        public var clipped: Int
        public var clippedTotal: Int
    }

    public let rate: Int
    public let samplesPerReading: Int
    private let frontEnd: SpeechFrontEnd
    private var floorHistory: [Double]
    private var floorIndex = 0
    private var sumSquares = 0.0, peak = 0.0, clipped = 0, clippedTotal = 0, count = 0, total = 0
    private var floats: [Float]

    public static let silenceDBFS = -120.0

    public init(rate: Int, refreshSeconds: Double = 0.1, floorSeconds: Double = 5) throws {
        self.rate = rate
        samplesPerReading = max(1, Int(Double(rate) * refreshSeconds))
        frontEnd = try SpeechFrontEnd(inputRate: rate)
        floorHistory = [Double](repeating: .infinity, count: max(1, Int(floorSeconds / refreshSeconds)))
        floats = [Float](repeating: 0, count: samplesPerReading)
    }

    /// Adds captured samples; returns the readings completed by them (usually zero or one).
    public func push(_ samples: UnsafeBufferPointer<Int16>) -> [Reading] {
        var readings: [Reading] = []
        var index = 0
        while index < samples.count {
            let take = min(samples.count - index, samplesPerReading - count)
            for i in 0..<take {
                let value = samples[index + i]
                let x = Double(value) / 32_768
                floats[count + i] = Float(x)
                sumSquares += x * x
                peak = max(peak, abs(x))
                if value == .max || value == .min { clipped += 1 }
            }
            count += take
            index += take
            if count == samplesPerReading { readings.append(finishReading()) }
        }
        return readings
    }

    private func finishReading() -> Reading {
        let before = frontEnd.framesDone
        floats.withUnsafeBufferPointer { frontEnd.push($0) }
        let flags = frontEnd.speechFlagsForNewFrames(since: before)
        let speechFrames = flags.filter { $0 }.count
        total += count
        clippedTotal += clipped
        // A sine of amplitude A has RMS A/√2: +3 dB makes a full-scale sine read 0 dBFS.
        let rms = Self.decibels((sumSquares / Double(count)).squareRoot() * 2.0.squareRoot())
        floorHistory[floorIndex % floorHistory.count] = rms
        floorIndex += 1
        let floor = floorHistory.min() ?? rms
        let reading = Reading(seconds: Double(total) / Double(rate), peakDBFS: Self.decibels(peak), rmsDBFS: rms,
                              noiseFloorDBFS: floor, marginDB: rms - floor,
                              speech: flags.isEmpty ? false : speechFrames * 2 >= flags.count,
                              speechPercent: flags.isEmpty ? 0 : 100 * Double(speechFrames) / Double(flags.count),
                              clipped: clipped, clippedTotal: clippedTotal)
        sumSquares = 0; peak = 0; clipped = 0; count = 0
        return reading
    }

    static func decibels(_ x: Double) -> Double { x > 0 ? max(silenceDBFS, 20 * log10(x)) : silenceDBFS }

    /// One terminal line: numbers, a bar from -60 to 0 dBFS (RMS filled, peak marked, floor
    /// marked), SPEECH and CLIP flags.
    public static func meterLine(_ r: Reading, width: Int = 40) -> String {
        func column(_ db: Double) -> Int { min(width - 1, max(0, Int((db + 60) / 60 * Double(width)))) }
        var bar = [Character](repeating: "·", count: width)
        for i in 0...column(r.rmsDBFS) where r.rmsDBFS > -60 { bar[i] = "█" }
        if r.noiseFloorDBFS > -60 { bar[column(r.noiseFloorDBFS)] = "F" }
        if r.peakDBFS > -60 { bar[column(r.peakDBFS)] = "|" }
        func f(_ x: Double) -> String { let s = String(format1: x); return String(repeating: " ", count: max(0, 6 - s.count)) + s }
        return "peak \(f(r.peakDBFS))  rms \(f(r.rmsDBFS))  floor \(f(r.noiseFloorDBFS)) dBFS  [\(String(bar))]  "
            + (r.speech ? "SPEECH" : "      ") + (r.clipped > 0 ? "  CLIP \(r.clipped)" : "")
    }
}
