/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Safe parsing of the XML libvirt hands us, into a small tree of elements (GMarkup).
 * Hook input arrives on stdin from libvirtd, but the same parsers read files an admin may
 * point us at, so they refuse what libvirt never writes: a DOCTYPE (the door to external
 * entities and entity-expansion bombs), elements nested deeper than VFW_XML_MAX_DEPTH, and
 * documents larger than VFW_XML_MAX_SIZE. GMarkup knows only the five predefined entities
 * and character references, and never loads anything.
 *
 * Not libxml2: linking it (and through it ICU and libstdc++) cost the hook 3.4 MiB of its
 * peak RSS in every run, more than all the rest of a run with nothing to publish
 * (bench/results: the hook's peak RSS target is 8 MiB). The CLI still edits network XML
 * with libxml2 (cli-network.c), where libvirt's client library loads it anyway.
 */
#include "xml.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vfw-error.h"

#define XML_NS    "http://www.w3.org/XML/1998/namespace"
#define MAX_ATTRS 256

struct _VfwXmlDoc {
    GStringChunk *strings;
    GPtrArray *nodes; /* every node: freed flat, however deep the tree */
    VfwXmlNode *root;
};

typedef struct {
    VfwXmlDoc *doc;
    VfwXmlNode *current;
    guint depth;
    gboolean doctype;
} Builder;

static void
node_free(gpointer data)
{
    VfwXmlNode *node = data;

    g_free(node->attrs);
    g_free(node->nsdecls);
    if (node->text)
        g_string_free(node->text, TRUE);
    g_free(node);
}

/**
 * vfw_xml_doc_free:
 * Frees @doc and all its nodes; NULL-safe.
 */
void
vfw_xml_doc_free(VfwXmlDoc *doc)
{
    if (!doc)
        return;
    g_clear_pointer(&doc->nodes, g_ptr_array_unref);
    g_clear_pointer(&doc->strings, g_string_chunk_free);
    g_free(doc);
}

/* The URI @prefix ("" for the default namespace) stands for at @node: NULL for none, and
 * for an undeclared prefix, which sets @undeclared. */
static const char *
resolve_prefix(const VfwXmlNode *node, const char *prefix, gboolean *undeclared)
{
    if (strcmp(prefix, "xml") == 0)
        return XML_NS;
    for (; node; node = node->parent) {
        for (guint i = 0; node->nsdecls && node->nsdecls[i]; i += 2) {
            if (strcmp(node->nsdecls[i], prefix) == 0)
                return *node->nsdecls[i + 1] ? node->nsdecls[i + 1] : NULL;
        }
    }
    *undeclared = *prefix != '\0';
    return NULL;
}

/* Splits "p:local" into its prefix (a new string, "" for none) and the local name. */
static char *
split_qname(const char *qname, const char **local)
{
    const char *colon = strchr(qname, ':');

    *local = colon ? colon + 1 : qname;
    return colon ? g_strndup(qname, colon - qname) : g_strdup("");
}

/* The xmlns declarations among an element's attributes, in the doc's string chunk. */
static char **
namespace_declarations(VfwXmlDoc *doc, const char **names, const char **values)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new();

    for (guint i = 0; names[i]; i++) {
        const char *prefix = NULL;
        if (strcmp(names[i], "xmlns") == 0)
            prefix = "";
        else if (g_str_has_prefix(names[i], "xmlns:"))
            prefix = names[i] + strlen("xmlns:");
        if (!prefix)
            continue;
        g_ptr_array_add(out, g_string_chunk_insert_const(doc->strings, prefix));
        g_ptr_array_add(out, g_string_chunk_insert(doc->strings, values[i]));
    }
    if (out->len == 0)
        return NULL;
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* The unprefixed attributes of an element; FALSE on one given twice or too many. */
static gboolean
plain_attributes(VfwXmlNode *node, VfwXmlDoc *doc, const char **names, const char **values,
                 GError **error)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    guint n = g_strv_length((char **)names);

    if (n > MAX_ATTRS) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "element '%s' has more than %d attributes",
                    node->name, MAX_ATTRS);
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        for (guint j = 0; j < i; j++) {
            if (strcmp(names[i], names[j]) == 0) {
                g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                            "attribute '%s' given twice", names[i]);
                return FALSE;
            }
        }
        if (strchr(names[i], ':') || strcmp(names[i], "xmlns") == 0)
            continue;
        g_ptr_array_add(out, g_string_chunk_insert_const(doc->strings, names[i]));
        g_ptr_array_add(out, g_string_chunk_insert(doc->strings, values[i]));
    }
    g_ptr_array_add(out, NULL);
    node->attrs = (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
    return TRUE;
}

