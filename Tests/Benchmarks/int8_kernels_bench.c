// Int8 convolution throughput per kernel family on the ResNeXt layer shapes (edge and paper at
// 224x224), one thread, median of repeated runs: GMAC/s and the share of the family's nominal
// peak (st_q8_family_peak_macs_per_cycle x the clock given on the command line).
// usage: int8_kernels_bench GHZ [repeats]   (Tests/Benchmarks/int8_kernels_bench.sh builds and runs it)
#include "CInt8Kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
    const double ghz = argc > 1 ? atof(argv[1]) : 2.0;
    const int repeats = argc > 2 ? atoi(argv[2]) : 15;
    // h, w, ci, co, k, stride, dilation, groups, label
    struct { int h, w, ci, co, k, s, d, g; const char *label; } layers[] = {
        {224, 224, 1, 16, 7, 2, 1, 1, "edge stem 7x7/2 1->16"},
        {56, 56, 16, 16, 3, 1, 1, 8, "edge s0 grouped 3x3 16 g8"},
        {28, 28, 64, 64, 3, 1, 1, 8, "edge s2 grouped 3x3 64 g8"},
        {14, 14, 128, 128, 3, 1, 2, 8, "edge s3 grouped 3x3 128 g8 d2"},
        {28, 28, 64, 128, 1, 1, 1, 1, "edge 1x1 64->128"},
        {56, 56, 64, 256, 1, 1, 1, 1, "paper 1x1 64->256 @56"},
        {56, 56, 128, 128, 3, 1, 1, 32, "paper grouped 3x3 128 g32 @56"},
        {14, 14, 512, 512, 3, 1, 1, 32, "paper grouped 3x3 512 g32 @14"},
        {14, 14, 1024, 2048, 1, 1, 1, 1, "paper 1x1 1024->2048 @14"},
        {14, 14, 1024, 1024, 3, 1, 2, 32, "paper grouped 3x3 1024 g32 d2 @14"},
    };
    printf("%-36s %-10s %9s %9s %7s\n", "layer", "family", "ms", "GMAC/s", "peak%");
    for (size_t li = 0; li < sizeof layers / sizeof layers[0]; li++) {
        st_q8_conv_geometry g = {layers[li].h, layers[li].w, layers[li].ci, layers[li].co, layers[li].k, layers[li].s,
                                 layers[li].d * (layers[li].k - 1) / 2, layers[li].d, layers[li].g, -3, 5, 5, 127};
        const int ho = st_q8_conv_out_height(&g), wo = st_q8_conv_out_width(&g);
        const size_t kg = (size_t)g.kernel * g.kernel * (g.in_channels / g.groups);
        const double macs = (double)ho * wo * g.out_channels * kg;
        int8_t *w = malloc(g.out_channels * kg), *x = malloc((size_t)g.height * g.width * g.in_channels), *y = malloc((size_t)ho * wo * g.out_channels);
        int32_t *bias = calloc(g.out_channels, 4);
        float *m = malloc(4 * g.out_channels);
        for (size_t i = 0; i < g.out_channels * kg; i++) w[i] = (int8_t)(rand() % 255 - 127);
        for (size_t i = 0; i < (size_t)g.height * g.width * g.in_channels; i++) x[i] = (int8_t)(rand() % 256 - 128);
        for (int c = 0; c < g.out_channels; c++) m[c] = 1e-4f;
        for (int f = 0; f < ST_Q8_FAMILY_COUNT; f++) {
            if (!st_q8_family_supported((st_q8_family)f)) continue;
            void *packed = malloc(st_q8_conv_packed_size(&g, (st_q8_family)f));
            void *scratch = malloc(st_q8_conv_scratch_size(&g, (st_q8_family)f));
            st_q8_conv_pack(&g, (st_q8_family)f, w, bias, m, packed);
            double t[64];
            const int n = repeats < 64 ? repeats : 64;
            for (int r = 0; r < n; r++) {
                const double t0 = now();
                st_q8_conv_run(&g, packed, x, y, 0, ho * wo, scratch);
                t[r] = now() - t0;
            }
            qsort(t, n, sizeof t[0], cmp);
            const double med = t[n / 2];
            printf("%-36s %-10s %9.3f %9.2f %6.1f%%\n", layers[li].label, st_q8_family_name((st_q8_family)f), med * 1e3,
                   macs / med * 1e-9, 100 * macs / med / (st_q8_family_peak_macs_per_cycle((st_q8_family)f) * ghz * 1e9));
            free(packed), free(scratch);
        }
        free(w), free(x), free(y), free(bias), free(m);
    }
    return 0;
}
