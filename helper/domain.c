/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the qemu hook needs from a domain XML (libvirt passes the full XML on the hook's
 * stdin): the name and UUID, each NIC's MAC and network, and our forwards metadata.
 */
#include "domain.h"

#include <string.h>

#include "vfw-error.h"
#include "xml.h"

static void
interface_free(gpointer data)
{
    VfwInterface *iface = data;

    g_free(iface->mac);
    g_free(iface->network);
    g_free(iface->bridge);
    g_free(iface->target);
    g_free(iface);
}

static void
meta_forward_free(gpointer data)
{
    VfwMetaForward *fwd = data;

    g_free(fwd->spec);
    g_free(fwd->address);
    g_free(fwd);
}

/**
 * vfw_domain_free:
 * Frees @domain; NULL-safe.
 */
void
vfw_domain_free(VfwDomain *domain)
{
    if (!domain)
        return;
    g_free(domain->name);
    g_free(domain->uuid);
    g_ptr_array_unref(domain->interfaces);
    g_ptr_array_unref(domain->meta_forwards);
    g_free(domain);
}

/**
 * vfw_normalize_mac:
 * Returns @text as lower-case "aa:bb:cc:dd:ee:ff", or NULL if it is not a MAC address.
 */
char *
vfw_normalize_mac(const char *text)
{
    if (!text || strlen(text) != 17)
        return NULL;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2 ? text[i] != ':' : !g_ascii_isxdigit(text[i]))
            return NULL;
    }
    return g_ascii_strdown(text, -1);
}

static gboolean
parse_interface(VfwDomain *domain, VfwXmlNode *node, GError **error)
{
    g_autofree char *type = vfw_xml_prop(node, "type");
    g_autofree char *mac_text = vfw_xml_prop(vfw_xml_child(node, "mac"), "address");
    VfwXmlNode *source = vfw_xml_child(node, "source");
    VfwInterface *iface;

    iface = g_new0(VfwInterface, 1);
    g_ptr_array_add(domain->interfaces, iface);
    if (mac_text) {
        iface->mac = vfw_normalize_mac(mac_text);
        if (!iface->mac) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_XML,
                        "guest '%s': interface MAC '%s' is not a MAC address", domain->name,
                        mac_text);
            return FALSE;
        }
    }
    if (g_strcmp0(type, "network") == 0)
        iface->network = vfw_xml_prop(source, "network");
    iface->bridge = vfw_xml_prop(source, "bridge");
    iface->target = vfw_xml_prop(vfw_xml_child(node, "target"), "dev");
    if (!iface->bridge)
        iface->bridge = vfw_xml_prop(vfw_xml_child(node, "target"), "bridge");
    return TRUE;
}

static gboolean
parse_metadata(VfwDomain *domain, VfwXmlNode *metadata, GError **error)
{
    for (VfwXmlNode *list = metadata ? metadata->children : NULL; list; list = list->next) {
        if (!vfw_xml_is(list, VFW_METADATA_NS, "forwards"))
            continue;
        for (VfwXmlNode *n = list->children; n; n = n->next) {
            /* `virsh metadata --set` puts only the top element in our namespace: its
             * children come back unprefixed. Accept both spellings. */
            if (!vfw_xml_is(n, VFW_METADATA_NS, "forward") && !vfw_xml_is(n, NULL, "forward")) {
                g_set_error(error, VFW_ERROR, VFW_ERROR_XML,
                            "guest '%s': unexpected element '%s' in forwards metadata",
                            domain->name, n->name);
                return FALSE;
            }
            VfwMetaForward *fwd = g_new0(VfwMetaForward, 1);
            g_ptr_array_add(domain->meta_forwards, fwd);
            fwd->spec = vfw_xml_prop(n, "spec");
            fwd->address = vfw_xml_prop(n, "address");
            if (!fwd->spec) {
                g_set_error(error, VFW_ERROR, VFW_ERROR_XML,
                            "guest '%s': forward metadata without a 'spec' attribute",
                            domain->name);
                return FALSE;
            }
        }
    }
    return TRUE;
}

/**
 * vfw_domain_parse:
 * Parses a libvirt domain XML (as found on a qemu hook's stdin or from virDomainGetXMLDesc).
 */
VfwDomain *
vfw_domain_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(VfwXmlDoc) doc = NULL;
    g_autoptr(VfwDomain) domain = NULL;
    VfwXmlNode *root;
    VfwXmlNode *devices;

    doc = vfw_xml_parse(xml, len, "domain XML", error);
    if (!doc)
        return NULL;
    root = vfw_xml_root(doc);
    if (!vfw_xml_is(root, NULL, "domain")) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "domain XML: root element is '%s'",
                    root->name);
        return NULL;
    }
    domain = g_new0(VfwDomain, 1);
    domain->interfaces = g_ptr_array_new_with_free_func(interface_free);
    domain->meta_forwards = g_ptr_array_new_with_free_func(meta_forward_free);
    domain->name = vfw_xml_text(vfw_xml_child(root, "name"));
    domain->uuid = vfw_xml_text(vfw_xml_child(root, "uuid"));
    if (!domain->name || !*domain->name || !g_utf8_validate(domain->name, -1, NULL)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "domain XML: no <name>");
        return NULL;
    }
    if (!domain->uuid || !g_uuid_string_is_valid(domain->uuid)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "guest '%s': no valid <uuid>", domain->name);
        return NULL;
    }
    for (char *p = domain->uuid; *p; p++)
        *p = g_ascii_tolower(*p);

    devices = vfw_xml_child(root, "devices");
    for (VfwXmlNode *n = devices ? devices->children : NULL; n; n = n->next) {
        if (vfw_xml_is(n, NULL, "interface") && !parse_interface(domain, n, error))
            return NULL;
    }
    if (!parse_metadata(domain, vfw_xml_child(root, "metadata"), error))
        return NULL;
    return g_steal_pointer(&domain);
}
