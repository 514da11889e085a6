/* Preloaded into a scenario's runs (build: {preload: ...}): the machine reports FTSAN_NCPU CPUs
 * (default 32) to whoever asks, so libraries that size thread pools by the CPU count, such as
 * OpenBLAS, behave as on a big machine. The threads still share the real cores. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long
ncpu(void)
{
    const char *s = getenv("FTSAN_NCPU");
    long n = s ? strtol(s, NULL, 10) : 32;

    return n > 0 && n <= CPU_SETSIZE ? n : 32;
}

long
sysconf(int name)
{
    static long (*real)(int);

    if (name == _SC_NPROCESSORS_CONF || name == _SC_NPROCESSORS_ONLN)
        return ncpu();
    if (real == NULL)
        real = (long (*)(int))dlsym(RTLD_NEXT, "sysconf");
    return real(name);
}

int
sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set)
{
    long n = ncpu();

    (void)pid;
    memset(set, 0, size);
    for (long i = 0; i < n && (size_t)i < size * 8; i++)
        CPU_SET_S(i, size, set);
    return 0;
}

int
get_nprocs(void)
{
    return (int)ncpu();
}

int
get_nprocs_conf(void)
{
    return (int)ncpu();
}
