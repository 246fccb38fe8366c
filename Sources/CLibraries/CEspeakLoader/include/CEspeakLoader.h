#ifndef SHOWTELL_CESPEAKLOADER_H
#define SHOWTELL_CESPEAKLOADER_H
// Placeholder until the narration synthesiser lands.
int espeak_loader_placeholder(void);
#endif
