import MediaFormats
@testable import PhantomScan

/// Hand-built scan plans and measurements shared by the narration tests.
enum NarrationFixture {
    static let espeakAvailable = NarrationGenerator.isAvailable

    /// A minute of scanning: eight planes, searches of 1.5-3.5 s, holds of 3-6.5 s, two freezes.
    static func timeline(duration: Double = 60) -> ScanTimeline {
        let plan: [(PlaneClass, [String])] = [
            (.brainTransventricular, ["skull", "ventricles_brain"]), (.lips, ["lips", "nose"]),
            (.spineSagittal, ["spine"]), (.abdomen, ["abdomen", "stomach", "umbilical_vein", "spine", "ribs"]),
            (.kidneys, ["kidneys", "spine", "abdomen"]), (.femur, ["femur"]),
            (.fourChamber, ["heart", "ventricle", "atrium", "spine"]), (.lvot, ["heart", "ventricle", "aorta", "spine"]),
        ]
        var visits: [PlaneVisit] = []
        var clock = 0.0
        var index = 0
        while true {
            let (plane, anatomy) = plan[index % plan.count]
            let search = 1.5 + Double(index % 3)
            let hold = 3.0 + Double((index * 7) % 8) * 0.5
            let holdStart = clock + search
            guard holdStart + hold <= duration else { break }
            let freezes = index % 3 == 1 ? [(holdStart + 1.0)...(holdStart + 2.5)] : []
            visits.append(PlaneVisit(plane: plane, searchStart: clock, holdStart: holdStart, holdEnd: holdStart + hold,
                                     freezes: freezes, anatomy: anatomy))
            clock = holdStart + hold
            index += 1
        }
        return ScanTimeline(duration: duration, visits: visits)
    }

    /// Everyone present, stems kept: what the measuring tests need.
    static var measuredMix: NarrationMix {
        var mix = NarrationMix()
        mix.presence = [.sonographer: 1, .parent: 1, .colleague: 1]
        mix.keepStems = true
        mix.sirensPerMinute = 1
        mix.speechFraction = 0.3...0.45
        return mix
    }

    /// One generated minute, shared by the tests that only read it.
    static let oneMinute: Narration? = try? NarrationGenerator(mix: measuredMix).generate(timeline: timeline(), seed: 2026)

    static func meanSquare(_ samples: [Float], over ranges: [Range<Int>]) -> Double {
        var sum = 0.0
        var count = 0
        for range in ranges {
            for i in range { sum += Double(samples[i]) * Double(samples[i]) }
            count += range.count
        }
        return count > 0 ? sum / Double(count) : 0
    }

    static func decibels(_ ratio: Double) -> Double { 10 * log10(ratio) }

    /// Lower-case letters of a word, so "Heart," matches "heart".
    static func normalised(_ word: String) -> String {
        String(word.lowercased().filter { $0.isLetter || $0 == "'" })
    }
}

import Glibc
