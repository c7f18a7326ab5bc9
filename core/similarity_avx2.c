/*
 * similarity_avx2.c: the AVX2+FMA backend of core/similarity.c. The Makefile
 * compiles this file alone with -mavx2 -mfma -mf16c (never -march=native); the kernels
 * are core/similarity_kern.h, the same source as the SSE2 backend. similarity.c
 * calls them only when __builtin_cpu_supports reports avx2 and fma (F16C comes
 * with every AVX2 CPU).
 */
#define VL_SIM_KERN_NAME vl_sim_kern_avx2
#include "similarity_kern.h"
