// Header-only shims; this file gives SwiftPM a C source to build.
#include "CSystemShims.h"
