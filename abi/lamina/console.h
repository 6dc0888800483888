/* SPDX-License-Identifier: MIT */
/* Lamina ABI: the console_io hypercall, a simple byte console for early boot and tests. */
#ifndef LAMINA_CONSOLE_H
#define LAMINA_CONSOLE_H

#include "types.h"

/**
 * ## Hypercall `console_io` (2)
 *
 * `long console_io(cmd, count, buf)`
 *
 * A polled byte console with no set-up, for early boot messages and test
 * output. The hypervisor keeps one per domain; it prefixes output lines with
 * the domain id in its log. Bulk console traffic should use the PV console
 * ring (io/console.h) instead.
 *
 * - `LAMINA_CONSOLE_WRITE`: IN `buf` (pointer), `count` bytes. Writes the
 *   bytes in order. Returns the number of bytes written, which is `count`
 *   unless `count` > `LAMINA_CONSOLE_IO_MAX`, in which case exactly
 *   `LAMINA_CONSOLE_IO_MAX` bytes are written; loop for more.
 *   Errors: `-LAMINA_EFAULT` (nothing written).
 * - `LAMINA_CONSOLE_READ`: OUT up to `count` bytes into `buf`. Never
 *   blocks: returns the number of bytes read, 0 if no input is waiting.
 *   Errors: `-LAMINA_EFAULT` (no input consumed).
 */
#define LAMINA_CONSOLE_WRITE 0
#define LAMINA_CONSOLE_READ  1

/** Largest count one console_io call transfers. */
#define LAMINA_CONSOLE_IO_MAX 4096u

#endif /* LAMINA_CONSOLE_H */
