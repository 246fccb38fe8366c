import Glibc
import MediaFormats
import Testing
@testable import PhantomScan

/// For looking at the phantoms by eye: with PHANTOM_GALLERY set to a folder, writes a held
/// frame of every plane class at full size, plain and with its masks outlined, as PNG.
///   PHANTOM_GALLERY=/tmp/gallery swift test --filter VisualGallery
@Test(.enabled(if: getenv("PHANTOM_GALLERY") != nil))
func visualGallery() throws {
    let folder = String(cString: getenv("PHANTOM_GALLERY"))
    for plane in PlaneClass.allCases {
        let visit = PlaneVisit(plane: plane, searchStart: 0, holdStart: 3, holdEnd: 9)
        var renderer = BModeRenderer(timeline: ScanTimeline(duration: 10, visits: [visit]), seed: 7)
        var image = renderer.makeImage()
        let label = renderer.render(frame: 150, into: &image)
        try ImageFiles.write(image, to: "\(folder)/\(plane.rawValue).png")
        for region in label.anatomy {
            for k in region.polygon.indices {
                let a = region.polygon[k], b = region.polygon[(k + 1) % region.polygon.count]
                let steps = Int(max(abs(b[0] - a[0]), abs(b[1] - a[1]))) + 1
                for j in 0...steps where j % 4 < 2 {
                    let t = Double(j) / Double(steps)
                    let x = Int(a[0] + (b[0] - a[0]) * t), y = Int(a[1] + (b[1] - a[1]) * t)
                    if x >= 0, x < image.width, y >= 0, y < image.height { image.pixels[y * image.width + x] = 255 }
                }
            }
        }
        try ImageFiles.write(image, to: "\(folder)/\(plane.rawValue)_masks.png")
    }
}
