/*
 * The system-call floor of a listing, for comparison with the in-process scan (ScanBench.deviceScan,
 * ScanVsFloor): the file system calls DeviceScanner.scanDevices(false) makes, in the same order and
 * under the same conditions, with no parsing beyond the few decisions the scan takes from what it
 * read, on THREADS threads. `strace -f` of both lists the same calls on the tree (bench/README.md).
 *
 *   gcc -O2 -pthread -o bench/out/floor bench/floor.c
 *   bench/out/floor TREE/bus/pci/devices [THREADS] [openat|path] [PASSES] [exact|minimal]
 *
 * Per pass: the listing of bus/pci/devices, then per function
 *   the device's directory opened;
 *   readlink driver, readlink iommu_group (by path: Java has no readlinkat);
 *   class (open, read, close);
 *   readlink physfn, unless the class is a bridge's (0604, 0607);
 *   unless it is a VF (physfn found): power/runtime_status, and unless that says suspended or
 *   suspending, one byte of config at 0x0e (open, pread, close);
 *   sriov_numvfs where the function can be a PF (no VF, header type 0 or unknown);
 *   numa_node, vendor, device, subsystem_vendor, subsystem_device, revision;
 *   boot_vga for a VGA controller (class 0300); the directory closed;
 * and once per driver seen, the drivers/X/module readlink and the module/M/initstate lookup.
 * The functions are shared out 16 at a time to whichever thread is free, as the scan does.
 *
 * exact (default): the directory handle as the JDK makes it for Sysfs.Dir (SecureDirectoryStream):
 * open, dup, fdopendir (fstat and two fcntl in glibc), closedir and close, so that `strace` of the
 * scan and of this list the same calls on the tree; minimal: open and close only, without the five
 * calls per function that only Java's API makes.
 *
 * openat (default): files opened relative to the handle on the device's directory, as Sysfs.Dir
 * does; path: every file by its full path. Prints one line per timed pass (default 5).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *ATTRS[] = {"numa_node", "vendor", "device", "subsystem_vendor", "subsystem_device", "revision"};
static char **names;
static int count, threads, relative, exact;
static const char *base; /* TREE/bus/pci/devices */
static char sysroot[4096]; /* TREE */

/* The scan's module cache: one per pass, shared by the threads (a ConcurrentHashMap in Java). */
#define MAX_DRIVERS 256
static char drivers[MAX_DRIVERS][256];
static int ndrivers;
static pthread_mutex_t drivers_lock = PTHREAD_MUTEX_INITIALIZER;

struct dev {
    int dfd;
    const char *name;
};

/* open, one read, close; returns the bytes read (-1 when the file cannot be opened) into buf. */
static int slurp(struct dev *d, const char *file, char *buf, size_t size) {
    char path[4096];
    int fd;
    if (relative) {
        fd = openat(d->dfd, file, O_RDONLY);
    } else {
        snprintf(path, sizeof path, "%s/%s/%s", base, d->name, file);
        fd = open(path, O_RDONLY);
    }
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size);
    close(fd);
    return n < 0 ? 0 : (int) n;
}

static int header_byte(struct dev *d) {
    char path[4096];
    unsigned char b;
    int fd;
    if (relative) {
        fd = openat(d->dfd, "config", O_RDONLY);
    } else {
        snprintf(path, sizeof path, "%s/%s/config", base, d->name);
        fd = open(path, O_RDONLY);
    }
    if (fd < 0) return -1;
    ssize_t n = pread(fd, &b, 1, 0x0e);
    close(fd);
    return n == 1 ? b : -1;
}

static int link_of(const char *dev, const char *link, char *buf, size_t size) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", base, dev, link);
    ssize_t n = readlink(path, buf, size - 1);
    if (n < 0) return -1;
    buf[n] = 0;
    return (int) n;
}

/* drivers/X/module and module/M/initstate, once per driver per pass (the scan's moduleOf cache). */
static void module_of(const char *target) {
    const char *drv = strrchr(target, '/');
    drv = drv ? drv + 1 : target;
    pthread_mutex_lock(&drivers_lock);
    for (int i = 0; i < ndrivers; i++) {
        if (strcmp(drivers[i], drv) == 0) {
            pthread_mutex_unlock(&drivers_lock);
            return;
        }
    }
    if (ndrivers < MAX_DRIVERS) snprintf(drivers[ndrivers++], sizeof drivers[0], "%.255s", drv);
    pthread_mutex_unlock(&drivers_lock);
    char path[8400], buf[4096];
    snprintf(path, sizeof path, "%s/bus/pci/drivers/%s/module", sysroot, drv);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = 0;
        const char *m = strrchr(buf, '/');
        struct stat st;
        snprintf(path, sizeof path, "%s/module/%s/initstate", sysroot, m ? m + 1 : buf);
        stat(path, &st);
    }
}

