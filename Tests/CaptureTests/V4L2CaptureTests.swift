import CSystemShims
import Glibc
import Platform
import Testing
@testable import Capture

/// Without a grabber only the refusal paths run here; streaming from a real driver (vivid)
/// runs on the qemu-x86_64 board.
@Suite struct V4L2CaptureTests {
    @Test func missingDeviceNamesThePath() {
        var settings = V4L2Capture.Settings()
        settings.device = "/dev/video-does-not-exist"
        #expect {
            try V4L2Capture(settings: settings)
        } throws: { error in
            guard let error = error as? SystemError else { return false }
            return error.errno == ENOENT && error.description.contains("/dev/video-does-not-exist")
        }
    }

    @Test func nonVideoDeviceIsRefused() {
        var settings = V4L2Capture.Settings()
        settings.device = "/dev/null"
        #expect {
            try V4L2Capture(settings: settings)
        } throws: { error in
            guard let error = error as? SystemError else { return false }
            return error.errno == ENOTTY && error.description.contains("V4L2")
        }
    }

    /// VIDIOC_G_PARM/S_PARM speak in seconds per frame.
    @Test func frameIntervalIsReadAsARate() {
        #expect(V4L2Capture.rate(of: v4l2_fract(numerator: 1, denominator: 25)) == 25)
        #expect(V4L2Capture.rate(of: v4l2_fract(numerator: 1001, denominator: 30_000)).map { abs($0 - 29.97) < 0.001 } == true)
        #expect(V4L2Capture.rate(of: v4l2_fract(numerator: 0, denominator: 0)) == nil)
    }

    @Test func fourCCNamesRoundTrip() {
        for format in CapturePixelFormat.allCases {
            #expect(CapturePixelFormat(fourCC: format.fourCC) == format)
            #expect(V4L2Capture.fourCCString(format.fourCC) == format.description)
        }
    }
}
