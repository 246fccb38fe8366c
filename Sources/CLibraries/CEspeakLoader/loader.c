#include "CEspeakLoader.h"
int espeak_loader_placeholder(void) { return 0; }
