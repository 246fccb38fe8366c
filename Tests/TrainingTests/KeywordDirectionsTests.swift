import NeuralCore
import Testing
@testable import Training

/// Keyword directions: found from which pictures a word's clips have in common (no masks),
/// and mixed into the distillation targets at the teachers' map spread.
@Suite struct KeywordDirectionsTests {
    let channels = 4, cells = 16

    /// A clip's features [C, S]: weak noise, `shared` bright in a random cell of channel 1 (a
    /// structure every picture shows), and the named word's own channel bright in another
    /// random cell (its structure), at `own`.
    func clip(word channel: Int, random: inout RandomSource) -> (features: [Float], own: Int) {
        var f = [Float](repeating: 0, count: channels * cells)
        f.withUnsafeMutableBufferPointer { random.fillGaussian($0.baseAddress!, count: $0.count, std: 0.1) }
        let own = random.index(cells)
        var shared = random.index(cells)
        while shared == own { shared = random.index(cells) }
        f[channel * cells + own] += 3
        f[1 * cells + shared] += 2 + Float(random.index(3))
        return (f, own)
    }

    /// Of 20 fresh pictures of the word on `channel`, how many the direction's map peaks on its own structure.
    func hitsOnFreshPictures(_ u: [Float], word channel: Int, random: inout RandomSource) -> Int {
        var hits = 0
        for _ in 0..<20 {
            let (f, own) = clip(word: channel, random: &random)
            let map = (0..<cells).map { s in (0..<channels).reduce(Float(0)) { $0 + u[$1] * f[$1 * cells + s] } }
            if map.indices.max(by: { map[$0] < map[$1] }) == own { hits += 1 }
        }
        return hits
    }

    @Test func directionsPointAtTheCellsAWordsPicturesShare() {
        var random = RandomSource(seed: 7)
        var features: [[Float]] = [], named: [Set<String>] = []
        for k in 0..<60 {
            let word = k % 2 == 0 ? "kidneys" : "heart"
            features.append(clip(word: word == "kidneys" ? 0 : 2, random: &random).features)
            named.append([word])
        }
        // Through a projection that mixes the channels (its inverse exists): the same cells must win.
        var projection = [Float](repeating: 0, count: channels * channels)
        for k in 0..<channels { projection[k * channels + k] = 1; projection[k * channels + (k + 1) % channels] = 0.5 }
        let fitted = KeywordDirections.fit(features: features, named: named, projection: projection, channels: channels, cells: cells)
        #expect(fitted.directions.keys.sorted() == ["heart", "kidneys"])
        // On fresh pictures each word's map peaks on its own structure, not on the brighter shared one.
        for (word, channel) in [("kidneys", 0), ("heart", 2)] {
            let hits = hitsOnFreshPictures(fitted.directions[word]!, word: channel, random: &random)
            #expect(hits == 20, "\(word): \(hits) of 20")
        }
        // A clip naming both gets their mean; a clip naming nothing known gets zeros.
        let targets = fitted.targets(named: [["heart", "kidneys"], ["spleen"], []])
        for k in 0..<channels {
            #expect(abs(targets[k] - (fitted.directions["heart"]![k] + fitted.directions["kidneys"]![k]) / 2) < 1e-6)
        }
        #expect(targets[channels...].allSatisfy { $0 == 0 })
    }

    /// `rounds` is honoured: none gives the plain mean cell of the word's standardised pictures
    /// (against loops, identity projection), and more rounds still find each word's own cells.
    @Test func roundsFromTheMeanCellToTheSharedCells() {
        var random = RandomSource(seed: 11)
        var features: [[Float]] = [], named: [Set<String>] = []
        for k in 0..<40 {
            features.append(clip(word: k % 2 == 0 ? 0 : 2, random: &random).features)
            named.append([k % 2 == 0 ? "kidneys" : "heart"])
        }
        var identity = [Float](repeating: 0, count: channels * channels)
        for k in 0..<channels { identity[k * channels + k] = 1 }
        let plain = KeywordDirections.fit(features: features, named: named, projection: identity, channels: channels, cells: cells, rounds: 0)
        let count = Double(features.count * cells)
        for k in 0..<channels {
            let values = features.flatMap { $0[(k * cells)..<((k + 1) * cells)] }.map(Double.init)
            let mu = values.reduce(0, +) / count
            let sigma = (values.reduce(0) { $0 + $1 * $1 } / count - mu * mu).squareRoot() + 1e-6
            let kidneys = features.indices.filter { $0 % 2 == 0 }
            let meanCell = kidneys.reduce(0.0) { total, n in total + features[n][(k * cells)..<((k + 1) * cells)].reduce(0.0) { $0 + (Double($1) - mu) / sigma } / Double(cells) } / Double(kidneys.count)
            #expect(abs(Double(plain.directions["kidneys"]![k]) - meanCell / sigma) < 1e-3 * max(1, abs(meanCell / sigma)), "channel \(k)")
        }
        let more = KeywordDirections.fit(features: features, named: named, projection: identity, channels: channels, cells: cells, rounds: 10)
        for (word, channel) in [("kidneys", 0), ("heart", 2)] {
            let hits = hitsOnFreshPictures(more.directions[word]!, word: channel, random: &random)
            #expect(hits == 20, "\(word) after 10 rounds: \(hits) of 20")
        }
    }

