import CDRM
import CSystemShims
import Glibc
import Platform

/// KMS output through DRM dumb buffers: two XRGB8888 buffers, the mode set once, then page
/// flips with a flip event (tear-free). `present` waits for the previous flip only when
/// frames come faster than the display refreshes. Drivers that refuse page flips fall back
/// to setting the CRTC per frame. The CRTC's previous configuration is restored on close.
public final class DRMScreen: Screen {
    public let width: Int
    public let height: Int
    public let refreshHz: Int
    public let connectorName: String
    private let path: String
    private let fd: Int32
    private let crtcID: UInt32
    private var connectorID: UInt32
    private var mode: drmModeModeInfo
    private var buffers: [(handle: UInt32, framebuffer: UInt32, pointer: UnsafeMutableRawPointer, size: Int, pitch: Int)] = []
    private var backIndex = 1
    private let flipPending: UnsafeMutablePointer<Int32>
    private var pageFlipWorks = true
    private let savedCrtc: drmModeCrtcPtr?
    public private(set) var flips = 0

    public init(device: String = "/dev/dri/card0") throws(SystemError) {
        path = device
        fd = try syscall("open", subject: device) { open(device, O_RDWR | O_CLOEXEC) }
        flipPending = .allocate(capacity: 1)
        flipPending.initialize(to: 0)
        let output: (connector: UInt32, crtc: UInt32, mode: drmModeModeInfo, name: String)
        do throws(SystemError) {
            output = try Self.findOutput(fd, device)
        } catch {
            close(fd)
            flipPending.deallocate()
            throw error
        }
        connectorID = output.connector
        crtcID = output.crtc
        mode = output.mode
        connectorName = output.name
        width = Int(mode.hdisplay)
        height = Int(mode.vdisplay)
        refreshHz = Int(mode.vrefresh)
        savedCrtc = drmModeGetCrtc(fd, crtcID)
        do throws(SystemError) {
            for _ in 0..<2 { buffers.append(try makeBuffer()) }
            for buffer in buffers { memset(buffer.pointer, 0, buffer.size) }
            let status = drmModeSetCrtc(fd, crtcID, buffers[0].framebuffer, 0, 0, &connectorID, 1, &mode)
            if status != 0 { throw SystemError("drmModeSetCrtc", subject: device, errno: -status) }
        } catch {
            releaseBuffers()
            if let savedCrtc { drmModeFreeCrtc(savedCrtc) }
            close(fd)
            flipPending.deallocate()
            throw error
        }
    }

    deinit {
        waitForFlip(timeoutMilliseconds: 100)
        if let saved = savedCrtc {
            var connector = connectorID
            var savedMode = saved.pointee.mode
            if saved.pointee.buffer_id != 0 {
                drmModeSetCrtc(fd, saved.pointee.crtc_id, saved.pointee.buffer_id, saved.pointee.x, saved.pointee.y, &connector, 1, &savedMode)
            }
            drmModeFreeCrtc(saved)
        }
        releaseBuffers()
        close(fd)
        flipPending.deallocate()
    }

    public var summary: String {
        "DRM \(path) \(connectorName) \(width)x\(height)@\(refreshHz)Hz" + (pageFlipWorks ? " (page flips)" : " (set CRTC per frame)")
    }

    public func beginFrame() -> PixelCanvas {
        let buffer = buffers[backIndex]
        return PixelCanvas(pixels: buffer.pointer.assumingMemoryBound(to: UInt32.self), width: width, height: height, stride: buffer.pitch / 4)
    }

    public func present() throws {
        let framebuffer = buffers[backIndex].framebuffer
        if pageFlipWorks {
            waitForFlip(timeoutMilliseconds: 100)
            flipPending.pointee = 1
            let status = drmModePageFlip(fd, crtcID, framebuffer, UInt32(DRM_MODE_PAGE_FLIP_EVENT), flipPending)
            if status != 0 {
                flipPending.pointee = 0
                pageFlipWorks = false  // e.g. EINVAL on drivers without flip support
            }
        }
        if !pageFlipWorks {
            let status = drmModeSetCrtc(fd, crtcID, framebuffer, 0, 0, &connectorID, 1, &mode)
            if status != 0 { throw SystemError("drmModeSetCrtc", subject: path, errno: -status) }
        }
        flips += 1
        backIndex = 1 - backIndex
    }

