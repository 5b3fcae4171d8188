/*
 * The system-call floor of a listing, for comparison with ScanBench.deviceScan: per PCI function
 * the same reads pcipass makes -- 8 attribute files (open, read, close) and the driver, iommu_group
 * and physfn readlinks -- with no parsing at all, on THREADS threads.
 *
 *   gcc -O2 -pthread -o bench/out/floor bench/floor.c
 *   bench/out/floor TREE/bus/pci/devices [THREADS] [openat|path]
 *
 * openat (default): files opened relative to an open handle on the device's directory, as
 * Sysfs.Dir does; path: every file and link by its full path. Prints 5 timed passes in ms.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *FILES[] = {"config", "class", "numa_node", "vendor", "device",
                              "subsystem_vendor", "subsystem_device", "revision"};
static const char *LINKS[] = {"driver", "iommu_group", "physfn"};
static char **names;
static int count, threads, relative;
static const char *base;

static void *work(void *arg) {
    long t = (long) arg;
    char buf[4096], path[4096];
    for (int i = (int) t; i < count; i += threads) {
        int dfd = -1;
        if (relative) {
            snprintf(path, sizeof path, "%s/%s", base, names[i]);
            dfd = open(path, O_RDONLY | O_DIRECTORY);
        }
        for (int k = 0; k < 8; k++) {
            int fd;
            if (relative) {
                fd = openat(dfd, FILES[k], O_RDONLY);
            } else {
                snprintf(path, sizeof path, "%s/%s/%s", base, names[i], FILES[k]);
                fd = open(path, O_RDONLY);
            }
            if (fd >= 0) {
                if (read(fd, buf, sizeof buf) < 0) perror("read");
                close(fd);
            }
        }
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s/%s", base, names[i], LINKS[k]);
            readlink(path, buf, sizeof buf); /* Java has no readlinkat: pcipass reads links by path */
        }
        if (dfd >= 0) close(dfd);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s TREE/bus/pci/devices [THREADS] [openat|path]\n", argv[0]);
        return 2;
    }
    base = argv[1];
    threads = argc > 2 ? atoi(argv[2]) : 2;
    relative = argc > 3 ? strcmp(argv[3], "path") != 0 : 1;
    DIR *d = opendir(base);
    if (!d) { perror(base); return 1; }
    struct dirent *e;
    size_t cap = 1024;
    names = malloc(cap * sizeof *names);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if ((size_t) count == cap) names = realloc(names, (cap *= 2) * sizeof *names);
        names[count++] = strdup(e->d_name);
    }
    closedir(d);
    for (int pass = 0; pass < 5; pass++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        pthread_t th[64];
        for (long t = 0; t < threads && t < 64; t++) pthread_create(&th[t], NULL, work, (void *) t);
        for (int t = 0; t < threads && t < 64; t++) pthread_join(th[t], NULL);
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%d functions, %d threads, %s: %.1f ms\n", count, threads, relative ? "openat" : "path",
               (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
    }
    return 0;
}
