/// Short-time energy of a clean utterance, to find where its words actually sound.
struct SpeechEnvelope {
    /// 5 ms frames at 48 kHz.
    static let frame = 240
    private let frameEnergy: [Float]
    private let threshold: Float
    private let count: Int

    init(_ samples: [Float]) {
        count = samples.count
        var energy: [Float] = []
        energy.reserveCapacity(samples.count / Self.frame + 1)
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + Self.frame)
            var sum: Float = 0
            for i in start..<end { sum += samples[i] * samples[i] }
            energy.append(sum / Float(end - start))
            start = end
        }
        frameEnergy = energy
        // 40 dB below the loudest frame: clean synthetic speech is near zero in its pauses.
        threshold = (energy.max() ?? 0) * 1e-4
    }

    /// The sample span between the first and last frame above threshold inside `range`.
    func voicedRange(in range: Range<Int>) -> Range<Int>? {
        guard !range.isEmpty, threshold > 0 else { return nil }
        let firstFrame = range.lowerBound / Self.frame
        let lastFrame = min(frameEnergy.count - 1, (range.upperBound - 1) / Self.frame)
        guard firstFrame <= lastFrame else { return nil }
        guard let first = (firstFrame...lastFrame).first(where: { frameEnergy[$0] > threshold }),
              let last = (firstFrame...lastFrame).last(where: { frameEnergy[$0] > threshold }) else { return nil }
        let start = max(range.lowerBound, first * Self.frame)
        let end = min(range.upperBound, min(count, (last + 1) * Self.frame))
        return start < end ? start..<end : nil
    }
}
