import NeuralCore

/// Where a video map's cells lie on the frame: x, y, width, height as fractions of it. The map
/// covers `FramePreprocessor`'s centre crop, each cell the stride-wide square centred on the
/// pixel its receptive field is centred on (`CellCentres`), so a cell is drawn and scored where
/// it looks. For `edge-local-os8` (28x28 cells of 8 crop pixels) that is 3.5 crop pixels up and
/// left of an even division of the crop; the box drew and `eval localise` scored the even
/// division until the forty-second session.
public enum MapCoverage {
    public static func of(_ backbone: ResNeXtConfiguration, mapWidth: Int, mapHeight: Int,
                          resize: Int = ShowTellNetwork.frameResize, crop: Int = ShowTellNetwork.frameSize)
        -> (x: Float, y: Float, width: Float, height: Float) {
        let centres = CellCentres(backbone)
        let left = Double(resize - crop) / 2 + centres.firstEdge, size = Double(resize)
        return (Float(left / size), Float(left / size),
                Float(Double(mapWidth * centres.stride) / size), Float(Double(mapHeight * centres.stride) / size))
    }
}