static void scan_one(const char *name) {
    char buf[4096], cls[64];
    struct dev d = {-1, name};
    DIR *dp = NULL;
    int dup_fd = -1;
    if (relative) {
        snprintf(buf, sizeof buf, "%s/%s", base, name);
        d.dfd = open(buf, O_RDONLY);
        if (exact && d.dfd >= 0) { /* UnixFileSystemProvider.newDirectoryStream: dup, then fdopendir */
            dup_fd = dup(d.dfd);
            dp = fdopendir(d.dfd);
        }
    }
    if (link_of(name, "driver", buf, sizeof buf) > 0) module_of(buf);
    link_of(name, "iommu_group", buf, sizeof buf);
    int n = slurp(&d, "class", cls, sizeof cls - 1);
    cls[n < 0 ? 0 : n] = 0;
    int bridge = strncmp(cls, "0x0604", 6) == 0 || strncmp(cls, "0x0607", 6) == 0;
    int vf = !bridge && link_of(name, "physfn", buf, sizeof buf) > 0;
    int header = vf ? 0 : -1;
    if (!vf) {
        n = slurp(&d, "power/runtime_status", buf, sizeof buf);
        int asleep = n >= 9 && (strncmp(buf, "suspended", 9) == 0 || strncmp(buf, "suspending", 10) == 0);
        if (!asleep) {
            int b = header_byte(&d);
            header = b < 0 ? -1 : b & 0x7f;
        } else {
            header = bridge ? 1 : -1; /* 0607 is 2; either way no sriov_numvfs */
        }
    }
    if (!vf && (header == -1 || header == 0)) slurp(&d, "sriov_numvfs", buf, sizeof buf);
    for (int k = 0; k < 6; k++) slurp(&d, ATTRS[k], buf, sizeof buf);
    if (strncmp(cls, "0x0300", 6) == 0) slurp(&d, "boot_vga", buf, sizeof buf);
    if (dp) { /* UnixDirectoryStream.close: closedir, then the dup closed */
        closedir(dp);
        close(dup_fd);
    } else if (d.dfd >= 0) {
        close(d.dfd);
    }
}

static atomic_int next;

/* 16 functions at a time to whichever thread is free, as DeviceScanner.onAllCores. */
static void *work(void *arg) {
    (void) arg;
    for (int start; (start = atomic_fetch_add(&next, 16)) < count;)
        for (int i = start; i < start + 16 && i < count; i++) scan_one(names[i]);
    return NULL;
}

/* The listing of bus/pci/devices, as the scan's File.list does each time. */
static void list_devices(void) {
    DIR *d = opendir(base);
    if (!d) { perror(base); exit(1); }
    struct dirent *e;
    static size_t cap = 0;
    for (int i = 0; i < count; i++) free(names[i]);
    count = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if ((size_t) count == cap) names = realloc(names, (cap = cap ? cap * 2 : 1024) * sizeof *names);
        names[count++] = strdup(e->d_name);
    }
    closedir(d);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s TREE/bus/pci/devices [THREADS] [openat|path] [PASSES] [exact|minimal]\n", argv[0]);
        return 2;
    }
    base = argv[1];
    threads = argc > 2 ? atoi(argv[2]) : 2;
    relative = argc > 3 ? strcmp(argv[3], "path") != 0 : 1;
    int passes = argc > 4 ? atoi(argv[4]) : 5;
    exact = argc > 5 ? strcmp(argv[5], "minimal") != 0 : 1;
    if (threads < 1 || threads > 64 || passes < 1) {
        fprintf(stderr, "%s: THREADS must be 1-64 and PASSES at least 1\n", argv[0]);
        return 2;
    }
    /* TREE is BASE without /bus/pci/devices (for drivers/X/module and module/M/initstate) */
    snprintf(sysroot, sizeof sysroot, "%s", base);
    size_t len = strlen(sysroot);
    while (len > 1 && sysroot[len - 1] == '/') sysroot[--len] = 0;
    const char *suffix = "/bus/pci/devices";
    if (len >= strlen(suffix) && strcmp(sysroot + len - strlen(suffix), suffix) == 0) {
        sysroot[len - strlen(suffix)] = 0;
    } else {
        fprintf(stderr, "%s: %s does not end in bus/pci/devices; give TREE/bus/pci/devices\n", argv[0], base);
        return 2;
    }
    for (int pass = 0; pass < passes; pass++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        ndrivers = 0;
        atomic_store(&next, 0);
        list_devices();
        pthread_t th[64];
        for (long t = 0; t < threads; t++) pthread_create(&th[t], NULL, work, (void *) t);
        for (int t = 0; t < threads; t++) pthread_join(th[t], NULL);
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%d functions, %d threads, %s, %s: %.1f ms\n", count, threads, relative ? "openat" : "path",
               exact ? "exact" : "minimal", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
        fflush(stdout);
    }
    return 0;
}
