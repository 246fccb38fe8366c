import Platform
import MediaFormats

/// One continuous piece of imaging: the background searched over before a visit, or the
/// visit's standard plane (approach, hold, freezes). It owns the rasterised tissue, its own
/// region of the speckle texture (a new plane shows decorrelated speckle) and where the
/// standard view sits on the screen.
struct SceneInstance: Sendable {
    let key: Int
    let plane: PlaneClass
    let raster: TissueRaster
    let labelled: [(name: String, outline: [Point2])]
    /// Speckle texture offset in texels.
    let speckleOffset: Point2
    /// Screen position of the structure's centre in the standard view, and its rotation.
    let screenCentre: Point2
    let angle: Double
    /// The beating heart (centre, radius in mm), if the scene has one.
    private(set) var heart: (centre: Point2, radius: Double)?

    init(key: Int, plane: PlaneClass, layout: ScreenLayout, seed: UInt64, speckleSize: Int) {
        var rng = SplitMix64(seed: seed, stream: 3, substream: UInt64(truncatingIfNeeded: key))
        let drawing = AnatomyScenes.drawing(for: plane, &rng)
        self.init(key: key, plane: plane, shapes: drawing.shapes, fill: .fluid, layout: layout, speckleSize: speckleSize, &rng)
        heart = drawing.heart
    }

    init(key: Int, plane: PlaneClass, shapes: [SceneShape], fill: Tissue, layout: ScreenLayout, speckleSize: Int,
         _ rng: inout SplitMix64) {
        self.key = key
        self.plane = plane
        let texelMillimetres = 0.25 * 480 / Double(layout.height)
        let size = 2 * Int((384 * Double(layout.height) / 480).rounded())
        raster = TissueRaster(shapes: shapes, fill: fill, size: size, texelMillimetres: texelMillimetres,
                              seed: rng.next())
        labelled = shapes.compactMap { shape in shape.label.map { ($0, shape.outline) } }
        speckleOffset = Point2(rng.uniform(0, Double(speckleSize)), rng.uniform(0, Double(speckleSize)))
        let depthSpan = layout.outerRadius - layout.innerRadius
        screenCentre = Point2(layout.apexX + rng.uniform(-0.08, 0.08) * Double(layout.width),
                              layout.apexY + layout.innerRadius + depthSpan * rng.uniform(0.47, 0.6))
        angle = rng.uniform(-0.12, 0.12)
    }
}
