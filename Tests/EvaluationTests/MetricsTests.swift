import Foundation
import Testing
@testable import Evaluation

/// The reference values written by Tests/FixtureScripts/saliency_metrics_reference.py.
struct MetricsReference: Decodable {
    struct SaliencyCase: Decodable {
        var name: String
        var width: Int
        var height: Int
        var prediction: [Double]
        var density: [Double]
        var fixations: [Double]
        var kl, cc, sim, nss, auc: Double
        var comp: CompParts
    }
    struct CompParts: Decodable { var comp, iou, saliencyArea, highArea, highRatio: Double }
    struct Classification: Decodable {
        var classes: Int
        var truth, predicted, confusion: [Int]
        var precision, recall, f1: [Double]
        var macroPrecision, macroRecall, macroF1, accuracy: Double
    }
    struct Gaze: Decodable {
        var screenWidth, screenHeight, resize, crop, mapSize: Int
        var sigma: Double
        var points: [[Double]]
        var density, fixationMap: [Double]
    }
    struct Mask: Decodable { var polygon: [[Double]]; var coverage: [Double] }
    struct LocalisationCase: Decodable {
        var name: String
        var prediction, coverage, mask: [Double]
        var pointing, ciou: Double
    }
    struct GridLocalisationCase: Decodable {
        var name: String
        var side, grid: Int
        var prediction, coverage: [Double]
        var pointing, gridPointing: Double
    }
    struct Summary: Decodable { var values: [Double]; var ciouAt05, auc, meanCIoU: Double }
    struct MeanStdCase: Decodable { var values: [Double]; var mean, std: Double }

    var epsilon: Double
    var saliency: [SaliencyCase]
    var classification: Classification
    var gaze: Gaze
    var masks: [Mask]
    var localisation: [LocalisationCase]
    var gridLocalisation: [GridLocalisationCase]
    var ciouSummary: Summary
    var meanStd: MeanStdCase
    /// Cells centred where they look (`ScreenGeometry.cellOrigin`): each mask's coverage and the gaze density.
    struct Registered: Decodable { var side: Int; var origin: Double; var coverage: [[Double]]; var density: [Double] }
    var registered: [Registered]
    /// The pointing game with a tolerance on the screen (TorchRay's rule), maps at both strides.
    struct StandardPointingCase: Decodable {
        var name: String
        var side: Int
        var origin: Double
        var polygonIndex: Int
        var prediction: [Double]
        var maskPixels: Int
        var tolerances, pointing: [Double]
    }
    var standardPointing: [StandardPointingCase]

    static let shared: MetricsReference = {
        let url = Bundle.module.url(forResource: "Fixtures/metrics_reference", withExtension: "json")!
        return try! JSONDecoder().decode(MetricsReference.self, from: Data(contentsOf: url))
    }()
}

func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(b))
}

@Suite struct SaliencyMetricFixtureTests {
    let reference = MetricsReference.shared

    @Test func epsilonIsMATLABs() {
        #expect(SaliencyMetrics.epsilon == reference.epsilon)
    }

