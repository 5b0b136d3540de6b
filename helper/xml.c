/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Safe parsing of the XML libvirt hands us. Hook input arrives on stdin from libvirtd,
 * but the same parsers read files an admin may point us at, so they refuse what libvirt
 * never writes: a DOCTYPE (the door to external entities and entity-expansion bombs),
 * network access, and documents larger than VFW_XML_MAX_SIZE.
 */
#include "xml.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <libxml/parser.h>

#include "vfw-error.h"

/* libxml2 reports errors through a global callback; keep them off our stderr. */
static void
silent_error(void *ctx, const char *msg, ...)
{
}

/* libxml2's message for a parse error, as one line of valid UTF-8: libxml2 (2.9.14) quotes
 * the input's raw bytes in some messages ("Premature end of data in tag NAME", "xmlns: URI
 * is not a valid URI"), whatever their encoding, and main.c prints the message as is. */
static char *
parse_error_detail(const xmlError *err)
{
    char *detail;

    if (!err || !err->message)
        return g_strdup("parse error");
    detail = g_strchomp(g_utf8_make_valid(err->message, -1));
    for (char *p = detail; *p; p++) {
        if (g_ascii_iscntrl(*p))
            *p = ' ';
    }
    return detail;
}

/**
 * vfw_xml_parse:
 * Parses @data (@len bytes) as one XML document named @what in errors. Refuses DOCTYPEs,
 * never loads anything from the network and never substitutes entities.
 */
xmlDoc *
vfw_xml_parse(const char *data, gsize len, const char *what, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    const xmlError *err;

    if (len > VFW_XML_MAX_SIZE) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "%s: larger than %d bytes", what,
                    VFW_XML_MAX_SIZE);
        return NULL;
    }
    xmlSetGenericErrorFunc(NULL, silent_error);
    xmlResetLastError();
    doc = xmlReadMemory(data, (int)len, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        err = xmlGetLastError();
        g_autofree char *detail = parse_error_detail(err);
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "%s: not well-formed XML (line %d: %s)", what,
                    err ? err->line : 0, detail);
        return NULL;
    }
    if (doc->intSubset || doc->extSubset) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "%s: a DOCTYPE is not allowed", what);
        return NULL;
    }
    if (!xmlDocGetRootElement(doc)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "%s: empty document", what);
        return NULL;
    }
    return g_steal_pointer(&doc);
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
 * vfw_xml_child:
 * The first element child of @parent named @name in no namespace, or NULL.
 */
xmlNode *
vfw_xml_child(xmlNode *parent, const char *name)
{
    if (!parent)
        return NULL;
    for (xmlNode *n = parent->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && !n->ns && strcmp((const char *)n->name, name) == 0)
            return n;
    }
    return NULL;
}

/**
 * vfw_xml_prop:
 * A newly allocated copy of attribute @name of @node (no namespace), or NULL.
 */
char *
vfw_xml_prop(xmlNode *node, const char *name)
{
    xmlChar *value;
    char *copy;

    if (!node)
        return NULL;
    value = xmlGetNoNsProp(node, (const xmlChar *)name);
    if (!value)
        return NULL;
    copy = g_strdup((const char *)value);
    xmlFree(value);
    return copy;
}

/**
 * vfw_xml_text:
 * The text content of @node with surrounding white space removed, or NULL.
 */
char *
vfw_xml_text(xmlNode *node)
{
    xmlChar *value;
    char *copy;

    if (!node)
        return NULL;
    value = xmlNodeGetContent(node);
    if (!value)
        return NULL;
    copy = g_strstrip(g_strdup((const char *)value));
    xmlFree(value);
    return copy;
}
