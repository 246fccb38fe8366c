import Platform

/// The scan room as the microphone hears it without speech: fan and hum throughout, key
/// clicks, freeze beeps on some machines, an occasional distant siren.
enum RoomNoise {
    /// `floorDBFS` is the RMS of the stationary fan; events come on top of it.
    static func render(count: Int, sampleRate: Int, timeline: ScanTimeline, floorDBFS: Double,
                       sirensPerMinute: Double, _ random: inout RandomSource) -> [Float] {
        var track = FanHum.render(count: count, sampleRate: sampleRate, &random)
        let freezeStarts = timeline.visits.flatMap { $0.freezes.map(\.lowerBound) }
        KeyboardClicks.add(into: &track, sampleRate: sampleRate, freezeStarts: freezeStarts,
                           peak: random.uniform(3...8), &random)
        if random.chance(0.4) {
            FreezeBeeps.add(into: &track, sampleRate: sampleRate, freezeStarts: freezeStarts,
                            amplitude: random.uniform(1...3), &random)
        }
        DistantSiren.add(into: &track, sampleRate: sampleRate, perMinute: sirensPerMinute,
                         level: random.uniform(0.7...2), &random)
        let gain = Float(NoiseLevels.amplitude(dB: floorDBFS))
        for i in track.indices { track[i] *= gain }
        return track
    }
}