static void
on_start(GMarkupParseContext *context, const char *qname, const char **names, const char **values,
         gpointer data, GError **error)
{
    Builder *b = data;
    VfwXmlNode *node;
    g_autofree char *prefix = NULL;
    const char *local;
    gboolean undeclared = FALSE;

    if (b->depth >= VFW_XML_MAX_DEPTH) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "elements nested deeper than %d",
                    VFW_XML_MAX_DEPTH);
        return;
    }
    if (!b->current && b->doc->root) {
        g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                    "a second root element '%s'", qname);
        return;
    }
    node = g_new0(VfwXmlNode, 1);
    g_ptr_array_add(b->doc->nodes, node);
    node->parent = b->current;
    node->nsdecls = namespace_declarations(b->doc, names, values);
    prefix = split_qname(qname, &local);
    node->name = g_string_chunk_insert_const(b->doc->strings, local);
    node->ns = resolve_prefix(node, prefix, &undeclared);
    if (undeclared || !*local) {
        g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                    "namespace prefix '%s' of element '%s' is not declared", prefix, qname);
        return;
    }
    if (!plain_attributes(node, b->doc, names, values, error))
        return;
    if (!b->current)
        b->doc->root = node;
    else if (b->current->last)
        b->current->last = b->current->last->next = node;
    else
        b->current->children = b->current->last = node;
    b->current = node;
    b->depth++;
}

static void
on_end(GMarkupParseContext *context, const char *qname, gpointer data, GError **error)
{
    Builder *b = data;

    b->current = b->current->parent;
    b->depth--;
}

static void
on_text(GMarkupParseContext *context, const char *text, gsize len, gpointer data, GError **error)
{
    Builder *b = data;

    if (!b->current)
        return; /* white space around the root: GMarkup refuses anything else there */
    if (!b->current->text)
        b->current->text = g_string_sized_new(len);
    g_string_append_len(b->current->text, text, len);
}

/* Comments, processing instructions and the XML declaration pass; a DOCTYPE is noted and
 * refused once GMarkup is done. Not an error here: GMarkup also passes an unterminated one
 * from end_parse() and then sets its own error over ours (GLib 2.74, found by fuzzing). */
static void
on_passthrough(GMarkupParseContext *context, const char *text, gsize len, gpointer data,
               GError **error)
{
    Builder *b = data;

    if (len >= 9 && g_ascii_strncasecmp(text, "<!DOCTYPE", 9) == 0)
        b->doctype = TRUE;
}

static const GMarkupParser parser = {
    .start_element = on_start,
    .end_element = on_end,
    .text = on_text,
    .passthrough = on_passthrough,
};

/* A parser's message as one line of valid UTF-8 (main.c prints it as is). */
static char *
one_line(const char *message)
{
    char *line = g_strchomp(g_utf8_make_valid(message, -1));

    for (char *p = line; *p; p++) {
        if (g_ascii_iscntrl(*p))
            *p = ' ';
    }
    return line;
}

/**
 * vfw_xml_parse:
 * Parses @data (@len bytes, UTF-8) as one XML document named @what in errors. Refuses
 * DOCTYPEs, undeclared namespace prefixes, duplicate attributes and nesting deeper than
 * VFW_XML_MAX_DEPTH; substitutes only the predefined entities and character references.
 */
