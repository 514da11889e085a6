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

/* The pair of the root mapping whose key is name, or NULL. */
static yaml_node_pair_t *
scn__emit_pair(yaml_document_t *doc, yaml_node_t *root, const char *name)
{
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);

        if (k->type == YAML_SCALAR_NODE && strcmp(scn__scalar(k), name) == 0)
            return p;
    }
    return NULL;
}

/* One replacement: the new value as a scalar node (code as a literal block, numbers plain), in
 * place of the old value or appended as a new key. 0, or an error message in *err. */
static int
scn__emit_set(yaml_document_t *doc, const char *path, const struct scn_pair *set, struct buf *err)
{
    const struct scn__key *k = scn__top_key(set->key);
    yaml_node_t *root = yaml_document_get_root_node(doc);
    yaml_node_pair_t *p;
    yaml_scalar_style_t style;
    int v, key;

    if (k == NULL || (k->parse != scn__code && k->parse != scn__posint && k->parse != scn__str)) {
        buf_printf(err, "%s: cannot set '%s': only the top-level keys whose value is a string, an integer or "
                        "Python source can be set (harness keys lists them)", path, set->key);
        return FT_EUSAGE;
    }
    style = k->parse == scn__code ? YAML_LITERAL_SCALAR_STYLE : k->parse == scn__posint ? YAML_PLAIN_SCALAR_STYLE
                                                                                           : YAML_ANY_SCALAR_STYLE;
    v = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)set->value, (int)strlen(set->value), style);
    if (v == 0)
        return FT_ENOMEM;
    if ((p = scn__emit_pair(doc, root, set->key)) != NULL) {
        p->value = v;
        return 0;
    }
    key = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)set->key, (int)strlen(set->key), YAML_PLAIN_SCALAR_STYLE);
    if (key == 0 || !yaml_document_append_mapping_pair(doc, 1, key, v))
        return FT_ENOMEM;
    return 0;
}

int
scn_emit(const char *path, const struct scn_pair *set, size_t n, struct buf *out, struct buf *err)
{
    struct scn_scenario check;
    yaml_parser_t parser;
    yaml_emitter_t emitter;
    yaml_document_t doc;
    struct buf text;
    int rc;

    /* The original must be a valid scenario: what is emitted is checked as strictly. */
    if ((rc = scn_load(path, &check, err)) != 0)
        return rc;
    scn_free(&check);
    buf_init(&text, (size_t)1 << 20);
    if ((rc = scn__read_file(path, &text, err)) != 0) {
        buf_free(&text);
        return rc;
    }
    if (!yaml_parser_initialize(&parser)) {
        buf_free(&text);
        return FT_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf_cstr(&text), text.len);
    if (!yaml_parser_load(&parser, &doc)) { /* scn_load read it a moment ago: the file changed */
        buf_printf(err, "%s: changed while it was read", path);
        yaml_parser_delete(&parser);
        buf_free(&text);
        return FT_EIO;
    }
    yaml_parser_delete(&parser);
    buf_free(&text);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = scn__emit_set(&doc, path, &set[i], err);
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
        buf_printf(err, "%s: cannot emit the scenario: %s", path, emitter.problem ? emitter.problem : "out of memory");
        rc = FT_EIO;
    }
    yaml_emitter_delete(&emitter);
    /* What comes out is a scenario the loader accepts, or nothing. */
    if (rc == 0) {
        struct buf name;

        buf_init(&name, (size_t)1 << 16);
        buf_printf(&name, "%s with the values set", path);
        if ((rc = name.err) == 0 && (rc = scn_parse(buf_cstr(out), out->len, buf_cstr(&name), &check, err)) == 0)
            scn_free(&check);
        buf_free(&name);
    }
    if (rc != 0)
        buf_free(out);
    return rc;
}
