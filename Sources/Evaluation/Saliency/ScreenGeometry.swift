import ShowTellModel

/// Where the model's map lies on the recorded screen. The video branch sees the frame
/// scaled (not letterboxed) to `resize`×`resize` and centre-cropped to `crop`×`crop`
/// (`FramePreprocessor`, whose numbers this reads), and its map has `mapSize`×`mapSize`
/// cells over that crop. In continuous pixel-edge coordinates (pixel i spans [i, i+1),
/// the convention of bilinear resizing with half-pixel centres):
///
///     crop x = screen x · resize / screenWidth  - (resize - crop) / 2
///     cell i = ⌊crop x · mapSize / crop⌋
///
/// For 640×480 -> 256 -> 224 -> 14: a cell is 40×30 screen pixels and the map covers
/// screen x 40...600, y 30...450.
public struct ScreenGeometry: Sendable, Equatable {
    public let screenWidth: Int
    public let screenHeight: Int
    public let resize: Int
    public let crop: Int
    public let mapSize: Int

    public init(screenWidth: Int, screenHeight: Int, resize: Int = ShowTellNetwork.frameResize,
                crop: Int = ShowTellNetwork.frameSize, mapSize: Int) {
        precondition(screenWidth > 0 && screenHeight > 0 && crop <= resize && mapSize > 0, "bad screen geometry")
        self.screenWidth = screenWidth
        self.screenHeight = screenHeight
        self.resize = resize
        self.crop = crop
        self.mapSize = mapSize
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
        let scale = Double(mapSize) / Double(crop)
        return (min(Int(p.x * scale), mapSize - 1), min(Int(p.y * scale), mapSize - 1))
    }

    /// A cell's rectangle on the screen: [x0, x1) × [y0, y1) in screen pixels.
    public func screenRect(column: Int, row: Int) -> (x0: Double, x1: Double, y0: Double, y1: Double) {
        let size = Double(crop) / Double(mapSize)
        let a = screenPoint(cropX: Double(column) * size, cropY: Double(row) * size)
        let b = screenPoint(cropX: Double(column + 1) * size, cropY: Double(row + 1) * size)
        return (a.x, b.x, a.y, b.y)
    }

    /// The whole crop on the screen.
    public var cropRect: (x0: Double, x1: Double, y0: Double, y1: Double) {
        let a = screenPoint(cropX: 0, cropY: 0), b = screenPoint(cropX: Double(crop), cropY: Double(crop))
        return (a.x, b.x, a.y, b.y)
    }
}
