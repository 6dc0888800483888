/* SPDX-License-Identifier: MIT */
/* Lamina ABI: error numbers returned by hypercalls and ring/store protocols. */
#ifndef LAMINA_ERRNO_H
#define LAMINA_ERRNO_H

/**
 * A hypercall returns a value >= 0 on success and a *negated* error number
 * on failure, for example `-LAMINA_EINVAL`. The numbers are Linux's x86
 * errno values, so a Linux guest may pass them on unchanged. The constants
 * are positive, like Linux's `EINVAL`; write `rc == -LAMINA_EFAULT`.
 *
 * Errors every hypercall may return, not repeated per call:
 * - `-LAMINA_ENOSYS`: the hypercall number or sub-operation does not exist;
 * - `-LAMINA_EFAULT`: a pointer argument (or part of the memory it spans)
 *   is not mapped in the caller's current page tables, not writable when
 *   the call writes to it, or not backed by the domain's RAM;
 * - `-LAMINA_EINVAL`: a padding field is non-zero, or an argument is out of
 *   its documented range;
 * - `-LAMINA_EPERM`: the caller is not allowed to act on the named domain.
 */
#define LAMINA_EPERM         1  /* operation not permitted */
#define LAMINA_ENOENT        2  /* no such entry (store node, vCPU, grant) */
#define LAMINA_ESRCH         3  /* no such domain */
#define LAMINA_EINTR         4  /* interrupted; retry */
#define LAMINA_EIO           5  /* I/O error; corrupt ring indices */
#define LAMINA_ENXIO         6  /* no such device */
#define LAMINA_E2BIG         7  /* batch or message too large */
#define LAMINA_EBADF         9  /* bad event channel port */
#define LAMINA_EAGAIN       11  /* try again (transaction conflict) */
#define LAMINA_ENOMEM       12  /* out of memory or reservation */
#define LAMINA_EACCES       13  /* permission denied (store node) */
#define LAMINA_EFAULT       14  /* bad guest address */
#define LAMINA_EBUSY        16  /* resource in use */
#define LAMINA_EEXIST       17  /* already exists */
#define LAMINA_EXDEV        18  /* cross-domain operation not allowed */
#define LAMINA_ENODEV       19  /* no such device */
#define LAMINA_EISDIR       21  /* node has children */
#define LAMINA_EINVAL       22  /* invalid argument */
#define LAMINA_ENOSPC       28  /* table or quota full */
#define LAMINA_EROFS        30  /* read-only (grant mapped read-only) */
#define LAMINA_ERANGE       34  /* value out of range */
#define LAMINA_ENAMETOOLONG 36  /* store path too long */
#define LAMINA_ENOSYS       38  /* no such hypercall or operation */
#define LAMINA_ENOTEMPTY    39  /* directory not empty */
#define LAMINA_ENODATA      61  /* no data available */
#define LAMINA_ETIME        62  /* timer deadline already passed */
#define LAMINA_EOVERFLOW    75  /* value too large for field */
#define LAMINA_EOPNOTSUPP   95  /* operation not supported */
#define LAMINA_EISCONN     106  /* already connected / bound */
#define LAMINA_ENOTCONN    107  /* not connected / not bound */
#define LAMINA_ETIMEDOUT   110  /* timeout expired */
#define LAMINA_EALREADY    114  /* already in that state */
#define LAMINA_EDQUOT      122  /* per-domain quota exceeded */

#endif /* LAMINA_ERRNO_H */
