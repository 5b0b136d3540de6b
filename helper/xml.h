/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/* Largest XML document we accept from libvirt (stdin or a status file). */
#define VFW_XML_MAX_SIZE (8 * 1024 * 1024)

xmlDoc *vfw_xml_parse(const char *data, gsize len, const char *what, GError **error);
char *vfw_xml_read_stream(int fd, gsize *len, GError **error);
xmlNode *vfw_xml_child(xmlNode *parent, const char *name);
char *vfw_xml_prop(xmlNode *node, const char *name);
char *vfw_xml_text(xmlNode *node);
