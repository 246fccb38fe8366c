import Foundation

/// A confusion matrix as a heatmap (the paper's Figure 4): rows are the true class, columns
/// the prediction, each row normalised to percent of that class's frames (so the diagonal
/// is per-class recall), coloured with the appliance's inferno ramp, the percentage printed
/// in each cell and the class names along both axes.
public struct ConfusionPicture {
    public var title: String
    public var subtitle: String
    public var classNames: [String]
    public var matrix: ConfusionMatrix

    public init(title: String, subtitle: String = "", classNames: [String], matrix: ConfusionMatrix) {
        precondition(classNames.count == matrix.classes, "one name per class")
        self.title = title
        self.subtitle = subtitle
        self.classNames = classNames
        self.matrix = matrix
    }

    public func render() -> Picture {
        let k = matrix.classes, cell = 44
        let labelWidth = (classNames.map(\.utf8.count).max() ?? 4) * Picture.glyphAdvance * 2 + 16
        let left = labelWidth + 30, top = 90 + labelWidth
        let width = left + k * cell + 40, height = top + k * cell + 50
        let picture = Picture(width: width, height: height)
        picture.text(title, x: 16, y: 14, scale: 3)
        picture.text(subtitle, x: 16, y: 46, scale: 2, colour: 0x606060)
        picture.centredText("PREDICTED", centreX: left + k * cell / 2, y: 72, scale: 2, colour: 0x606060)
        picture.verticalText("TRUE", x: 6, bottom: top + k * cell / 2 + 24, scale: 2, colour: 0x606060)
        for t in 0..<k {
            let support = matrix.support(t)
            picture.rightText(classNames[t], right: left - 8, y: top + t * cell + cell / 2 - 7)
            picture.verticalText(classNames[t], x: left + t * cell + cell / 2 - 7, bottom: top - 8)
            for p in 0..<k {
                let share = support > 0 ? Double(matrix[t, p]) / Double(support) : 0
                let colour = support > 0 ? Picture.inferno(share) : 0xE8E8E8
                let x = left + p * cell, y = top + t * cell
                picture.rect(x: x, y: y, width: cell - 1, height: cell - 1, colour: colour)
                if support > 0 && matrix[t, p] > 0 {
                    let text = String(Int((share * 100).rounded()))
                    picture.centredText(text, centreX: x + cell / 2, y: y + cell / 2 - 7, scale: 2, colour: Picture.textColour(on: colour))
                }
            }
            if support == 0 { picture.text("NO FRAMES", x: left + 6, y: top + t * cell + cell / 2 - 4, scale: 1, colour: 0x808080) }
        }
        picture.frame(x: left - 1, y: top - 1, width: k * cell + 1, height: k * cell + 1, colour: 0x404040)
        picture.text("CELLS: % OF THE TRUE CLASS'S FRAMES", x: left, y: top + k * cell + 16, scale: 2, colour: 0x606060)
        return picture
    }
}
