/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* Largest XML document we accept from libvirt (stdin or a status file). */
#define VFW_XML_MAX_SIZE (8 * 1024 * 1024)

/* Deepest element nesting we accept (libxml2's default limit too); libvirt nests ~6 deep. */
#define VFW_XML_MAX_DEPTH 256

/* One element of a parsed document. Only elements are nodes: the character data directly
 * inside an element is its @text; comments and processing instructions are dropped. */
typedef struct _VfwXmlNode VfwXmlNode;
struct _VfwXmlNode {
    const char *name; /* local name, prefix removed */
    const char *ns;   /* namespace URI, NULL for none */
    char **attrs;     /* unprefixed attributes: name, value, name, value, ..., NULL */
    GString *text;    /* NULL when there is none */
    VfwXmlNode *parent;
    VfwXmlNode *children; /* first child element */
    VfwXmlNode *last;
    VfwXmlNode *next; /* next sibling element */
    char **nsdecls;   /* private: this element's xmlns declarations, prefix ("" for the
                       * default namespace), URI ("" to undeclare), ..., NULL */
};

typedef struct _VfwXmlDoc VfwXmlDoc;

void vfw_xml_doc_free(VfwXmlDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwXmlDoc, vfw_xml_doc_free)

VfwXmlDoc *vfw_xml_parse(const char *data, gsize len, const char *what, GError **error);
VfwXmlNode *vfw_xml_root(VfwXmlDoc *doc);
char *vfw_xml_read_stream(int fd, gsize *len, GError **error);
gboolean vfw_xml_is(const VfwXmlNode *node, const char *ns, const char *name);
VfwXmlNode *vfw_xml_child(VfwXmlNode *parent, const char *name);
char *vfw_xml_prop(const VfwXmlNode *node, const char *name);
char *vfw_xml_text(const VfwXmlNode *node);
