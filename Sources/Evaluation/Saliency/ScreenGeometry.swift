import NeuralCore
import ShowTellModel

/// Where the model's map lies on the recorded screen. The video branch sees the frame
/// scaled (not letterboxed) to `resize`×`resize` and centre-cropped to `crop`×`crop`
/// (`FramePreprocessor`, whose numbers this reads), and its map has `mapSize`×`mapSize`
/// cells of crop / mapSize pixels, the first starting at `cellOrigin` in the crop (a cell is
/// the square centred where its receptive field is: `CellCentres`, `MapCoverage`; 0 is the
/// even division of the crop). In continuous pixel-edge coordinates (pixel i spans [i, i+1),
/// the convention of bilinear resizing with half-pixel centres):
///
///     crop x = screen x · resize / screenWidth  - (resize - crop) / 2
///     cell i = ⌊(crop x - cellOrigin) · mapSize / crop⌋
///
/// For 640×480 -> 256 -> 224 -> 14 evenly divided: a cell is 40×30 screen pixels and the map
/// covers screen x 40...600, y 30...450. A crop pixel past the last cell (cellOrigin < 0)
/// belongs to no cell; a point there is given the nearest.
public struct ScreenGeometry: Sendable, Equatable {
    public let screenWidth: Int
    public let screenHeight: Int
    public let resize: Int
    public let crop: Int
    public let mapSize: Int
    /// Crop x (and y) where cell 0 starts.
    public let cellOrigin: Double

    public init(screenWidth: Int, screenHeight: Int, resize: Int = ShowTellNetwork.frameResize,
                crop: Int = ShowTellNetwork.frameSize, mapSize: Int, cellOrigin: Double = 0) {
        precondition(screenWidth > 0 && screenHeight > 0 && crop <= resize && mapSize > 0 && abs(cellOrigin) < Double(crop), "bad screen geometry")
        self.screenWidth = screenWidth
        self.screenHeight = screenHeight
        self.resize = resize
        self.crop = crop
        self.mapSize = mapSize
        self.cellOrigin = cellOrigin
    }

    /// A backbone's square map over the standard crop, each cell where it looks.
    public init(screenWidth: Int, screenHeight: Int, mapSize: Int, backbone: ResNeXtConfiguration) {
        self.init(screenWidth: screenWidth, screenHeight: screenHeight, mapSize: mapSize, cellOrigin: CellCentres(backbone).firstEdge)
    }

    /// The map a model draws (its `mapCoverage`: each cell where it looks).
    public init(screenWidth: Int, screenHeight: Int, model: any ShowTellBranches) {
        self.init(screenWidth: screenWidth, screenHeight: screenHeight, mapSize: model.mapWidth, cellOrigin: Self.cellOrigin(of: model))
    }

    /// Crop x where a model's cell 0 starts (from its `mapCoverage` of the standard crop).
    public static func cellOrigin(of model: any ShowTellBranches) -> Double {
        let resize = ShowTellNetwork.frameResize, crop = ShowTellNetwork.frameSize
        let origin = Double(model.mapCoverage.x) * Double(resize) - Double(resize - crop) / 2
        return (origin * 1e4).rounded() / 1e4  // the Float fraction's rounding off
    }

    var cellSize: Double { Double(crop) / Double(mapSize) }

    /// The map cell a crop pixel's centre falls in, nil past the map's cells.
    func cellIndex(cropPixel p: Int) -> Int? {
        let i = Int(((Double(p) + 0.5 - cellOrigin) / cellSize).rounded(.down))
        return i >= 0 && i < mapSize ? i : nil
    }
    var margin: Double { Double(resize - crop) / 2 }

    /// Screen pixels -> crop pixels (continuous).
    public func cropPoint(x: Double, y: Double) -> (x: Double, y: Double) {
        (x * Double(resize) / Double(screenWidth) - margin, y * Double(resize) / Double(screenHeight) - margin)
    }

    /// Crop pixels -> screen pixels (continuous).
    public func screenPoint(cropX: Double, cropY: Double) -> (x: Double, y: Double) {
        ((cropX + margin) * Double(screenWidth) / Double(resize), (cropY + margin) * Double(screenHeight) / Double(resize))
    }

    /// The map cell holding a screen point, nil outside the crop.
    public func cell(x: Double, y: Double) -> (column: Int, row: Int)? {
        let p = cropPoint(x: x, y: y)
        guard p.x >= 0, p.y >= 0, p.x < Double(crop), p.y < Double(crop) else { return nil }
        func index(_ v: Double) -> Int { min(max(Int(((v - cellOrigin) / cellSize).rounded(.down)), 0), mapSize - 1) }
        return (index(p.x), index(p.y))
    }

    /// A cell's rectangle on the screen: [x0, x1) × [y0, y1) in screen pixels.
    public func screenRect(column: Int, row: Int) -> (x0: Double, x1: Double, y0: Double, y1: Double) {
        let size = cellSize
        let a = screenPoint(cropX: cellOrigin + Double(column) * size, cropY: cellOrigin + Double(row) * size)
        let b = screenPoint(cropX: cellOrigin + Double(column + 1) * size, cropY: cellOrigin + Double(row + 1) * size)
        return (a.x, b.x, a.y, b.y)
    }

    /// A cell's centre on the screen.
    public func screenCentre(column: Int, row: Int) -> (x: Double, y: Double) {
        screenPoint(cropX: cellOrigin + (Double(column) + 0.5) * cellSize, cropY: cellOrigin + (Double(row) + 0.5) * cellSize)
    }

    /// The whole crop on the screen.
    public var cropRect: (x0: Double, x1: Double, y0: Double, y1: Double) {
        let a = screenPoint(cropX: 0, cropY: 0), b = screenPoint(cropX: Double(crop), cropY: Double(crop))
        return (a.x, b.x, a.y, b.y)
    }
}
