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

    @Test func fourCCNamesRoundTrip() {
        for format in CapturePixelFormat.allCases {
            #expect(CapturePixelFormat(fourCC: format.fourCC) == format)
            #expect(V4L2Capture.fourCCString(format.fourCC) == format.description)
        }
    }
}
