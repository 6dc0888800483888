/* SPDX-License-Identifier: MIT */
/* lat.h: what lat.c's parts share: the LZ77 CPU job and the PID-1 mode. */
#ifndef LAT_H
#define LAT_H

/* Compress 1 MiB of fixed, generated text once; returns the compressed
 * size in bytes (the same on every machine), or -1. */
long lz_compress_fixed(void);

/* As PID 1: set up the console, print "@BOOT-INIT", call run(scale,
 * exits) with the values from the kernel command line ("lat.scale=S",
 * "lat.exits"), print "@LAT-DONE" and power off. Does not return. */
int lat_init(void (*run)(double scale, int exits));

#endif
