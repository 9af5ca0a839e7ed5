// fault_shim: an LD_PRELOAD library that makes file system calls fail, for
// the fault-injection tests (tests/integration/fault_injection_test.cpp).
//
// Why not libfiu's fiu-run: the tests need per-path control (only files
// under one data directory, or only its tmp/ folder) and to change the
// faults while the server runs (start a "full disk", then give the space
// back) without a restart. libfiu's POSIX preload fails calls regardless of
// the path.
//
// Control: KHO_FAULTS_CONF names a file of key=value lines, re-read when its
// modification time changes (checked at most every 20 ms):
//
//   paths=/d/data/tmp/,/d/data/blobs/   path prefixes a call must touch
//   ops=write,fsync,rename,open          which calls fail (see below)
//   errno=EIO | ENOSPC | mixed           mixed: EIO or ENOSPC at random
//   probability=0.05                     chance that a matching call fails
//   count=1                              at most this many failures, then
//                                        none (-1 or absent: no limit)
//   free=0                               statvfs/fstatvfs of those paths
//                                        report no free space (a full disk
//                                        as kho and RocksDB look at it)
//
// A missing or empty file, or no `paths`, injects nothing. The calls:
//   write   write, pwrite, pwrite64, writev, pwritev, fallocate
//   fsync   fsync, fdatasync
//   rename  rename, renameat, renameat2 (either path matching)
//   open    open, open64, openat, openat64, creat, when opened for writing
//           (O_WRONLY, O_RDWR or O_CREAT): reads keep working, as on a
//           full or failing disk whose existing files are still readable.
// The path of a descriptor is read from /proc/self/fd only while faults
// are configured, so the library costs one flag check per call otherwise.
// Every injected failure is reported on stderr as one line
// "kho-fault: <call> <path> -> <errno name>".
//
// Sanitizer builds: the ASan runtime must come first in LD_PRELOAD
// ("libasan.so.8:fault_shim.so"); its interceptors then find these
// functions with dlsym(RTLD_NEXT), which find libc's the same way.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { op_write = 1, op_fsync = 2, op_rename = 4, op_open = 8 };
enum { max_paths = 8, max_path_len = 512 };

struct fault_config {
    char paths[max_paths][max_path_len];
    int path_count;
    int ops;
    int err;  // 0: mixed
    double probability;
    long count;       // -1: unlimited
    int no_free;      // statvfs reports a full file system
};

static pthread_mutex_t config_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct fault_config config;
static atomic_int active;          // any faults configured
static atomic_long remaining = -1;  // failures left (-1: unlimited)
static struct timespec config_mtime;
static atomic_llong next_check_ns;
static __thread int in_shim;  // our own calls (reading the file) pass through

