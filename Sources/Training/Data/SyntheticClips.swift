import NeuralCore

/// A toy audio-to-position task held in memory, for tests and for developing the loop without
/// a prepared dataset. Each frame shows two of four textured squares ("objects") at random
/// places on a noisy background; the "spectrogram" carries a horizontal band whose row says
/// which of the two is named, and the clip's words name it. Learning the correspondence forces
/// the audio embedding to pick out one object, so the spatial map should peak on it.
public final class SyntheticClips: ClipSource, @unchecked Sendable {
    public static let objectWords = ["alpha", "bravo", "charlie", "delta"]
    public let clips: [ClipRecord]
    public let sessionNames: [String]
    public let frameSize: Int
    public let spectrogramSize: Int
    public let framesPerClip = 2
    public let objectSize: Int
    /// Per clip: the named object's top-left corner (x, y) and type, and the other object's.
    public let named: [(x: Int, y: Int, type: Int)]
    public let other: [(x: Int, y: Int, type: Int)]
    private let noiseSeed: UInt64

    public init(count: Int, sessions: Int = 4, frameSize: Int = 24, spectrogramSize: Int = 16, seed: UInt64 = 1) {
        self.frameSize = frameSize
        self.spectrogramSize = spectrogramSize
        objectSize = max(4, frameSize / 4)
        noiseSeed = seed &* 977
        var random = RandomSource(seed: seed)
        var clips = [ClipRecord](), named = [(x: Int, y: Int, type: Int)](), other = [(x: Int, y: Int, type: Int)]()
        let span = frameSize - objectSize
        for i in 0..<count {
            let first = Int(random.next() % 4)
            var second = Int(random.next() % 3)
            if second >= first { second += 1 }
            var a = (x: 0, y: 0), b = (x: 0, y: 0)
            repeat {
                a = (Int(random.next() % UInt64(span + 1)), Int(random.next() % UInt64(span + 1)))
                b = (Int(random.next() % UInt64(span + 1)), Int(random.next() % UInt64(span + 1)))
            } while abs(a.x - b.x) < objectSize + 2 && abs(a.y - b.y) < objectSize + 2
            named.append((a.x, a.y, first))
            other.append((b.x, b.y, second))
            let filler = random.next() % 2 == 0 ? ["so", "here", "is", "the"] : ["and", "xyzzy", "the"]
            clips.append(ClipRecord(session: i % sessions, time: Double(i / sessions) * 3, words: filler + [Self.objectWords[first]]))
        }
        self.clips = clips
        self.named = named
        self.other = other
        sessionNames = (0..<sessions).map { "toy-\($0)" }
    }

    /// The named object's box [x0, x1) × [y0, y1) in frame pixels.
    public func targetBox(clip index: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
        let o = named[index]
        return (o.x, o.y, o.x + objectSize, o.y + objectSize)
    }

    public func loadFrame(clip index: Int, frame: Int, into output: UnsafeMutablePointer<Float>) {
        var random = RandomSource(seed: noiseSeed &+ UInt64(index * 2 + frame))
        let n = frameSize
        for i in 0..<(n * n) { output[i] = -1 + 0.3 * random.gaussian() }
        for object in [named[index], other[index]] {
            for dy in 0..<objectSize {
                for dx in 0..<objectSize {
                    let value: Float
                    switch object.type {
                    case 0: value = 2  // solid bright
                    case 1: value = (dx + dy) % 2 == 0 ? 2 : -1  // checkerboard
                    case 2: value = dx == 0 || dy == 0 || dx == objectSize - 1 || dy == objectSize - 1 ? 2 : -1  // ring
                    default: value = dy % 2 == 0 ? 2 : 0  // stripes
                    }
                    output[(object.y + dy) * n + object.x + dx] = value + 0.2 * random.gaussian()
                }
            }
        }
    }

    public func loadSpectrogram(clip index: Int, into output: UnsafeMutablePointer<Float>) {
        var random = RandomSource(seed: noiseSeed &+ 0x5151 &+ UInt64(index))
        let n = spectrogramSize
        let band = (named[index].type * n) / 4 + n / 8
        for row in 0..<n {
            for column in 0..<n {
                let on = abs(row - band) <= 1 && column % 4 != 3
                output[row * n + column] = (on ? 2 : -0.3) + 0.3 * random.gaussian()
            }
        }
    }
}