    /// mix against plain loops: λ = 1 replaces a keyword clip's target by its direction at the
    /// teacher map's spread on that picture, λ = 1/2 is halfway, rows without a keyword stay.
    @Test func mixKeepsTheTeachersSpreadOnThePicture() {
        var random = RandomSource(seed: 3)
        let batch = 3
        var teachers = [Float](repeating: 0, count: batch * channels), words = [Float](repeating: 0, count: batch * channels)
        var features = [Float](repeating: 0, count: batch * channels * cells)
        teachers.withUnsafeMutableBufferPointer { random.fillGaussian($0.baseAddress!, count: $0.count, std: 1) }
        features.withUnsafeMutableBufferPointer { random.fillGaussian($0.baseAddress!, count: $0.count, std: 1) }
        words.withUnsafeMutableBufferPointer { random.fillGaussian($0.baseAddress!, count: 2 * channels, std: 1) }  // clip 2: no keyword
        func spread(_ v: ArraySlice<Float>, clip n: Int) -> Double {
            let map = (0..<cells).map { s in v.indices.reduce(0.0) { $0 + Double(v[$1]) * Double(features[(n * channels + $1 - v.startIndex) * cells + s]) } }
            let mean = map.reduce(0, +) / Double(cells)
            return (map.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(cells)).squareRoot()
        }
        for lambda in [1, 0.5] as [Float] {
            var mixed = teachers
            var scratch = [Float](repeating: 0, count: cells)
            mixed.withUnsafeMutableBufferPointer { u in
                KeywordDirections.mix(targets: u.baseAddress!, words: words, features: features, share: lambda, batch: batch,
                                      channels: channels, cells: cells, scratch: &scratch)
            }
            for n in 0..<2 {
                let row = n * channels..<(n + 1) * channels
                let scale = Double(lambda) * spread(teachers[row], clip: n) / spread(words[row], clip: n)
                for k in row {
                    let expected = Double(1 - lambda) * Double(teachers[k]) + scale * Double(words[k])
                    #expect(abs(Double(mixed[k]) - expected) < 1e-4 * (abs(expected) + 1), "λ \(lambda) clip \(n) channel \(k)")
                }
                if lambda == 1 { #expect(abs(spread(mixed[row], clip: n) - spread(teachers[row], clip: n)) < 1e-3 * spread(teachers[row], clip: n)) }
            }
            #expect(Array(mixed[(2 * channels)...]) == Array(teachers[(2 * channels)...]))
        }
        // Per-row shares: row 0 at λ 0.8, row 1 at 0.8 x 0.25, and a row of share 0 keeps the teachers' vector.
        var scaled = teachers, alone = teachers, scratch = [Float](repeating: 0, count: cells)
        words.withUnsafeMutableBufferPointer { random.fillGaussian($0.baseAddress! + 2 * channels, count: channels, std: 1) }
        let shares: [Float] = [1, 0.25, 0]
        scaled.withUnsafeMutableBufferPointer { u in
            KeywordDirections.mix(targets: u.baseAddress!, words: words, features: features, share: 0.8, rowShares: shares, batch: batch,
                                  channels: channels, cells: cells, scratch: &scratch)
        }
        for (n, lambda) in [(0, Float(0.8)), (1, Float(0.2))] {
            alone = teachers
            alone.withUnsafeMutableBufferPointer { u in
                KeywordDirections.mix(targets: u.baseAddress!, words: words, features: features, share: lambda, batch: batch,
                                      channels: channels, cells: cells, scratch: &scratch)
            }
            let row = n * channels..<(n + 1) * channels
            #expect(zip(scaled[row], alone[row]).allSatisfy { abs($0 - $1) <= 1e-6 * (abs($1) + 1) }, "row \(n) mixed at λ \(lambda)")
        }
        #expect(Array(scaled[(2 * channels)...]) == Array(teachers[(2 * channels)...]), "share 0: the teachers' target")
    }
}