    @Test(arguments: MetricsReference.shared.saliency.map(\.name).enumerated().map { $0.offset })
    func matchesTheMITDefinitions(_ index: Int) throws {
        let c = reference.saliency[index]
        let prediction = GridMap(width: c.width, height: c.height, values: c.prediction)
        let density = GridMap(width: c.width, height: c.height, values: c.density)
        let fixations = GridMap(width: c.width, height: c.height, values: c.fixations)
        let kl = try SaliencyMetrics.kl(prediction: prediction, density: density)
        let cc = try SaliencyMetrics.cc(prediction: prediction, density: density)
        let sim = try SaliencyMetrics.sim(prediction: prediction, density: density)
        let nss = try SaliencyMetrics.nss(prediction: prediction, fixations: fixations)
        let auc = try SaliencyMetrics.aucJudd(prediction: prediction, fixations: fixations)
        let comp = try Compactness.parts(prediction: prediction, density: density)
        #expect(close(kl, c.kl), "\(c.name): KL \(kl) vs \(c.kl)")
        #expect(close(cc, c.cc), "\(c.name): CC \(cc) vs \(c.cc)")
        #expect(close(sim, c.sim), "\(c.name): SIM \(sim) vs \(c.sim)")
        #expect(close(nss, c.nss), "\(c.name): NSS \(nss) vs \(c.nss)")
        #expect(close(auc, c.auc), "\(c.name): AUC \(auc) vs \(c.auc)")
        #expect(close(comp.comp, c.comp.comp), "\(c.name): Comp \(comp.comp) vs \(c.comp.comp)")
        #expect(close(comp.iou, c.comp.iou) && close(comp.saliencyArea, c.comp.saliencyArea)
                && close(comp.highArea, c.comp.highArea) && close(comp.highRatio, c.comp.highRatio), "\(c.name): Comp parts")
    }

    @Test func identicalMapsScorePerfectly() throws {
        let c = try #require(reference.saliency.first { $0.name == "identical" })
        let map = GridMap(width: c.width, height: c.height, values: c.density)
        #expect(abs(try SaliencyMetrics.kl(prediction: map, density: map)) < 1e-12)
        #expect(close(try SaliencyMetrics.cc(prediction: map, density: map), 1, 1e-12))
        #expect(close(try SaliencyMetrics.sim(prediction: map, density: map), 1, 1e-12))
    }
}

@Suite struct DegenerateMetricInputTests {
    let fix = GridMap(width: 4, height: 3, values: [0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0])
    let density = GridMap(width: 4, height: 3, values: [0.05, 0.3, 0.05, 0, 0.1, 0.1, 0.3, 0.05, 0, 0, 0.05, 0])

    @Test func constantPredictionGetsTheStatedValues() throws {
        let flat = GridMap(width: 4, height: 3, fill: 0.4)
        #expect(try SaliencyMetrics.cc(prediction: flat, density: density) == 0)
        #expect(try SaliencyMetrics.nss(prediction: flat, fixations: fix) == 0)
        #expect(try SaliencyMetrics.aucJudd(prediction: flat, fixations: fix) == 0.5)
        #expect(try Compactness.comp(prediction: flat, density: density) == 0)
        // Uniform prediction: SIM = Σ min(1/12, g).
        let expected = density.values.reduce(0) { $0 + min(1.0 / 12, $1 / density.values.reduce(0, +)) }
        #expect(close(try SaliencyMetrics.sim(prediction: flat, density: density), expected))
        let zero = GridMap(width: 4, height: 3)
        #expect(try SaliencyMetrics.kl(prediction: zero, density: density) == SaliencyMetrics.kl(prediction: flat, density: density))
        #expect(try LocalisationMetrics.ciou(prediction: flat, mask: fix) == 0)
        // Every cell ties for the maximum: the hit share is the mask's share of the map.
        #expect(close(try LocalisationMetrics.pointingGame(prediction: flat, coverage: fix), 2.0 / 12))
    }

    @Test func noFixationsIsAnErrorNamingTheMetric() {
        let prediction = GridMap(width: 4, height: 3, values: (0..<12).map { Double($0) })
        let none = GridMap(width: 4, height: 3)
        for (name, call) in [
            ("KL", { try SaliencyMetrics.kl(prediction: prediction, density: none) }),
            ("CC", { try SaliencyMetrics.cc(prediction: prediction, density: none) }),
            ("SIM", { try SaliencyMetrics.sim(prediction: prediction, density: none) }),
            ("NSS", { try SaliencyMetrics.nss(prediction: prediction, fixations: none) }),
            ("AUC-Judd", { try SaliencyMetrics.aucJudd(prediction: prediction, fixations: none) }),
            ("Comp", { try Compactness.comp(prediction: prediction, density: none) }),
            ("pointing game", { try LocalisationMetrics.pointingGame(prediction: prediction, coverage: none) }),
            ("cIoU", { try LocalisationMetrics.ciou(prediction: prediction, mask: none) }),
        ] as [(String, () throws -> Double)] {
            do {
                _ = try call()
                Issue.record("\(name) accepted an empty ground truth")
            } catch let error as MetricError {
                #expect(error.metric == name && error.reason == .emptyGroundTruth, "\(error)")
            } catch { Issue.record("\(error)") }
        }
    }

