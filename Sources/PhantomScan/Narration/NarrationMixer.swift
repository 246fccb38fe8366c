import Platform

/// Puts the placed utterances on per-speaker tracks, scales each track to its SNR against the
/// room noise, and sums them.
struct NarrationMixer {
    var audio: [Float]
    var cleanTracks: [NarrationSpeaker: [Float]]
    var noise: [Float]
    var activity: [NarrationSpeaker: [Range<Int>]]

    init(placed: [PlacedUtterance], noise: [Float], snrDB: [NarrationSpeaker: Double], _ random: inout RandomSource) {
        let count = noise.count
        var tracks: [NarrationSpeaker: [Float]] = [:]
        var activity: [NarrationSpeaker: [Range<Int>]] = [:]
        for utterance in placed {
            var track = tracks[utterance.speaker] ?? [Float](repeating: 0, count: count)
            // Speakers turn their heads and move: each utterance a little louder or softer.
            let gain = Float(NoiseLevels.amplitude(dB: random.uniform(-2...2)))
            let samples = utterance.audio.samples
            for i in samples.indices where utterance.start + i < count { track[utterance.start + i] += gain * samples[i] }
            tracks[utterance.speaker] = track
            activity[utterance.speaker, default: []].append(utterance.speech.clamped(to: 0..<count))
        }
        let noisePower = NoiseLevels.meanSquare(noise)
        var audio = noise
        for (speaker, var track) in tracks {
            let speechPower = Self.meanSquare(track, over: activity[speaker] ?? [])
            guard speechPower > 0 else { continue }
            let gain = Float((noisePower * NoiseLevels.power(dB: snrDB[speaker] ?? 0) / speechPower).squareRoot())
            for i in track.indices { track[i] *= gain }
            for i in audio.indices { audio[i] += track[i] }
            tracks[speaker] = track
        }
        // Keep the peak at -1 dBFS: one gain for everything, so the SNRs stay as drawn.
        let peak = audio.reduce(Float(0)) { max($0, abs($1)) }
        var scaledNoise = noise
        if peak > 0.89 {
            let gain = 0.89 / peak
            for i in audio.indices { audio[i] *= gain }
            for i in scaledNoise.indices { scaledNoise[i] *= gain }
            for speaker in tracks.keys { tracks[speaker] = tracks[speaker]!.map { $0 * gain } }
        }
        self.audio = audio
        self.cleanTracks = tracks
        self.noise = scaledNoise
        self.activity = activity
    }

    static func meanSquare(_ samples: [Float], over ranges: [Range<Int>]) -> Double {
        var sum = 0.0
        var count = 0
        for range in ranges {
            for i in range { sum += Double(samples[i]) * Double(samples[i]) }
            count += range.count
        }
        return count > 0 ? sum / Double(count) : 0
    }
}
