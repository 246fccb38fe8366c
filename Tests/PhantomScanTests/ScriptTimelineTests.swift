import MediaFormats
import Testing
@testable import PhantomScan

@Suite struct ScriptTimelineTests {
    @Test(arguments: [1, 2, 3, 42, 1234] as [UInt64])
    func visitsAreOrderedNonOverlappingAndWithinLimits(seed: UInt64) {
        let timeline = ScanScriptGenerator(seed: seed).timeline(duration: 180)
        #expect(!timeline.visits.isEmpty)
        var previousEnd = 0.0
        for visit in timeline.visits {
            #expect(visit.searchStart >= previousEnd - 1e-9)
            let search = visit.holdStart - visit.searchStart
            let hold = visit.holdEnd - visit.holdStart
            #expect(ScanScriptGenerator.searchSeconds.contains(search))
            #expect(hold >= ScanScriptGenerator.holdSeconds.lowerBound - 1e-9)
            #expect(hold <= ScanScriptGenerator.holdSeconds.upperBound + 1e-9)
            #expect(visit.holdEnd <= timeline.duration + 1e-9)
            #expect(visit.plane != .background)
            for freeze in visit.freezes {
                #expect(freeze.lowerBound >= visit.holdStart && freeze.upperBound <= visit.holdEnd)
                #expect(ScanScriptGenerator.freezeSeconds.contains(freeze.upperBound - freeze.lowerBound))
            }
            previousEnd = visit.holdEnd
        }
    }

    @Test(arguments: [7, 8, 9] as [UInt64])
    func aLongScanVisitsAllThirteenPlanes(seed: UInt64) {
        let timeline = ScanScriptGenerator(seed: seed).timeline(duration: 600)
        let visited = Set(timeline.visits.map(\.plane))
        #expect(visited == Set(PlaneClass.allCases.filter { $0 != .background }))
    }

    @Test func sameSeedSameTimelineOtherSeedOtherTimeline() {
        let a = ScanScriptGenerator(seed: 5).timeline(duration: 120)
        #expect(a == ScanScriptGenerator(seed: 5).timeline(duration: 120))
        #expect(a != ScanScriptGenerator(seed: 6).timeline(duration: 120))
    }

    @Test func someHoldsFreezeAndSomePlanesAreRevisited() {
        let visits = (1...6).flatMap { ScanScriptGenerator(seed: UInt64($0)).timeline(duration: 300).visits }
        #expect(visits.contains { !$0.freezes.isEmpty })
        #expect(visits.contains { $0.freezes.isEmpty })
        let revisits = (1...6).filter { seed in
            let planes = ScanScriptGenerator(seed: UInt64(seed)).timeline(duration: 300).visits.map(\.plane)
            return Set(planes).count < planes.count
        }
        #expect(!revisits.isEmpty)
    }

    @Test func visitAnatomyUsesTheVocabulary() {
        for plane in PlaneClass.allCases {
            for name in PlaneAnatomy.names(for: plane) { #expect(AnatomyName.all.contains(name)) }
        }
    }

    @Test func phaseFollowsTheVisit() {
        let visit = PlaneVisit(plane: .femur, searchStart: 0, holdStart: 4, holdEnd: 9, freezes: [6...7])
        let timeline = ScanTimeline(duration: 12, visits: [visit])
        #expect(ScanPhase(timeline: timeline, time: 1).kind == .searching)
        #expect(ScanPhase(timeline: timeline, time: 3.5).kind == .approaching)
        #expect(ScanPhase(timeline: timeline, time: 5).kind == .holding)
        #expect(ScanPhase(timeline: timeline, time: 6.5) == ScanPhase(kind: .frozen, visit: 0, poseTime: 6))
        #expect(ScanPhase(timeline: timeline, time: 10).visit == 1)
    }

    @Test func probeTremblesWhenHoldingDriftsWhenSearchingStopsWhenFrozen() {
        let visit = PlaneVisit(plane: .abdomen, searchStart: 0, holdStart: 5, holdEnd: 15, freezes: [8...10])
        let timeline = ScanTimeline(duration: 20, visits: [visit])
        func state(_ t: Double) -> ProbeState { ProbeMotion.state(ScanPhase(timeline: timeline, time: t), seed: 3) }
        var holdSpread = 0.0, searchSpread = 0.0
        for k in 0..<30 {
            let hold = state(11 + Double(k) / 30), search = state(0.5 + Double(k) / 10)
            holdSpread = max(holdSpread, abs(hold.offsetX), abs(hold.offsetY))
            searchSpread = max(searchSpread, abs(search.offsetX), abs(search.offsetY))
        }
        #expect(holdSpread < 1.5)
        #expect(searchSpread > 3)
        #expect(state(8.2) == state(9.7))
        #expect(state(10.5) != state(10.6))
    }
}
