/* Version comparison and ranges. */
#include "ver.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

int
ver_cmp(const char *a, const char *b)
{
    while (*a || *b) {
        char *ea, *eb;
        long na = strtol(a, &ea, 10), nb = strtol(b, &eb, 10);

        if (na != nb)
            return na < nb ? -1 : 1;
        a = ea;
        b = eb;
        /* "2.2.0rc1" < "2.2.0": a suffix before the next dot marks a pre-release. */
        if (isalpha((unsigned char)*a) || isalpha((unsigned char)*b)) {
            int sa = isalpha((unsigned char)*a), sb = isalpha((unsigned char)*b);
            int c;

            if (sa != sb)
                return sa ? -1 : 1;
            c = strncmp(a, b, strcspn(a, ".") > strcspn(b, ".") ? strcspn(a, ".") : strcspn(b, "."));
            if (c)
                return c < 0 ? -1 : 1;
            a += strcspn(a, ".");
            b += strcspn(b, ".");
        }
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
    }
    return 0;
}

/* A release version as ranges write it: numbers joined by dots, an optional pre-release
 * suffix ("2.2.0rc1", "3.14.0b2"). */
static int
ver__valid(const char *v)
{
    const char *p = v;

    for (;;) {
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p != '.')
            break;
        p++;
    }
    while (isalpha((unsigned char)*p))
        p++;
    while (isdigit((unsigned char)*p))
        p++;
    return *p == '\0';
}

static int
ver__clause(const char *c, size_t n, const char *version)
{
    static const char *const ops[] = {"<=", ">=", "==", "!=", "<", ">"};
    char v[64];
    size_t k = 0;
    int cmp, op = 2; /* a bare version means == */

    while (n && *c == ' ')
        c++, n--;
    while (n && c[n - 1] == ' ')
        n--;
    if (n == 1 && *c == '*')
        return 1;
    for (int i = 0; i < 6; i++)
        if (strncmp(c, ops[i], strlen(ops[i])) == 0) {
            op = i;
            k = strlen(ops[i]);
            break;
        }
    while (k < n && c[k] == ' ')
        k++;
    if (k >= n || n - k >= sizeof(v) || !isdigit((unsigned char)c[k]))
        return FT_EUSAGE;
    memcpy(v, c + k, n - k);
    v[n - k] = '\0';
    if (!ver__valid(v))
        return FT_EUSAGE;
    cmp = ver_cmp(version, v);
    switch (op) {
    case 0: return cmp <= 0;
    case 1: return cmp >= 0;
    case 2: return cmp == 0;
    case 3: return cmp != 0;
    case 4: return cmp < 0;
    default: return cmp > 0;
    }
}

int
ver_match(const char *spec, const char *version)
{
    int all = 1;

    if (spec == NULL || *spec == '\0')
        return 1;
    while (*spec) {
        size_t n = strcspn(spec, ",");
        int r = ver__clause(spec, n, version);

        if (r < 0)
            return r;
        all &= r;
        spec += n + (spec[n] == ',');
    }
    return all;
}
