// Constants that Swift cannot import because the kernel headers define them as
// function-like macros (_IOWR, v4l2_fourcc, ...). Re-exported as typed constants.
#ifndef SHOWTELL_CSYSTEMSHIMS_H
#define SHOWTELL_CSYSTEMSHIMS_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>
#include <time.h>
#include <linux/fb.h>
#include <sys/prctl.h>

// V4L2 ioctls used by the capture path.
static const unsigned long SHIM_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
static const unsigned long SHIM_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
static const unsigned long SHIM_VIDIOC_G_FMT = VIDIOC_G_FMT;
static const unsigned long SHIM_VIDIOC_S_FMT = VIDIOC_S_FMT;
static const unsigned long SHIM_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
static const unsigned long SHIM_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
static const unsigned long SHIM_VIDIOC_QBUF = VIDIOC_QBUF;
static const unsigned long SHIM_VIDIOC_DQBUF = VIDIOC_DQBUF;
static const unsigned long SHIM_VIDIOC_STREAMON = VIDIOC_STREAMON;
static const unsigned long SHIM_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;
static const unsigned long SHIM_VIDIOC_G_PARM = VIDIOC_G_PARM;
static const unsigned long SHIM_VIDIOC_S_PARM = VIDIOC_S_PARM;
static const unsigned long SHIM_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;

// V4L2 pixel formats the capture path understands.
static const uint32_t SHIM_V4L2_PIX_FMT_YUYV = V4L2_PIX_FMT_YUYV;
static const uint32_t SHIM_V4L2_PIX_FMT_GREY = V4L2_PIX_FMT_GREY;
static const uint32_t SHIM_V4L2_PIX_FMT_MJPEG = V4L2_PIX_FMT_MJPEG;
static const uint32_t SHIM_V4L2_PIX_FMT_JPEG = V4L2_PIX_FMT_JPEG;
static const uint32_t SHIM_V4L2_PIX_FMT_RGB24 = V4L2_PIX_FMT_RGB24;

// Framebuffer (fbdev) ioctls.
static const unsigned long SHIM_FBIOGET_VSCREENINFO = FBIOGET_VSCREENINFO;
static const unsigned long SHIM_FBIOPUT_VSCREENINFO = FBIOPUT_VSCREENINFO;
static const unsigned long SHIM_FBIOGET_FSCREENINFO = FBIOGET_FSCREENINFO;
static const unsigned long SHIM_FBIOPAN_DISPLAY = FBIOPAN_DISPLAY;

// errno is a macro over a TLS accessor in glibc; read it through a function.
static inline int shim_errno(void) { return errno; }
static inline void shim_set_errno(int value) { errno = value; }

// CLOCK_MONOTONIC in nanoseconds: the clock V4L2 and ALSA timestamps use
// (Swift's ContinuousClock reads CLOCK_BOOTTIME on Linux).
static inline int64_t shim_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// Names the calling thread (shown by top -H, ps -L, gdb); 15 characters at most.
static inline int shim_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

// Per-thread CPU time, for per-core throughput figures in benchmarks.
static inline int64_t shim_thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// The kernel's NTP state (adjtimex, read-only): 1 synchronised, 0 not (STA_UNSYNC or
// TIME_ERROR), -1 the call failed (errno). *esterror_us gets the estimated error.
#include <sys/timex.h>
static inline int shim_clock_synchronised(long *esterror_us) {
    struct timex tx = {0};
    int state = adjtimex(&tx);
    if (state < 0) return -1;
    *esterror_us = tx.esterror;
    return (state == TIME_ERROR || (tx.status & STA_UNSYNC)) ? 0 : 1;
}

#endif
