/**
 * @module uapi/sk-meminfo
 * INET_DIAG_SKMEMINFO: an array of u32 indexed by SK_MEMINFO_* (include/uapi/linux/sock_diag.h),
 * named as ss's skmem:() prints them (rb = rcvbuf, tb = sndbuf). Present = what the kernel sent.
 */
export const SK_MEMINFO_NAMES = ["rmem_alloc", "rcvbuf", "wmem_alloc", "sndbuf", "fwd_alloc", "wmem_queued", "optmem", "backlog", "drops"] as const;
