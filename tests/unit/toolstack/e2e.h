// SPDX-License-Identifier: MIT
// Toolstack end-to-end test helpers: a private laminad --fake and lamina runs.
#ifndef LAMINA_TEST_E2E_H
#define LAMINA_TEST_E2E_H

#include <sys/types.h>

struct run {
	int status; // exit code, or 128 + signal
	char out[65536], err[8192];
};

// Fresh temp dirs; LAMINA_RUN_DIR, LAMINA_LOG_DIR and LAMINA_MEMINFO point there.
void e2e_env(void);
// Start laminad --fake on the temp run dir; returns its pid once it serves.
pid_t e2e_daemon(void);
// Stop laminad (by pid) and remove the temp dirs.
void e2e_cleanup(pid_t daemon);
// Run lamina with args (NULL-terminated) and optional stdin text.
void e2e_lamina(struct run *r, const char *in, ...) __attribute__((sentinel));
const char *e2e_dir(void); // the temp dir

#endif
