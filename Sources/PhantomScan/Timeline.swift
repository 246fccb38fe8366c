import MediaFormats

/// The plan of a phantom scan, shared by the picture (what is on screen when) and the
/// narration (what is said about it, and when). Times in seconds from session start.
public struct PlaneVisit: Sendable, Equatable {
    public var plane: PlaneClass
    /// When the probe starts searching for this plane.
    public var searchStart: Double
    /// When the plane is found and held (the picture is the standard plane from here).
    public var holdStart: Double
    /// When the probe leaves the plane.
    public var holdEnd: Double
    /// Freeze intervals inside the hold (the image stops; the sonographer often talks).
    public var freezes: [ClosedRange<Double>]
    /// Anatomy names visible while holding (AnatomyName vocabulary).
    public var anatomy: [String]
    /// The one structure a close-up of the plane is framed on (zoomed in, its neighbours
    /// pushed out of the fan); nil for the standard view.
    public var closeUp: String?

    public init(plane: PlaneClass, searchStart: Double, holdStart: Double, holdEnd: Double,
                freezes: [ClosedRange<Double>] = [], anatomy: [String] = [], closeUp: String? = nil) {
        self.plane = plane
        self.searchStart = searchStart
        self.holdStart = holdStart
        self.holdEnd = holdEnd
        self.freezes = freezes
        self.anatomy = anatomy
        self.closeUp = closeUp
    }
}

public struct ScanTimeline: Sendable, Equatable {
    public var duration: Double
    public var visits: [PlaneVisit]

    public init(duration: Double, visits: [PlaneVisit]) {
        self.duration = duration
        self.visits = visits
    }
}
