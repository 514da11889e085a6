/* Emitting a scenario back: the file's own YAML tree with some top-level values replaced, so a
 * key the emitter has never heard of is kept as written. */
#include "scn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static int
scn__emit_write(void *data, unsigned char *text, size_t n)
{
    return buf_append(data, (const char *)text, n) == 0;
}

/* The place of the root mapping's pair whose key is name, or -1. An index, not a pointer:
 * adding a node may move libyaml's node array, and appending a pair the mapping's pair array,
 * so no pointer into the document is kept across a call that adds to it. */
static long
scn__emit_find(yaml_document_t *doc, const char *name)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);

    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);

        if (k->type == YAML_SCALAR_NODE && strcmp(scn__scalar(k), name) == 0)
            return p - root->data.mapping.pairs.start;
    }
    return -1;
}

/* The length of the longest valid UTF-8 prefix of s: libyaml refuses a scalar that is not valid
 * UTF-8, and a caller deserves to hear which byte, not "out of memory". */
static size_t
scn__utf8_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t w = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        unsigned long cp;

        if (w == 0 || i + w > n)
            return i;
        cp = w == 1 ? c : c & (0xFFu >> (w + 1));
        for (size_t k = 1; k < w; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        /* overlong forms (libyaml's check), surrogates and code points past U+10FFFF (its reader's) */
        if ((w == 2 && cp < 0x80) || (w == 3 && cp < 0x800) || (w == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += w;
    }
    return i;
}

char
scn__settable(const struct scn__key *k)
{
    return k->parse == scn__code ? 'p' : k->parse == scn__posint ? 'i' : k->parse == scn__str ? 's' : 0;
}

const char *
scn_settable_value(const struct scn_scenario *s, const char *key, char *num, size_t n)
{
    const struct scn__key *k = scn__top_key(key);
    const char *field;

    if (k == NULL || !scn__settable(k))
        return NULL;
    field = (const char *)s + k->offset;
    switch (scn__settable(k)) {
    case 'p':
        return ((const struct scn_code *)field)->text;
    case 's':
        return *(char *const *)field;
    default:
        snprintf(num, n, "%ld", *(const long *)field);
        return num;
    }
}

/* One replacement: the new value as a scalar node (code as a literal block, numbers plain), in
 * place of the old value or appended as a new key. 0, or an error message in *err. */
static int
scn__emit_set(yaml_document_t *doc, const char *name, const struct scn_pair *set, struct buf *err)
{
    const struct scn__key *k = scn__top_key(set->key);
    size_t len = strlen(set->value), ok;
    yaml_scalar_style_t style;
    int v, key;
    long at;

    if (k == NULL || !scn__settable(k)) {
        buf_printf(err, "%s: cannot set '%s': only the top-level keys whose value is a string, an integer or "
                        "Python source can be set (harness keys lists them)", name, set->key);
        return FT_EUSAGE;
    }
    if (len > SCN_MAX_FILE) {
        buf_printf(err, "%s: cannot set '%s': its value is %zu bytes, over the %zu a scenario file may have", name,
                   set->key, len, SCN_MAX_FILE);
        return FT_EUSAGE;
    }
    if ((ok = scn__utf8_prefix((const unsigned char *)set->value, len)) != len) {
        buf_printf(err, "%s: cannot set '%s': its value is not UTF-8 (byte %zu of %zu)", name, set->key, ok + 1, len);
        return FT_EUSAGE;
    }
    style = scn__settable(k) == 'p' ? YAML_LITERAL_SCALAR_STYLE : scn__settable(k) == 'i' ? YAML_PLAIN_SCALAR_STYLE
                                                                                           : YAML_ANY_SCALAR_STYLE;
    v = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)set->value, (int)len, style);
    if (v == 0)
        return FT_ENOMEM;
    if ((at = scn__emit_find(doc, set->key)) >= 0) {
        yaml_document_get_root_node(doc)->data.mapping.pairs.start[at].value = v;
        return 0;
    }
    key = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)set->key, (int)strlen(set->key), YAML_PLAIN_SCALAR_STYLE);
    if (key == 0 || !yaml_document_append_mapping_pair(doc, 1, key, v))
        return FT_ENOMEM;
    return 0;
}

int
scn_emit_text(const char *text, size_t len, const char *name, const struct scn_pair *set, size_t n, struct buf *out,
              struct buf *err)
{
    struct scn_scenario check;
    yaml_parser_t parser;
    yaml_emitter_t emitter;
    yaml_document_t doc;
    int rc;

    /* The original must be a valid scenario: what is emitted is checked as strictly. */
    if ((rc = scn_parse(text, len, name, &check, err)) != 0)
        return rc;
    scn_free(&check);
    if (!yaml_parser_initialize(&parser))
        return FT_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) { /* scn_parse read the same text a moment ago */
        yaml_parser_delete(&parser);
        return FT_ENOMEM;
    }
    yaml_parser_delete(&parser);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = scn__emit_set(&doc, name, &set[i], err);
    if (rc != 0) {
        yaml_document_delete(&doc);
        return rc;
    }
    if (!yaml_emitter_initialize(&emitter)) {
        yaml_document_delete(&doc);
        return FT_ENOMEM;
    }
    yaml_emitter_set_output(&emitter, scn__emit_write, out);
    yaml_emitter_set_unicode(&emitter, 1);
    yaml_emitter_set_width(&emitter, -1);
    /* yaml_emitter_dump deletes the document, written or not. */
    if (!yaml_emitter_open(&emitter) || !yaml_emitter_dump(&emitter, &doc) || !yaml_emitter_close(&emitter) ||
        !yaml_emitter_flush(&emitter)) {
        if (out->err == FT_ETOOBIG)
            buf_printf(err, "%s: with the values set the scenario is over the %zu bytes its output may have", name,
                       out->max);
        else if (out->err == 0 && emitter.problem)
            buf_printf(err, "%s: cannot emit the scenario: %s", name, emitter.problem);
        rc = out->err == FT_ETOOBIG ? FT_EUSAGE : out->err ? out->err : emitter.problem ? FT_EIO : FT_ENOMEM;
    }
    yaml_emitter_delete(&emitter);
    /* What comes out is a scenario the loader accepts, file size included, or nothing. */
    if (rc == 0 && out->len > SCN_MAX_FILE) {
        buf_printf(err, "%s: with the values set the scenario is %zu bytes, over the %zu a scenario file may have", name,
                   out->len, SCN_MAX_FILE);
        rc = FT_EUSAGE;
    }
    if (rc == 0) {
        struct buf again;

        buf_init(&again, (size_t)1 << 16);
        buf_printf(&again, "%s with the values set", name);
        if ((rc = again.err) == 0 && (rc = scn_parse(buf_cstr(out), out->len, buf_cstr(&again), &check, err)) == 0)
            scn_free(&check);
        buf_free(&again);
    }
    if (rc != 0)
        buf_free(out);
    return rc;
}

int
scn_emit(const char *path, const struct scn_pair *set, size_t n, struct buf *out, struct buf *err)
{
    struct buf text;
    int rc;

    buf_init(&text, SCN_MAX_FILE);
    if ((rc = scn__read_file(path, &text, err)) == 0)
        rc = scn_emit_text(buf_cstr(&text), text.len, path, set, n, out, err);
    buf_free(&text);
    return rc;
}
