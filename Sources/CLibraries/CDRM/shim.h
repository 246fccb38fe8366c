#include <stdint.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

// Dumb-buffer ioctls are function-like macros; re-export them as constants.
static const unsigned long SHIM_DRM_IOCTL_MODE_CREATE_DUMB = DRM_IOCTL_MODE_CREATE_DUMB;
static const unsigned long SHIM_DRM_IOCTL_MODE_MAP_DUMB = DRM_IOCTL_MODE_MAP_DUMB;
static const unsigned long SHIM_DRM_IOCTL_MODE_DESTROY_DUMB = DRM_IOCTL_MODE_DESTROY_DUMB;