    @Test func nanSizeAndSignAreErrors() {
        var nan = GridMap(width: 4, height: 3, fill: 0.1)
        nan[2, 1] = .nan
        #expect(throws: MetricError.self) { try SaliencyMetrics.kl(prediction: nan, density: density) }
        #expect(throws: MetricError.self) { try SaliencyMetrics.nss(prediction: nan, fixations: fix) }
        #expect(throws: MetricError.self) { try LocalisationMetrics.pointingGame(prediction: nan, coverage: fix) }
        do {
            _ = try SaliencyMetrics.cc(prediction: nan, density: density)
            Issue.record("NaN accepted")
        } catch let error as MetricError {
            #expect(error.reason == .notFinite && error.description.contains("(2, 1)"), "\(error)")
        } catch { Issue.record("\(error)") }
        let small = GridMap(width: 3, height: 3, fill: 1)
        #expect(throws: MetricError.self) { try SaliencyMetrics.sim(prediction: small, density: density) }
        let signed = GridMap(width: 4, height: 3, values: (0..<12).map { Double($0) - 5 })
        #expect(throws: MetricError.self) { try SaliencyMetrics.kl(prediction: signed, density: density) }
        // CC, NSS, AUC and Comp rank or correlate and accept signed maps (cosine maps).
        #expect(throws: Never.self) { try SaliencyMetrics.cc(prediction: signed, density: density) }
        let all = GridMap(width: 4, height: 3, fill: 1)
        #expect(throws: MetricError.self) { try SaliencyMetrics.aucJudd(prediction: signed, fixations: all) }
    }
}

@Suite struct ClassificationFixtureTests {
    let c = MetricsReference.shared.classification

    @Test func confusionAndScoresMatchNumpy() throws {
        let matrix = try ConfusionMatrix(classes: c.classes, truth: c.truth, predicted: c.predicted)
        #expect(matrix.counts == c.confusion)
        for k in 0..<c.classes {
            let s = matrix.score(k)
            #expect(close(s.precision, c.precision[k]) && close(s.recall, c.recall[k]) && close(s.f1, c.f1[k]), "class \(k)")
        }
        let macro = try matrix.macro()
        #expect(close(macro.precision, c.macroPrecision))
        #expect(close(macro.recall, c.macroRecall))
        #expect(close(macro.f1, c.macroF1))
        #expect(close(macro.accuracy, c.accuracy))
        // Class 13 is neither true nor predicted: left out of the macro average.
        #expect(!matrix.presentClasses.contains(13) && matrix.presentClasses.contains(12))
    }

    @Test func badLabelsAreErrors() {
        #expect(throws: MetricError.self) { try ConfusionMatrix(classes: 3, truth: [0, 3], predicted: [0, 1]) }
        #expect(throws: MetricError.self) { try ConfusionMatrix(classes: 3, truth: [0], predicted: [0, 1]) }
        #expect(throws: MetricError.self) { try ConfusionMatrix(classes: 3).macro() }
    }

    @Test func meanStdIsPopulationStd() throws {
        let r = MetricsReference.shared.meanStd
        let m = try MeanStd(r.values)
        #expect(close(m.mean, r.mean) && close(m.std, r.std))
        #expect(try MeanStd([0.5]).std == 0)
        #expect(throws: MetricError.self) { try MeanStd([]) }
        #expect(m.formatted(decimals: 1, scale: 100) == String(format: "%.1f ± %.1f", r.mean * 100, r.std * 100))
    }
}

@Suite struct GroundTruthGeometryTests {
    let g = MetricsReference.shared.gaze
    var geometry: ScreenGeometry {
        ScreenGeometry(screenWidth: g.screenWidth, screenHeight: g.screenHeight, resize: g.resize, crop: g.crop, mapSize: g.mapSize)
    }