    /// Waits for the outstanding flip event (the buffer being drawn next is then off screen).
    private func waitForFlip(timeoutMilliseconds: Int32) {
        var context = drmEventContext()
        context.version = 2
        context.page_flip_handler = { _, _, _, _, userData in
            userData?.assumingMemoryBound(to: Int32.self).pointee = 0
        }
        while flipPending.pointee != 0 {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, timeoutMilliseconds) <= 0 {
                flipPending.pointee = 0  // lost event: do not wait forever
                return
            }
            drmHandleEvent(fd, &context)
        }
    }

    private func makeBuffer() throws(SystemError) -> (handle: UInt32, framebuffer: UInt32, pointer: UnsafeMutableRawPointer, size: Int, pitch: Int) {
        var create = drm_mode_create_dumb()
        create.width = UInt32(width)
        create.height = UInt32(height)
        create.bpp = 32
        if drmIoctl(fd, SHIM_DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0 {
            throw SystemError("DRM_IOCTL_MODE_CREATE_DUMB", subject: path, errno: shim_errno())
        }
        var framebuffer: UInt32 = 0
        let added = drmModeAddFB(fd, UInt32(width), UInt32(height), 24, 32, create.pitch, create.handle, &framebuffer)
        if added != 0 { throw SystemError("drmModeAddFB", subject: path, errno: -added) }
        var map = drm_mode_map_dumb()
        map.handle = create.handle
        if drmIoctl(fd, SHIM_DRM_IOCTL_MODE_MAP_DUMB, &map) != 0 {
            throw SystemError("DRM_IOCTL_MODE_MAP_DUMB", subject: path, errno: shim_errno())
        }
        guard let pointer = mmap(nil, Int(create.size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(map.offset)), pointer != MAP_FAILED else {
            throw SystemError("mmap", subject: path, errno: shim_errno())
        }
        return (create.handle, framebuffer, pointer, Int(create.size), Int(create.pitch))
    }

    private func releaseBuffers() {
        for buffer in buffers {
            munmap(buffer.pointer, buffer.size)
            drmModeRmFB(fd, buffer.framebuffer)
            var destroy = drm_mode_destroy_dumb()
            destroy.handle = buffer.handle
            _ = drmIoctl(fd, SHIM_DRM_IOCTL_MODE_DESTROY_DUMB, &destroy)
        }
        buffers.removeAll()
    }

    /// The first connected connector, its preferred mode, and a CRTC that can drive it.
    private static func findOutput(_ fd: Int32, _ device: String) throws(SystemError) -> (UInt32, UInt32, drmModeModeInfo, String) {
        guard let resources = drmModeGetResources(fd) else {
            throw SystemError("drmModeGetResources (is it a KMS device?)", subject: device, errno: shim_errno())
        }
        defer { drmModeFreeResources(resources) }
        let res = resources.pointee
        for c in 0..<Int(res.count_connectors) {
            guard let connector = drmModeGetConnector(fd, res.connectors[c]) else { continue }
            defer { drmModeFreeConnector(connector) }
            let conn = connector.pointee
            guard conn.connection == DRM_MODE_CONNECTED, conn.count_modes > 0 else { continue }
            var chosen = conn.modes[0]
            for m in 0..<Int(conn.count_modes) where conn.modes[m].type & UInt32(DRM_MODE_TYPE_PREFERRED) != 0 {
                chosen = conn.modes[m]
                break
            }
            let name = "\(String(cString: drmModeGetConnectorTypeName(conn.connector_type)))-\(conn.connector_type_id)"
            // Prefer the CRTC already driving this connector; else any compatible one.
            if conn.encoder_id != 0, let encoder = drmModeGetEncoder(fd, conn.encoder_id) {
                let crtc = encoder.pointee.crtc_id
                drmModeFreeEncoder(encoder)
                if crtc != 0 { return (conn.connector_id, crtc, chosen, name) }
            }
            for e in 0..<Int(conn.count_encoders) {
                guard let encoder = drmModeGetEncoder(fd, conn.encoders[e]) else { continue }
                let possible = encoder.pointee.possible_crtcs
                drmModeFreeEncoder(encoder)
                for k in 0..<Int(res.count_crtcs) where possible & (1 << UInt32(k)) != 0 {
                    return (conn.connector_id, res.crtcs[k], chosen, name)
                }
            }
        }
        throw SystemError("no connected display found", subject: device, errno: ENODEV)
    }
}
