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

    /// `count` clips alternating between "kidneys" (channel 0) and "heart" (channel 2).
    func alternatingClips(_ count: Int, random: inout RandomSource) -> (features: [[Float]], named: [Set<String>]) {
        var features: [[Float]] = [], named: [Set<String>] = []
        for k in 0..<count {
            features.append(clip(word: k % 2 == 0 ? 0 : 2, random: &random).features)
            named.append([k % 2 == 0 ? "kidneys" : "heart"])
        }
        return (features, named)
    }

    var identity: [Float] { (0..<(channels * channels)).map { $0 % (channels + 1) == 0 ? 1 : 0 } }

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
        let (features, named) = alternatingClips(60, random: &random)
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
        let (features, named) = alternatingClips(40, random: &random)
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

    /// The peak contrast against plain Double loops (identity projection, no rounds): the word's
    /// top share of cells by its mean-cell direction against the rest of each picture, solved
    /// through the within-picture covariance plus 0.01 I by Gaussian elimination; and on fresh
    /// pictures the contrasted directions still peak on each word's own structure.
    @Test func peakContrastIsTheWhitenedContrastOfTheWordsPeaks() {
        var random = RandomSource(seed: 5)
        let (features, named) = alternatingClips(30, random: &random)
        let share: Float = 0.125, top = 2                    // 2 of 16 cells
        let fitted = KeywordDirections.fit(features: features, named: named, projection: identity, channels: channels, cells: cells,
                                           rounds: 0, contrast: share)
        // standardised X per clip, as the fit does (per channel over every cell of every clip)
        let count = Double(features.count * cells)
        var x = features.map { $0.map(Double.init) }, sigma = [Double](repeating: 0, count: channels)
        for k in 0..<channels {
            let values = features.flatMap { $0[(k * cells)..<((k + 1) * cells)] }.map(Double.init)
            let mu = values.reduce(0, +) / count
            sigma[k] = (values.reduce(0) { $0 + $1 * $1 } / count - mu * mu).squareRoot() + 1e-6
            for n in x.indices { for i in 0..<cells { x[n][k * cells + i] = (x[n][k * cells + i] - mu) / sigma[k] } }
        }
        var covariance = [[Double]](repeating: [Double](repeating: 0, count: channels), count: channels)
        for clip in x {
            let means = (0..<channels).map { k in (0..<cells).reduce(0.0) { $0 + clip[k * cells + $1] } / Double(cells) }
            for a in 0..<channels { for b in 0..<channels { for i in 0..<cells {
                covariance[a][b] += (clip[a * cells + i] - means[a]) * (clip[b * cells + i] - means[b]) / count
            } } }
        }
        for k in 0..<channels { covariance[k][k] += 0.01 }
        for word in ["kidneys", "heart"] {
            let clips = x.indices.filter { named[$0].contains(word) }.map { x[$0] }
            let d = (0..<channels).map { k in clips.reduce(0.0) { t, c in t + (0..<cells).reduce(0.0) { $0 + c[k * cells + $1] } / Double(cells) } / Double(clips.count) }
            var contrast = [Double](repeating: 0, count: channels)
            for c in clips {
                let score = (0..<cells).map { i in (0..<channels).reduce(0.0) { $0 + d[$1] * c[$1 * cells + i] } }
                let peaks = Set(score.indices.sorted { score[$0] > score[$1] }.prefix(top))
                for k in 0..<channels {
                    let inside = peaks.reduce(0.0) { $0 + c[k * cells + $1] } / Double(top)
                    let outside = (0..<cells).filter { !peaks.contains($0) }.reduce(0.0) { $0 + c[k * cells + $1] } / Double(cells - top)
                    contrast[k] += (inside - outside) / Double(clips.count)
                }
            }
            // Gaussian elimination on [covariance | contrast]
            var m = covariance.enumerated().map { $0.element + [contrast[$0.offset]] }
            for p in 0..<channels {
                for r in (p + 1)..<channels {
                    let f = m[r][p] / m[p][p]
                    for col in p...channels { m[r][col] -= f * m[p][col] }
                }
            }
            var solved = [Double](repeating: 0, count: channels)
            for p in stride(from: channels - 1, through: 0, by: -1) {
                solved[p] = (m[p][channels] - ((p + 1)..<channels).reduce(0.0) { $0 + m[p][$1] * solved[$1] }) / m[p][p]
            }
            for k in 0..<channels {
                let expected = solved[k] / sigma[k]
                #expect(abs(Double(fitted.directions[word]![k]) - expected) < 1e-3 * max(1, abs(expected)), "\(word) channel \(k)")
            }
        }
        for (word, channel) in [("kidneys", 0), ("heart", 2)] {
            let hits = hitsOnFreshPictures(fitted.directions[word]!, word: channel, random: &random)
            #expect(hits == 20, "\(word) after the peak contrast: \(hits) of 20")
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
