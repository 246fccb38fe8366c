import NeuralCore
import Testing
@testable import Evaluation

/// The training report's pointing game reads the frame pixel under the peak cell's centre; with
/// the cells placed where they look (`CellCentres`) that is the pixel the cell's receptive field
/// is centred on.
struct TrainingPointingTests {
    @Test func peakCellIsReadWhereItLooks() {
        let origin = CellCentres(.edgeLocalStride8).firstEdge  // -3.5
        // A 256x256 frame is the resized frame itself: cell (row 2, column 3) of 28 looks at crop
        // pixel (24, 16), frame pixel (40, 32); the even division read (44, 36).
        #expect(PointingGame.pixel(cell: 2 * 28 + 3, side: 28, frameWidth: 256, frameHeight: 256, cellOrigin: origin) == (40, 32))
        #expect(PointingGame.pixel(cell: 2 * 28 + 3, side: 28, frameWidth: 256, frameHeight: 256) == (44, 36))
        var mask = [UInt8](repeating: 0, count: 256 * 256)
        for y in 30...33 { for x in 38...41 { mask[y * 256 + x] = 1 } }  // a small structure around (40, 32)
        let window = PointingGame.Window(clip: 0, anatomy: "nose", mask: mask, frameWidth: 256, frameHeight: 256)
        var map = [Float](repeating: 0, count: 28 * 28)
        map[2 * 28 + 3] = 1
        let registered = PointingGame.score(window, map: map, side: 28, cellOrigin: origin)
        #expect(registered.hit && registered.cell == 2 * 28 + 3 && registered.chance == 1.0 / 784)
        #expect(!PointingGame.score(window, map: map, side: 28).hit)
    }
}
