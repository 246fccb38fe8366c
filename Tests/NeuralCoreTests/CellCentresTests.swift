import Testing
@testable import NeuralCore

/// `CellCentres` against the real forward pass: which input pixels change an output cell.
struct CellCentresTests {
    static func small(_ name: String, strides: [Int], dilations: [Int], entry: [Int]) -> ResNeXtConfiguration {
        ResNeXtConfiguration(
            name: name, stemWidth: 8, stemKernel: 7, stemStride: 2, stemPool: true, blocks: [1, 1, 1], outWidths: [8, 16, 16],
            groupedWidths: [8, 8, 16], cardinality: 4, strides: strides, dilations: dilations, entryDilations: entry, seReduction: 4)
    }

    @Test func shippedBackbonesLookAtTheirCellsFirstPixel() {
        for (configuration, stride) in [(ResNeXtConfiguration.edgeLocalStride8, 8), (.edgeLocal, 16), (.edge, 16), (.paper, 16)] {
            let centres = CellCentres(configuration)
            #expect(centres.stride == stride && centres.first == 0, "\(configuration.name): \(centres)")
        }
        #expect(CellCentres(.edgeLocalStride8).firstEdge == -3.5)  // cell j spans [8j - 3.5, 8j + 4.5)
    }

    /// Every convolution averages (weights 1 / fan-in) over a positive input, so every path is
    /// linear with no weight near zero and every max pool passes a large enough bump: the pixels
    /// that move an output cell are exactly its receptive field, whose middle must be where
    /// `CellCentres` says the cell looks. The squeeze-and-excitation gates are fixed (their
    /// second layer zeroed), or a bump anywhere would move every cell.
    @Test("receptive field centres", arguments: [
        (small("os8", strides: [1, 2, 1], dilations: [1, 1, 2], entry: [1, 1, 1]), 96),
        (small("os16", strides: [1, 2, 2], dilations: [1, 1, 1], entry: [1, 1, 1]), 112),
        (ResNeXtConfiguration.tiny, 24),
    ])
    func receptiveFieldCentres(_ item: (configuration: ResNeXtConfiguration, size: Int)) {
        let model = ResNeXt(item.configuration, seed: 7)
        for entry in model.store.entries where !entry.isBuffer {
            let p = model.store.pointer(entry)
            let fanIn = entry.shape.dropFirst().reduce(1, *)
            let value: Float = entry.name.contains("se.fc2") ? 0
                : entry.name.hasSuffix("conv.weight") ? 1 / Float(fanIn) : entry.name.hasSuffix("bn.weight") ? 1 : 0.1
            p.update(repeating: value, count: entry.count)
        }
        let n = item.size
        let a = model.makeActivations(batch: 1, height: n, width: n, training: false)
        func run(bump x: Int?) -> [Float] {
            a.input.data.update(repeating: 1, count: a.input.count)
            if let x { a.input.data[(n / 2) * n + x] += 1000 }
            model.forward(a, training: false)
            return a.spatialMap.toArray()
        }
        let base = run(bump: nil)
        let channels = a.spatialMap.shape[1], h = a.spatialMap.shape[2], w = a.spatialMap.shape[3]
        let centres = CellCentres(item.configuration)
        #expect(centres.stride * w == n)
        // For each output column of the middle row: the first and last bumped pixel that moves it.
        var field = [(lo: Int, hi: Int)?](repeating: nil, count: w)
        let row = (n / 2) / centres.stride
        for x in 0..<n {
            let out = run(bump: x)
            for j in 0..<w where (0..<channels).contains(where: { c in
                let k = (c * h + row) * w + j
                return abs(out[k] - base[k]) > 1e-5 * max(1, abs(base[k]))
            }) {
                field[j] = (min(field[j]?.lo ?? x, x), max(field[j]?.hi ?? x, x))
            }
        }
        // Only whole fields count: a cell near the border loses taps to padding in any layer.
        let whole = field.compactMap { $0.map { $0.hi - $0.lo } }.max() ?? 0
        var interior = 0
        for j in 0..<w {
            guard let f = field[j], f.hi - f.lo == whole else { continue }
            interior += 1
            #expect(Double(f.lo + f.hi) / 2 == centres.first + Double(centres.stride * j), "cell \(j): pixels \(f.lo)...\(f.hi)")
        }
        #expect(interior >= 2, "no cell's receptive field inside a \(n)-pixel input")
    }
}