#define REAL(name) real_##name
#define DECLARE_REAL(ret, name, ...)          \
    typedef ret (*name##_fn)(__VA_ARGS__);    \
    static name##_fn real_##name;
DECLARE_REAL(ssize_t, write, int, const void*, size_t)
DECLARE_REAL(ssize_t, pwrite, int, const void*, size_t, off_t)
DECLARE_REAL(ssize_t, pwrite64, int, const void*, size_t, off_t)
DECLARE_REAL(ssize_t, writev, int, const struct iovec*, int)
DECLARE_REAL(ssize_t, pwritev, int, const struct iovec*, int, off_t)
DECLARE_REAL(int, fallocate, int, int, off_t, off_t)
DECLARE_REAL(int, fsync, int)
DECLARE_REAL(int, fdatasync, int)
DECLARE_REAL(int, rename, const char*, const char*)
DECLARE_REAL(int, renameat, int, const char*, int, const char*)
DECLARE_REAL(int, renameat2, int, const char*, int, const char*, unsigned)
DECLARE_REAL(int, open, const char*, int, ...)
DECLARE_REAL(int, open64, const char*, int, ...)
DECLARE_REAL(int, openat, int, const char*, int, ...)
DECLARE_REAL(int, openat64, int, const char*, int, ...)
DECLARE_REAL(int, creat, const char*, mode_t)
DECLARE_REAL(int, statvfs, const char*, struct statvfs*)
DECLARE_REAL(int, statvfs64, const char*, struct statvfs64*)
DECLARE_REAL(int, fstatvfs, int, struct statvfs*)
DECLARE_REAL(int, fstatvfs64, int, struct statvfs64*)

#define RESOLVE(name)                                               \
    do {                                                            \
        if (!real_##name) real_##name = (name##_fn)dlsym(RTLD_NEXT, #name); \
    } while (0)

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void parse_line(struct fault_config* c, char* line) {
    char* eq = strchr(line, '=');
    if (!eq) return;
    *eq = '\0';
    const char* key = line;
    char* value = eq + 1;
    if (strcmp(key, "paths") == 0) {
        for (char* save = NULL, *p = strtok_r(value, ",", &save); p && c->path_count < max_paths;
             p = strtok_r(NULL, ",", &save)) {
            if (*p == '\0' || strlen(p) >= max_path_len) continue;
            strcpy(c->paths[c->path_count++], p);
        }
    } else if (strcmp(key, "ops") == 0) {
        for (char* save = NULL, *p = strtok_r(value, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
            if (strcmp(p, "write") == 0) c->ops |= op_write;
            if (strcmp(p, "fsync") == 0) c->ops |= op_fsync;
            if (strcmp(p, "rename") == 0) c->ops |= op_rename;
            if (strcmp(p, "open") == 0) c->ops |= op_open;
        }
    } else if (strcmp(key, "errno") == 0) {
        c->err = strcmp(value, "EIO") == 0 ? EIO : strcmp(value, "ENOSPC") == 0 ? ENOSPC : 0;
    } else if (strcmp(key, "probability") == 0) {
        c->probability = strtod(value, NULL);
    } else if (strcmp(key, "count") == 0) {
        c->count = strtol(value, NULL, 10);
    } else if (strcmp(key, "free") == 0) {
        c->no_free = strtol(value, NULL, 10) == 0;
    }
}

// Re-reads the control file when it changed. Raw system calls: nothing
// here may come back into the wrappers below.
static void refresh(void) {
    long long now = now_ns();
    if (now < atomic_load(&next_check_ns)) return;
    atomic_store(&next_check_ns, now + 20 * 1000000LL);
    const char* file = getenv("KHO_FAULTS_CONF");
    if (!file) return;
    struct stat st;
    int have = syscall(SYS_stat, file, &st) == 0;
    pthread_mutex_lock(&config_mutex);
    if (!have) {
        if (config_mtime.tv_sec != 0 || config_mtime.tv_nsec != 0) {
            memset(&config, 0, sizeof config);
            memset(&config_mtime, 0, sizeof config_mtime);
            atomic_store(&active, 0);
        }
        pthread_mutex_unlock(&config_mutex);
        return;
    }
    if (st.st_mtim.tv_sec == config_mtime.tv_sec && st.st_mtim.tv_nsec == config_mtime.tv_nsec) {
        pthread_mutex_unlock(&config_mutex);
        return;
    }
    config_mtime = st.st_mtim;
    struct fault_config c;
    memset(&c, 0, sizeof c);
    c.count = -1;
    char buf[8192];
    ssize_t n = 0;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = syscall(SYS_read, fd, buf, sizeof buf - 1);
        syscall(SYS_close, fd);
    }
    if (n < 0) n = 0;
    buf[n] = '\0';
    for (char* save = NULL, *line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        parse_line(&c, line);
    config = c;
    atomic_store(&remaining, c.count);
    atomic_store(&active, c.path_count > 0 && ((c.ops != 0 && c.probability > 0) || c.no_free));
    pthread_mutex_unlock(&config_mutex);
}

static double random_unit(void) {
    static __thread uint64_t state;
    if (state == 0) state = (uint64_t)now_ns() ^ ((uint64_t)pthread_self() << 1) ^ 0x9e3779b97f4a7c15ULL;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0;
}

static int matches(const char* path) {
    for (int i = 0; i < config.path_count; ++i)
        if (strncmp(path, config.paths[i], strlen(config.paths[i])) == 0) return 1;
    return 0;
}

static const char* errno_name(int e) {
    return e == EIO ? "EIO" : e == ENOSPC ? "ENOSPC" : "?";
}

static void report(const char* call, const char* path, int e) {
    char line[max_path_len + 64];
    int n = snprintf(line, sizeof line, "kho-fault: %s %s -> %s\n", call, path, errno_name(e));
    if (n > 0) syscall(SYS_write, 2, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
}

// Decides whether this call fails; returns the errno to fail with, or 0.
static int should_fail(int op, const char* call, const char* path, const char* path2) {
    if (in_shim) return 0;
    in_shim = 1;
    refresh();
    int e = 0;
    if (atomic_load(&active)) {
        pthread_mutex_lock(&config_mutex);
        int hit = (config.ops & op) && ((path && matches(path)) || (path2 && matches(path2)));
        double p = config.probability;
        int err = config.err;
        pthread_mutex_unlock(&config_mutex);
        if (hit && random_unit() < p) {
            long left = atomic_load(&remaining);
            while (left != 0) {
                if (left < 0 || atomic_compare_exchange_weak(&remaining, &left, left - 1)) {
                    e = err ? err : (random_unit() < 0.5 ? EIO : ENOSPC);
                    break;
                }
            }
        }
        if (e) report(call, path ? path : path2, e);
    }
    in_shim = 0;
    return e;
}

static int fd_fails(int op, const char* call, int fd) {
    if (in_shim) return 0;
    in_shim = 1;
    refresh();
    int on = atomic_load(&active);
    in_shim = 0;
    if (!on) return 0;
    char link[64], path[max_path_len];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = syscall(SYS_readlinkat, AT_FDCWD, link, path, sizeof path - 1);
    if (n <= 0) return 0;
    path[n] = '\0';
    return should_fail(op, call, path, NULL);
}

// An absolute form of `path` relative to `dirfd`, in `out`.
static const char* absolute(int dirfd, const char* path, char* out, size_t cap) {
    if (!path || path[0] == '/') return path;
    char dir[max_path_len];
    if (dirfd == AT_FDCWD) {
        if (syscall(SYS_getcwd, dir, sizeof dir) <= 0) return path;
    } else {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        ssize_t n = syscall(SYS_readlinkat, AT_FDCWD, link, dir, sizeof dir - 1);
        if (n <= 0) return path;
        dir[n] = '\0';
    }
    snprintf(out, cap, "%s/%s", dir, path);
    return out;
}

static int path_fails(int op, const char* call, int dirfd, const char* path, int dirfd2,
                      const char* path2) {
    if (in_shim) return 0;
    in_shim = 1;
    refresh();
    int on = atomic_load(&active);
    in_shim = 0;
    if (!on) return 0;
    char a[max_path_len], b[max_path_len];
    return should_fail(op, call, absolute(dirfd, path, a, sizeof a),
                       path2 ? absolute(dirfd2, path2, b, sizeof b) : NULL);
}

#define FAIL_WITH(e, value) \
    do {                    \
        errno = (e);        \
        return (value);     \
    } while (0)

ssize_t write(int fd, const void* buf, size_t n) {
    RESOLVE(write);
    int e = fd > 2 ? fd_fails(op_write, "write", fd) : 0;
    if (e) FAIL_WITH(e, -1);
    return REAL(write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
    RESOLVE(pwrite);
    int e = fd_fails(op_write, "pwrite", fd);
    if (e) FAIL_WITH(e, -1);
    return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
    RESOLVE(pwrite64);
    int e = fd_fails(op_write, "pwrite64", fd);
    if (e) FAIL_WITH(e, -1);
    return REAL(pwrite64)(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec* iov, int cnt) {
    RESOLVE(writev);
    int e = fd > 2 ? fd_fails(op_write, "writev", fd) : 0;
    if (e) FAIL_WITH(e, -1);
    return REAL(writev)(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
    RESOLVE(pwritev);
    int e = fd_fails(op_write, "pwritev", fd);
    if (e) FAIL_WITH(e, -1);
    return REAL(pwritev)(fd, iov, cnt, off);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
    RESOLVE(fallocate);
    int e = fd_fails(op_write, "fallocate", fd);
    if (e) FAIL_WITH(e, -1);
    return REAL(fallocate)(fd, mode, off, len);
}

int fsync(int fd) {
    RESOLVE(fsync);
    int e = fd_fails(op_fsync, "fsync", fd);
    if (e) FAIL_WITH(e, -1);
    return REAL(fsync)(fd);
}

int fdatasync(int fd) {
    RESOLVE(fdatasync);
    int e = fd_fails(op_fsync, "fdatasync", fd);
    if (e) FAIL_WITH(e, -1);
    return REAL(fdatasync)(fd);
}

int rename(const char* from, const char* to) {
    RESOLVE(rename);
    int e = path_fails(op_rename, "rename", AT_FDCWD, from, AT_FDCWD, to);
    if (e) FAIL_WITH(e, -1);
    return REAL(rename)(from, to);
}

int renameat(int fromfd, const char* from, int tofd, const char* to) {
    RESOLVE(renameat);
    int e = path_fails(op_rename, "renameat", fromfd, from, tofd, to);
    if (e) FAIL_WITH(e, -1);
    return REAL(renameat)(fromfd, from, tofd, to);
}

int renameat2(int fromfd, const char* from, int tofd, const char* to, unsigned flags) {
    RESOLVE(renameat2);
    int e = path_fails(op_rename, "renameat2", fromfd, from, tofd, to);
    if (e) FAIL_WITH(e, -1);
    return REAL(renameat2)(fromfd, from, tofd, to, flags);
}

static int for_writing(int flags) {
    return (flags & (O_WRONLY | O_RDWR | O_CREAT)) != 0;
}

// The mode argument exists only with O_CREAT or O_TMPFILE.
static mode_t mode_of(int flags, va_list ap) {
    return (flags & (O_CREAT | __O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char* path, int flags, ...) {
    RESOLVE(open);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    int e = for_writing(flags) ? path_fails(op_open, "open", AT_FDCWD, path, AT_FDCWD, NULL) : 0;
    if (e) FAIL_WITH(e, -1);
    return REAL(open)(path, flags, mode);
}

int open64(const char* path, int flags, ...) {
    RESOLVE(open64);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    int e = for_writing(flags) ? path_fails(op_open, "open64", AT_FDCWD, path, AT_FDCWD, NULL) : 0;
    if (e) FAIL_WITH(e, -1);
    return REAL(open64)(path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
    RESOLVE(openat);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    int e = for_writing(flags) ? path_fails(op_open, "openat", dirfd, path, AT_FDCWD, NULL) : 0;
    if (e) FAIL_WITH(e, -1);
    return REAL(openat)(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char* path, int flags, ...) {
    RESOLVE(openat64);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    int e = for_writing(flags) ? path_fails(op_open, "openat64", dirfd, path, AT_FDCWD, NULL) : 0;
    if (e) FAIL_WITH(e, -1);
    return REAL(openat64)(dirfd, path, flags, mode);
}

int creat(const char* path, mode_t mode) {
    RESOLVE(creat);
    int e = path_fails(op_open, "creat", AT_FDCWD, path, AT_FDCWD, NULL);
    if (e) FAIL_WITH(e, -1);
    return REAL(creat)(path, mode);
}

// Whether `path` (or the descriptor's path) lies on the "full" file system.
static int reports_full(const char* path, int fd) {
    if (in_shim) return 0;
    in_shim = 1;
    refresh();
    int full = 0;
    if (atomic_load(&active)) {
        char buf[max_path_len];
        if (!path) {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            ssize_t n = syscall(SYS_readlinkat, AT_FDCWD, link, buf, sizeof buf - 1);
            if (n > 0) {
                buf[n] = '\0';
                path = buf;
            }
        }
        pthread_mutex_lock(&config_mutex);
        // A directory itself ("/d/data/db") is on the file system of the
        // prefix "/d/data/" too.
        if (config.no_free && path) {
            size_t len = strlen(path);
            for (int i = 0; i < config.path_count && !full; ++i) {
                size_t plen = strlen(config.paths[i]);
                full = strncmp(path, config.paths[i], plen) == 0 ||
                       (len + 1 == plen && strncmp(path, config.paths[i], len) == 0);
            }
        }
        pthread_mutex_unlock(&config_mutex);
    }
    in_shim = 0;
    return full;
}

#define NO_FREE_SPACE(buf)                 \
    do {                                   \
        (buf)->f_bfree = (buf)->f_bavail = 0; \
        (buf)->f_ffree = (buf)->f_favail = 0; \
    } while (0)

int statvfs(const char* path, struct statvfs* buf) {
    RESOLVE(statvfs);
    int r = REAL(statvfs)(path, buf);
    if (r == 0 && reports_full(path, -1)) NO_FREE_SPACE(buf);
    return r;
}

int statvfs64(const char* path, struct statvfs64* buf) {
    RESOLVE(statvfs64);
    int r = REAL(statvfs64)(path, buf);
    if (r == 0 && reports_full(path, -1)) NO_FREE_SPACE(buf);
    return r;
}

int fstatvfs(int fd, struct statvfs* buf) {
    RESOLVE(fstatvfs);
    int r = REAL(fstatvfs)(fd, buf);
    if (r == 0 && reports_full(NULL, fd)) NO_FREE_SPACE(buf);
    return r;
}

int fstatvfs64(int fd, struct statvfs64* buf) {
    RESOLVE(fstatvfs64);
    int r = REAL(fstatvfs64)(fd, buf);
    if (r == 0 && reports_full(NULL, fd)) NO_FREE_SPACE(buf);
    return r;
}
