// The one place that maps CPU features to kernel families.
#include "internal.h"
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

// peak: multiply-accumulates per cycle per core from the hot instruction's width and the
// number of ports that issue it (Skylake-SP/Ice Lake/Zen 4: two 512-bit integer-multiply
// ports on server parts; Cortex-A76-class: two 128-bit NEON pipes). Nominal, for "share of peak".
static const st_family_desc families[ST_Q8_FAMILY_COUNT] = {
    {ST_Q8_GENERIC, "generic", "none", ST_ELEM_S8, 8, 4, 8, 2, st_gemm_generic, st_add_scalar, st_gated_add_scalar, st_quantize_scalar},
#if defined(__x86_64__)
    {ST_Q8_AVX2, "avx2", "avx2", ST_ELEM_I16, 8, 4, 4, 32, st_gemm_avx2, st_add_avx2, st_gated_add_avx2, st_quantize_avx2},
    {ST_Q8_AVX512BW, "avx512bw", "avx512f+avx512bw+avx512vl", ST_ELEM_I16, 16, 8, 8, 64, st_gemm_avx512bw, st_add_avx512bw, st_gated_add_avx512bw, st_quantize_avx512bw},
    {ST_Q8_AVXVNNI, "avxvnni", "avxvnni (vpdpbusd, VEX)", ST_ELEM_U8, 8, 6, 8, 64, st_gemm_avxvnni, st_add_avx2, st_gated_add_avx2, st_quantize_avx2},
    {ST_Q8_AVX512VNNI, "avx512vnni", "avx512f+avx512bw+avx512vnni (vpdpbusd)", ST_ELEM_U8, 16, 8, 16, 128, st_gemm_avx512vnni, st_add_avx512bw, st_gated_add_avx512bw, st_quantize_avx512bw},
#else
    {ST_Q8_AVX2, "avx2", "x86-64 avx2", ST_ELEM_I16, 8, 4, 4, 32, NULL, NULL, NULL, NULL},
    {ST_Q8_AVX512BW, "avx512bw", "x86-64 avx512bw", ST_ELEM_I16, 16, 8, 8, 64, NULL, NULL, NULL, NULL},
    {ST_Q8_AVXVNNI, "avxvnni", "x86-64 avxvnni", ST_ELEM_U8, 8, 6, 8, 64, NULL, NULL, NULL, NULL},
    {ST_Q8_AVX512VNNI, "avx512vnni", "x86-64 avx512vnni", ST_ELEM_U8, 16, 8, 16, 128, NULL, NULL, NULL, NULL},
#endif
#if defined(__aarch64__)
    {ST_Q8_NEON, "neon", "aarch64 asimd", ST_ELEM_I16, 8, 4, 8, 8, st_gemm_neon, st_add_neon, st_gated_add_neon, st_quantize_neon},
    {ST_Q8_NEONDOT, "neondot", "aarch64 asimddp (sdot)", ST_ELEM_S8, 8, 4, 4, 32, st_gemm_neondot, st_add_neon, st_gated_add_neon, st_quantize_neon},
#else
    {ST_Q8_NEON, "neon", "aarch64 asimd", ST_ELEM_I16, 8, 4, 8, 8, NULL, NULL, NULL, NULL},
    {ST_Q8_NEONDOT, "neondot", "aarch64 asimddp (sdot)", ST_ELEM_S8, 8, 4, 4, 32, NULL, NULL, NULL, NULL},
#endif
};

const st_family_desc *st_family(st_q8_family family) {
    if ((unsigned)family >= ST_Q8_FAMILY_COUNT || !st_q8_family_supported(family)) return &families[ST_Q8_GENERIC];
    return &families[family];
}

int st_q8_family_supported(st_q8_family family) {
    switch (family) {
    case ST_Q8_GENERIC: return 1;
#if defined(__x86_64__)
    case ST_Q8_AVX2: return __builtin_cpu_supports("avx2");
    case ST_Q8_AVX512BW:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    case ST_Q8_AVXVNNI: return __builtin_cpu_supports("avxvnni") && __builtin_cpu_supports("avx2");
    case ST_Q8_AVX512VNNI:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
#endif
#if defined(__aarch64__)
    case ST_Q8_NEON: return 1;
    case ST_Q8_NEONDOT:
#if defined(__linux__)
        return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
        return 0;
#endif
#endif
    default: return 0;
    }
}

st_q8_family st_q8_best_family(void) {
    static const st_q8_family order[] = {ST_Q8_AVX512VNNI, ST_Q8_AVXVNNI, ST_Q8_AVX512BW, ST_Q8_AVX2, ST_Q8_NEONDOT, ST_Q8_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (st_q8_family_supported(order[i])) return order[i];
    return ST_Q8_GENERIC;
}

const char *st_q8_family_name(st_q8_family family) {
    return (unsigned)family < ST_Q8_FAMILY_COUNT ? families[family].name : "unknown";
}

const char *st_q8_family_requirement(st_q8_family family) {
    return (unsigned)family < ST_Q8_FAMILY_COUNT ? families[family].requirement : "unknown";
}

double st_q8_family_peak_macs_per_cycle(st_q8_family family) {
    return (unsigned)family < ST_Q8_FAMILY_COUNT ? families[family].peak_macs_per_cycle : 0;
}
