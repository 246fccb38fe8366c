import CSystemShims
import Glibc
import Platform

/// Legacy framebuffer (/dev/fb0): mmap the video memory; 16 (RGB565), 24 and 32-bit pixels.
///
/// With a 32-bit framebuffer whose virtual height holds two screens, frames are drawn into
/// the hidden half and shown by panning (tear-free). Otherwise frames are drawn into an own
/// XRGB buffer and copied/converted into video memory at `present` (one copy, may tear).
/// On DRM systems fbdev is an emulation; prefer `DRMScreen` there.
public final class FBDevScreen: Screen {
    public let width: Int
    public let height: Int
    public let bitsPerPixel: Int
    public let panning: Bool
    private let fd: Int32
    private let path: String
    private let memory: UnsafeMutableRawPointer
    private let memoryLength: Int
    private let lineLength: Int
    private var variable: fb_var_screeninfo
    private let shadow: UnsafeMutablePointer<UInt32>?  // own XRGB buffer when not panning
    private var backIndex = 1
    private let redShift: UInt32, greenShift: UInt32, blueShift: UInt32

    public init(device: String = "/dev/fb0") throws(SystemError) {
        path = device
        let descriptor = try syscall("open", subject: device) { open(device, O_RDWR | O_CLOEXEC) }
        fd = descriptor
        var fixed = fb_fix_screeninfo()
        var info = fb_var_screeninfo()
        do throws(SystemError) {
            _ = try syscall("FBIOGET_FSCREENINFO (is it a framebuffer?)", subject: device) { ioctl(descriptor, SHIM_FBIOGET_FSCREENINFO, &fixed) }
            _ = try syscall("FBIOGET_VSCREENINFO", subject: device) { ioctl(descriptor, SHIM_FBIOGET_VSCREENINFO, &info) }
            guard [16, 24, 32].contains(Int(info.bits_per_pixel)) else {
                throw SystemError("unsupported \(info.bits_per_pixel)-bit framebuffer (16, 24, 32 supported)", subject: device, errno: EINVAL)
            }
        } catch {
            close(descriptor)
            throw error
        }
        width = Int(info.xres)
        height = Int(info.yres)
        bitsPerPixel = Int(info.bits_per_pixel)
        lineLength = Int(fixed.line_length)
        memoryLength = Int(fixed.smem_len)
        redShift = info.red.offset; greenShift = info.green.offset; blueShift = info.blue.offset
        guard let mapped = mmap(nil, Int(fixed.smem_len), PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), mapped != MAP_FAILED else {
            let code = shim_errno()
            close(descriptor)
            throw SystemError("mmap", subject: device, errno: code)
        }
        memory = mapped
        variable = info
        let canPan = bitsPerPixel == 32 && Int(info.yres_virtual) >= 2 * height && fixed.ypanstep > 0
            && lineLength * height * 2 <= memoryLength
        panning = canPan
        if canPan {
            shadow = nil
        } else {
            let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: width * height)
            buffer.initialize(repeating: 0, count: width * height)
            shadow = buffer
        }
    }

    deinit {
        munmap(memory, memoryLength)
        shadow?.deallocate()
        close(fd)
    }

    public var summary: String {
        "fbdev \(path) \(width)x\(height) \(bitsPerPixel)-bit" + (panning ? " (double-buffered by panning)" : " (single buffer)")
    }

    public func beginFrame() -> PixelCanvas {
        if let shadow { return PixelCanvas(pixels: shadow, width: width, height: height, stride: width) }
        let base = (memory + backIndex * height * lineLength).assumingMemoryBound(to: UInt32.self)
        return PixelCanvas(pixels: base, width: width, height: height, stride: lineLength / 4)
    }

    public func present() throws {
        if panning {
            variable.yoffset = UInt32(backIndex * height)
            _ = try syscall("FBIOPAN_DISPLAY", subject: path) { ioctl(fd, SHIM_FBIOPAN_DISPLAY, &variable) }
            backIndex = 1 - backIndex
            return
        }
        guard let shadow else { return }
        for y in 0..<height {
            let source = shadow + y * width
            let line = memory + y * lineLength
            switch bitsPerPixel {
            case 32:
                let target = line.assumingMemoryBound(to: UInt32.self)
                if redShift == 16 && greenShift == 8 && blueShift == 0 {
                    target.update(from: source, count: width)
                } else {
                    for x in 0..<width { target[x] = Self.repack(source[x], redShift, greenShift, blueShift) }
                }
            case 24:
                let target = line.assumingMemoryBound(to: UInt8.self)
                for x in 0..<width {
                    let p = source[x]
                    target[3 * x + Int(redShift / 8)] = UInt8((p >> 16) & 0xFF)
                    target[3 * x + Int(greenShift / 8)] = UInt8((p >> 8) & 0xFF)
                    target[3 * x + Int(blueShift / 8)] = UInt8(p & 0xFF)
                }
            default:  // RGB565
                let target = line.assumingMemoryBound(to: UInt16.self)
                for x in 0..<width {
                    let p = source[x]
                    let red: UInt32 = (p >> 8) & 0xF800
                    let green: UInt32 = (p >> 5) & 0x07E0
                    let blue: UInt32 = (p >> 3) & 0x001F
                    target[x] = UInt16(truncatingIfNeeded: red | green | blue)
                }
            }
        }
    }

    @inline(__always)
    private static func repack(_ p: UInt32, _ r: UInt32, _ g: UInt32, _ b: UInt32) -> UInt32 {
        let red: UInt32 = ((p >> 16) & 0xFF) << r
        let green: UInt32 = ((p >> 8) & 0xFF) << g
        return red | green | (p & 0xFF) << b
    }
}
