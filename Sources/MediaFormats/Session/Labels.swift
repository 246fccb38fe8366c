/// Ground truth of a recorded or generated session, one JSON object per video frame in
/// `labels.jsonl`. Coordinates are pixels of the stored video frame, origin top-left.

/// The 14 plane classes of the paper (SonoNet's 13 standard planes plus background).
/// Raw values are the strings stored in labels.jsonl and model manifests.
public enum PlaneClass: String, Codable, CaseIterable, Sendable {
    case threeVesselTrachea = "3VT"
    case fourChamber = "4CH"
    case lvot = "LVOT"
    case rvot = "RVOT"
    case brainTransventricular = "brain_tv"
    case brainTranscerebellar = "brain_tc"
    case abdomen = "abdomen"
    case femur = "femur"
    case kidneys = "kidneys"
    case lips = "lips"
    case profile = "profile"
    case spineCoronal = "spine_coronal"
    case spineSagittal = "spine_sagittal"
    case background = "background"

    /// Index used for classifier outputs (order of `allCases`).
    public var index: Int { Self.allCases.firstIndex(of: self)! }
}

/// A named anatomical structure visible in the frame, as a closed polygon.
/// Names are lower-case words from `AnatomyName`.
public struct AnatomyRegion: Codable, Sendable, Equatable {
    public var name: String
    /// [[x, y], ...] in pixels, closed implicitly.
    public var polygon: [[Double]]

    public init(name: String, polygon: [[Double]]) {
        self.name = name
        self.polygon = polygon
    }
}

/// The anatomy vocabulary shared by the renderer (masks), the narrator (what is said) and
/// the keyword dictionary (what the text branch keeps).
public enum AnatomyName {
    public static let all: [String] = [
        "heart", "ventricle", "atrium", "aorta", "pulmonary_artery", "trachea",
        "skull", "ventricles_brain", "cerebellum", "stomach", "umbilical_vein", "abdomen",
        "femur", "kidneys", "bladder", "lips", "nose", "face", "spine", "ribs",
    ]

    /// How a sonographer says `name`: identifiers spelled as spoken words (the narrator
    /// says these, the evaluation finds them in transcripts).
    public static func spoken(_ name: String) -> String {
        switch name {
        case "pulmonary_artery": "pulmonary artery"
        case "ventricles_brain": "ventricles"
        case "umbilical_vein": "umbilical vein"
        default: String(name.map { $0 == "_" ? " " : $0 })
        }
    }
}

/// Where the sonographer looks, in pixels; `fixation` is false during a saccade.
public struct GazePoint: Codable, Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var fixation: Bool

    public init(x: Double, y: Double, fixation: Bool) {
        self.x = x
        self.y = y
        self.fixation = fixation
    }
}

/// One line of labels.jsonl.
public struct FrameLabel: Codable, Sendable, Equatable {
    /// 0-based frame index in video.avi.
    public var frame: Int
    /// Presentation time in seconds (frame / fps).
    public var time: Double
    public var plane: PlaneClass
    /// True while the probe holds a standard plane (the plane is "found").
    public var holding: Bool
    /// True while the ultrasound image is frozen on screen.
    public var frozen: Bool
    public var anatomy: [AnatomyRegion]
    public var gaze: GazePoint?

    public init(frame: Int, time: Double, plane: PlaneClass, holding: Bool, frozen: Bool,
                anatomy: [AnatomyRegion], gaze: GazePoint?) {
        self.frame = frame
        self.time = time
        self.plane = plane
        self.holding = holding
        self.frozen = frozen
        self.anatomy = anatomy
        self.gaze = gaze
    }
}