VfwXmlDoc *
vfw_xml_parse(const char *data, gsize len, const char *what, GError **error)
{
    g_autoptr(VfwXmlDoc) doc = g_new0(VfwXmlDoc, 1);
    g_autoptr(GMarkupParseContext) context = NULL;
    g_autoptr(GError) local_error = NULL;
    Builder b = { doc, NULL, 0, FALSE };
    const char *bad = NULL;
    int line = 0;
    int column = 0;

    if (len > VFW_XML_MAX_SIZE) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "%s: larger than %d bytes", what,
                    VFW_XML_MAX_SIZE);
        return NULL;
    }
    /* GMarkup checks UTF-8 piecewise, and GLib 2.74 sets its error twice (a GLib warning)
     * on some invalid bytes in a processing instruction (found by fuzzing): check first. */
    if (!g_utf8_validate_len(data, len, &bad)) {
        for (const char *p = data; p < bad; p++)
            line += *p == '\n';
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML,
                    "%s: not well-formed XML (line %d: a NUL byte or invalid UTF-8 at byte %zu)",
                    what, line + 1, (gsize)(bad - data));
        return NULL;
    }
    doc->strings = g_string_chunk_new(1024);
    doc->nodes = g_ptr_array_new_with_free_func(node_free);
    context = g_markup_parse_context_new(&parser, G_MARKUP_TREAT_CDATA_AS_TEXT, &b, NULL);
    if (g_markup_parse_context_parse(context, data, (gssize)len, &local_error) &&
        g_markup_parse_context_end_parse(context, &local_error) && doc->root && !b.doctype)
        return g_steal_pointer(&doc);

    g_markup_parse_context_get_position(context, &line, &column);
    if (b.doctype) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "%s: a DOCTYPE is not allowed", what);
    } else if (!local_error) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "%s: empty document", what);
    } else if (local_error->domain == VFW_ERROR) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "%s: %s (line %d)", what, local_error->message,
                    line);
    } else if (g_str_has_prefix(local_error->message, "Error on line ")) {
        /* GMarkup's own: "Error on line L char C: ..." */
        g_autofree char *detail = one_line(local_error->message + strlen("Error on "));
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "%s: not well-formed XML (%s)", what, detail);
    } else {
        g_autofree char *detail = one_line(local_error->message);
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML,
                    "%s: not well-formed XML (line %d char %d: %s)", what, line, column, detail);
    }
    return NULL;
}

/**
 * vfw_xml_root:
 * The root element of @doc (vfw_xml_parse() returns only documents that have one).
 */
VfwXmlNode *
vfw_xml_root(VfwXmlDoc *doc)
{
    return doc->root;
}

/**
 * vfw_xml_read_stream:
 * Reads all of @fd, at most VFW_XML_MAX_SIZE bytes (a larger input is an error, not a
 * truncated document). Returns a NUL-terminated buffer.
 */
char *
vfw_xml_read_stream(int fd, gsize *len, GError **error)
{
    g_autoptr(GString) buf = g_string_sized_new(16384);
    char chunk[16384];

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "reading standard input: %s",
                        g_strerror(errno));
            return NULL;
        }
        if (n == 0)
            break;
        if (buf->len + (gsize)n > VFW_XML_MAX_SIZE) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "standard input: XML larger than %d bytes",
                        VFW_XML_MAX_SIZE);
            return NULL;
        }
        g_string_append_len(buf, chunk, n);
    }
    *len = buf->len;
    return g_string_free(g_steal_pointer(&buf), FALSE);
}

/**
 * vfw_xml_is:
 * Whether @node is the element @name in namespace @ns (NULL: in no namespace).
 */
gboolean
vfw_xml_is(const VfwXmlNode *node, const char *ns, const char *name)
{
    return node && g_strcmp0(node->ns, ns) == 0 && strcmp(node->name, name) == 0;
}

/**
 * vfw_xml_child:
 * The first element child of @parent named @name in no namespace, or NULL.
 */
VfwXmlNode *
vfw_xml_child(VfwXmlNode *parent, const char *name)
{
    for (VfwXmlNode *n = parent ? parent->children : NULL; n; n = n->next) {
        if (vfw_xml_is(n, NULL, name))
            return n;
    }
    return NULL;
}

/**
 * vfw_xml_prop:
 * A newly allocated copy of attribute @name of @node (no namespace), or NULL.
 */
char *
vfw_xml_prop(const VfwXmlNode *node, const char *name)
{
    for (guint i = 0; node && node->attrs[i]; i += 2) {
        if (strcmp(node->attrs[i], name) == 0)
            return g_strdup(node->attrs[i + 1]);
    }
    return NULL;
}

/**
 * vfw_xml_text:
 * The character data directly inside @node with surrounding white space removed ("" for
 * none), or NULL when @node is NULL.
 */
char *
vfw_xml_text(const VfwXmlNode *node)
{
    if (!node)
        return NULL;
    return g_strstrip(g_strdup(node->text ? node->text->str : ""));
}
