/// Heat colours for the overlay: a 256-entry XRGB lookup table, "inferno"-like (black ->
/// purple -> red -> yellow), readable over a gray B-mode image and for colour-blind viewers.
public enum Colormap {
    /// Control points (position, r, g, b) of the ramp; linear in between.
    private static let stops: [(Float, Float, Float, Float)] = [
        (0.00, 0, 0, 4), (0.25, 87, 16, 110), (0.50, 188, 55, 84), (0.75, 249, 142, 9), (1.00, 252, 255, 164),
    ]

    public static let inferno: [UInt32] = (0..<256).map { index in
        let t = Float(index) / 255
        var k = 0
        while k < stops.count - 2 && t > stops[k + 1].0 { k += 1 }
        let (t0, r0, g0, b0) = stops[k], (t1, r1, g1, b1) = stops[k + 1]
        let u = (t - t0) / (t1 - t0)
        let r = UInt32(r0 + u * (r1 - r0)), g = UInt32(g0 + u * (g1 - g0)), b = UInt32(b0 + u * (b1 - b0))
        return r << 16 | g << 8 | b
    }
}
