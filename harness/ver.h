/* Versions and version ranges, as scenarios, suppressions and the catalog write them:
 * "2.2.5", and ranges such as "<=2.2.5", ">=2.1,<2.3", "==3.13.15", "*". */
#ifndef FT_VER_H
#define FT_VER_H

/* ver_cmp: <0, 0, >0 as a sorts before, equal to or after b, comparing dot-separated numbers
 * (a missing part is 0; a pre-release suffix such as "rc1" sorts before the release). */
int ver_cmp(const char *a, const char *b);

/* ver_match: 1 when version satisfies every comma-separated clause of spec (operators <, <=, >,
 * >=, ==, !=; a bare version means ==; "*" or NULL matches anything), 0 when not, FT_EUSAGE
 * when spec does not parse. */
int ver_match(const char *spec, const char *version);

#endif