    @Test func cellsAre40By30ScreenPixels() {
        let r = geometry.screenRect(column: 0, row: 0)
        #expect(close(r.x0, 40) && close(r.x1, 80) && close(r.y0, 30) && close(r.y1, 60))
        let crop = geometry.cropRect
        #expect(close(crop.x0, 40) && close(crop.x1, 600) && close(crop.y0, 30) && close(crop.y1, 450))
        #expect(geometry.cell(x: 39.9, y: 100) == nil && geometry.cell(x: 600, y: 100) == nil)
        #expect(geometry.cell(x: 40, y: 30)! == (0, 0) && geometry.cell(x: 599.9, y: 449.9)! == (13, 13))
        let p = geometry.cropPoint(x: 123.4, y: 321.0)
        let back = geometry.screenPoint(cropX: p.x, cropY: p.y)
        #expect(close(back.x, 123.4) && close(back.y, 321.0))
    }

    @Test func gazeDensityMatchesScipy() {
        #expect(GazeSaliency.sigmaPixels == g.sigma)
        let fixations = g.points.map { GazeSaliency.Fixation(x: $0[0], y: $0[1]) }
        let density = GazeSaliency.density(fixations, geometry: geometry)
        let worst = zip(density.values, g.density).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-12, "max difference \(worst)")
        #expect(GazeSaliency.fixationMap(fixations, geometry: geometry).values == g.fixationMap)
        #expect(GazeSaliency.density([], geometry: geometry).values.allSatisfy { $0 == 0 })
    }

    /// A map whose cells start before the crop (stride 8: 3.5 crop px, stride 16: 7.5) against
    /// numpy's rasterisation and density on the same shifted cells.
    @Test func registeredCellsMatchNumpy() {
        let reference = MetricsReference.shared.registered
        #expect(reference.count == 2)
        for r in reference {
            let shifted = ScreenGeometry(screenWidth: g.screenWidth, screenHeight: g.screenHeight, resize: g.resize, crop: g.crop,
                                         mapSize: r.side, cellOrigin: r.origin)
            for (k, mask) in MetricsReference.shared.masks.enumerated() {
                let coverage = MaskRaster.coverage(mask.polygon, geometry: shifted)
                let worst = zip(coverage.values, r.coverage[k]).map { abs($0 - $1) }.max()!
                #expect(worst < 1e-12, "\(r.side) cells from \(r.origin): polygon \(k): max difference \(worst)")
            }
            let density = GazeSaliency.density(g.points.map { GazeSaliency.Fixation(x: $0[0], y: $0[1]) }, geometry: shifted)
            #expect(zip(density.values, r.density).map { abs($0 - $1) }.max()! < 1e-12, "\(r.side) cells: density")
            // The first cell starts before the crop; a point there is in cell 0, one past the last cell in the last.
            let first = shifted.screenRect(column: 0, row: 0), crop = shifted.cropRect
            #expect(first.x0 < crop.x0 && first.y0 < crop.y0)
            #expect(shifted.cell(x: crop.x0 + 0.01, y: crop.y0 + 0.01)! == (0, 0))
            #expect(shifted.cell(x: crop.x1 - 0.01, y: crop.y1 - 0.01)! == (r.side - 1, r.side - 1))
            let centre = shifted.screenCentre(column: 3, row: 5), cell = shifted.cell(x: centre.x, y: centre.y)!
            #expect(cell == (3, 5))
        }
    }

    @Test func maskCoverageMatchesNumpy() {
        for (k, mask) in MetricsReference.shared.masks.enumerated() {
            let coverage = MaskRaster.coverage(mask.polygon, geometry: geometry)
            let worst = zip(coverage.values, mask.coverage).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-12, "polygon \(k): max difference \(worst)")
        }
    }
}

@Suite struct LocalisationFixtureTests {
    @Test(arguments: MetricsReference.shared.localisation.indices)
    func pointingAndCIoUMatch(_ index: Int) throws {
        let c = MetricsReference.shared.localisation[index]
        let prediction = GridMap(width: 14, height: 14, values: c.prediction)
        let coverage = GridMap(width: 14, height: 14, values: c.coverage)
        #expect(MaskRaster.binary(coverage).values == c.mask, "\(c.name): binary mask")
        #expect(close(try LocalisationMetrics.pointingGame(prediction: prediction, coverage: coverage), c.pointing), "\(c.name)")
        #expect(close(try LocalisationMetrics.ciou(prediction: prediction, mask: MaskRaster.binary(coverage)), c.ciou), "\(c.name)")
    }

