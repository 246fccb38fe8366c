import Testing
import Platform

/// The generators against their authors' published outputs, and the seeded streams that
/// committed artefacts (model init weights, phantom data sets) are made from.
struct RandomSourceTests {
    @Test func xoshiroMatchesTheReferenceImplementation() {
        // xoshiro256** from state {1, 2, 3, 4}, as the reference C code (prng.di.unimi.it) prints.
        var random = RandomSource(state: [1, 2, 3, 4])
        #expect((0..<4).map { _ in random.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    @Test func splitMixMatchesTheReferenceImplementation() {
        // SplitMix64 seeded with 1234567 (the values Rosetta Code's task lists).
        var random = SplitMix64(seed: 1_234_567)
        #expect((0..<5).map { _ in random.next() } == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973,
                                                        9_817_491_932_198_370_423, 4_593_380_528_125_082_431,
                                                        16_408_922_859_458_223_821])
    }

    @Test func seedingIsStable() {
        // A change here changes every model's initial weights and every training run's order.
        var random = RandomSource(seed: 0)
        #expect((0..<3).map { _ in random.next() } == [11_091_344_671_253_066_420, 13_793_997_310_169_335_082, 1_900_383_378_846_508_768])
        var stream = RandomSource(seed: 42, stream: 1)
        var spread = RandomSource(seed: 42 ^ 0x9E37_79B9_7F4A_7C15)
        #expect(stream == spread)
        #expect(stream.next() == spread.next())
    }

    @Test func drawsStayInTheirRanges() {
        var random = RandomSource(seed: 7)
        var mix = SplitMix64(seed: 7, stream: 2, substream: 3)
        for _ in 0..<10_000 {
            #expect((0..<1).contains(random.unit()) && (0..<1).contains(mix.unit()))
            #expect((0..<1).contains(random.uniform()))
            #expect((-1..<1).contains(random.signedUnitFloat()))
            #expect((0..<5).contains(mix.index(5)))
            #expect((2.0...3.0).contains(mix.uniform(2.0...3.0)))
        }
    }

    @Test func gaussianHasUnitMoments() {
        var random = RandomSource(seed: 11)
        let draws = (0..<50_000).map { _ in Double(random.gaussian()) }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws.count)
        #expect(abs(mean) < 0.02)
        #expect(abs(variance - 1) < 0.03)
    }
}