    /// A 28x28 map (output stride 8) judged on its own grid and on the 14x14 one: the masks
    /// rasterised at 28 agree with numpy's, and a peak beside the structure that misses on 28
    /// hits on 14 when its 2x2 block touches the mask.
    @Test(arguments: MetricsReference.shared.gridLocalisation.indices)
    func pointingOnACoarserGridMatches(_ index: Int) throws {
        let c = MetricsReference.shared.gridLocalisation[index]
        let prediction = GridMap(width: c.side, height: c.side, values: c.prediction)
        let coverage = GridMap(width: c.side, height: c.side, values: c.coverage)
        let g = MetricsReference.shared.gaze
        let polygon = MetricsReference.shared.masks[Int(c.name.split(separator: " ")[1])!].polygon
        let raster = MaskRaster.coverage(polygon, geometry: ScreenGeometry(screenWidth: g.screenWidth, screenHeight: g.screenHeight, resize: g.resize, crop: g.crop, mapSize: c.side))
        #expect(zip(raster.values, c.coverage).map { abs($0 - $1) }.max()! < 1e-12, "\(c.name): coverage at \(c.side)")
        #expect(close(try LocalisationMetrics.pointingGame(prediction: prediction, coverage: coverage), c.pointing), "\(c.name)")
        #expect(close(try LocalisationMetrics.pointingGame(prediction: prediction, coverage: coverage, grid: c.grid), c.gridPointing), "\(c.name)")
        // On its own grid the rule is the plain pointing game.
        #expect(close(try LocalisationMetrics.pointingGame(prediction: prediction, coverage: coverage, grid: c.side), c.pointing), "\(c.name)")
        #expect(throws: MetricError.self) { try LocalisationMetrics.pointingGame(prediction: prediction, coverage: coverage, grid: 5) }
    }

    /// The grid-free pointing game: the screen mask has numpy's pixels, and the peak cell's
    /// centre (where it looks) hits exactly when numpy finds a mask pixel within the tolerance,
    /// for maps of both strides, peaks placed 12.5 px off the mask (hit at 15, miss at 10) and ties.
    @Test(arguments: MetricsReference.shared.standardPointing.indices)
    func pointingWithinAToleranceMatches(_ index: Int) throws {
        let c = MetricsReference.shared.standardPointing[index]
        let g = MetricsReference.shared.gaze
        let geometry = ScreenGeometry(screenWidth: g.screenWidth, screenHeight: g.screenHeight, resize: g.resize, crop: g.crop,
                                      mapSize: c.side, cellOrigin: c.origin)
        let mask = MaskRaster.screen([MetricsReference.shared.masks[c.polygonIndex].polygon], geometry: geometry)
        #expect(mask.count == g.screenWidth * g.screenHeight)
        #expect(mask.reduce(0) { $0 + Int($1) } == c.maskPixels, "\(c.name): mask pixels")
        let prediction = GridMap(width: c.side, height: c.side, values: c.prediction)
        for (tolerance, expected) in zip(c.tolerances, c.pointing) {
            #expect(close(try LocalisationMetrics.pointingGame(prediction: prediction, screenMask: mask, geometry: geometry, tolerance: tolerance), expected),
                    "\(c.name) within \(tolerance) px")
        }
        #expect(throws: MetricError.self) { try LocalisationMetrics.pointingGame(prediction: prediction, screenMask: [UInt8](repeating: 0, count: mask.count), geometry: geometry) }
        #expect(throws: MetricError.self) { try LocalisationMetrics.pointingGame(prediction: prediction, screenMask: Array(mask.dropLast()), geometry: geometry) }
    }

    @Test func summaryMatchesTheLVSDefinition() throws {
        let r = MetricsReference.shared.ciouSummary
        let s = try LocalisationMetrics.summarise(r.values)
        #expect(close(s.ciouAt05, r.ciouAt05) && close(s.auc, r.auc) && close(s.meanCIoU, r.meanCIoU))
        #expect(throws: MetricError.self) { try LocalisationMetrics.summarise([]) }
    }
}
