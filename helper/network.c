/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt network XML, in the three wrappers we meet it in: the network hook's stdin
 * (<hookData><network>), libvirt's status file /run/libvirt/network/NAME.xml
 * (<networkstatus><network>), and plain <network> (virsh net-dumpxml, our cache).
 */
#include "network.h"

#include <string.h>

#include "domain.h"
#include "vfw-error.h"
#include "xml.h"

static const char *const mode_names[] = {
    [VFW_NET_MODE_ISOLATED] = "isolated", [VFW_NET_MODE_NAT] = "nat",
    [VFW_NET_MODE_ROUTE] = "route",       [VFW_NET_MODE_OPEN] = "open",
    [VFW_NET_MODE_BRIDGE] = "bridge",     [VFW_NET_MODE_OTHER] = "other",
};

/**
 * vfw_net_mode_to_string:
 * The libvirt spelling of @mode ("isolated" for a network without <forward>).
 */
const char *
vfw_net_mode_to_string(VfwNetMode mode)
{
    g_return_val_if_fail(mode <= VFW_NET_MODE_OTHER, "other");
    return mode_names[mode];
}

static void
dhcp_host_free(gpointer data)
{
    VfwDhcpHost *host = data;

    g_free(host->mac);
    g_clear_object(&host->ip);
    g_free(host);
}

static void
net_ip_free(gpointer data)
{
    VfwNetIp *ip = data;

    g_clear_object(&ip->subnet);
    g_clear_object(&ip->gateway);
    g_ptr_array_unref(ip->hosts);
    g_free(ip);
}

/**
 * vfw_network_free:
 * Frees @network; NULL-safe.
 */
void
vfw_network_free(VfwNetwork *network)
{
    if (!network)
        return;
    g_free(network->name);
    g_free(network->bridge);
    g_free(network->zone);
    g_free(network->firewall_backend);
    g_ptr_array_unref(network->ips);
    g_free(network);
}

static int
netmask_to_prefix(const char *netmask)
{
    g_autoptr(GInetAddress) mask = g_inet_address_new_from_string(netmask);
    const guint8 *bytes;
    int prefix = 0;
    gboolean ended = FALSE;

    if (!mask || g_inet_address_get_family(mask) != G_SOCKET_FAMILY_IPV4)
        return -1;
    bytes = g_inet_address_to_bytes(mask);
    for (int i = 0; i < 32; i++) {
        gboolean bit = (bytes[i / 8] >> (7 - i % 8)) & 1;
        if (bit && ended)
            return -1;
        if (bit)
            prefix++;
        else
            ended = TRUE;
    }
    return prefix;
}

static GInetAddressMask *
subnet_of(GInetAddress *addr, int prefix)
{
    gsize size = g_inet_address_get_native_size(addr);
    guint8 bytes[16];
    g_autoptr(GInetAddress) net = NULL;

    memcpy(bytes, g_inet_address_to_bytes(addr), size);
    for (gsize i = 0; i < size * 8; i++) {
        if ((int)i >= prefix)
            bytes[i / 8] &= ~(1u << (7 - i % 8));
    }
    net = g_inet_address_new_from_bytes(bytes, g_inet_address_get_family(addr));
    return g_inet_address_mask_new(net, prefix, NULL);
}

static gboolean
parse_dhcp_hosts(VfwNetwork *network, VfwNetIp *ip, VfwXmlNode *dhcp, GError **error)
{
    for (VfwXmlNode *n = dhcp ? dhcp->children : NULL; n; n = n->next) {
        if (!vfw_xml_is(n, NULL, "host"))
            continue;
        g_autofree char *mac = vfw_xml_prop(n, "mac");
        g_autofree char *addr = vfw_xml_prop(n, "ip");
        g_autofree char *norm = vfw_normalize_mac(mac);
        g_autoptr(GInetAddress) inet = addr ? g_inet_address_new_from_string(addr) : NULL;

        if (!mac)
            continue; /* DHCPv6 reservations are by DUID, not MAC */
        if (!norm || !inet) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_XML,
                        "network '%s': DHCP host '%s' / '%s' is not a MAC and an address",
                        network->name, mac, addr ? addr : "");
            return FALSE;
        }
        VfwDhcpHost *host = g_new0(VfwDhcpHost, 1);
        host->mac = g_steal_pointer(&norm);
        host->ip = g_steal_pointer(&inet);
        g_ptr_array_add(ip->hosts, host);
    }
    return TRUE;
}

static gboolean
parse_ip(VfwNetwork *network, VfwXmlNode *node, GError **error)
{
    g_autofree char *address = vfw_xml_prop(node, "address");
    g_autofree char *netmask = vfw_xml_prop(node, "netmask");
    g_autofree char *prefix_text = vfw_xml_prop(node, "prefix");
    g_autoptr(GInetAddress) gateway = NULL;
    gint64 parsed = -1;
    int prefix;

    gateway = address ? g_inet_address_new_from_string(address) : NULL;
    if (!gateway) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "network '%s': <ip> without a valid address",
                    network->name);
        return FALSE;
    }
    /* Whole text only: strtoll would take "24abc" as 24 and, cast, "4294967320" too. */
    if (prefix_text)
        prefix =
            g_ascii_string_to_signed(prefix_text, 10, 1, 128, &parsed, NULL) ? (int)parsed : -1;
    else if (netmask)
        prefix = netmask_to_prefix(netmask);
    else
        prefix = g_inet_address_get_family(gateway) == G_SOCKET_FAMILY_IPV4 ? 24 : 64;
    if (prefix < 1 || prefix > (int)g_inet_address_get_native_size(gateway) * 8) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "network '%s': bad prefix for '%s'",
                    network->name, address);
        return FALSE;
    }
    VfwNetIp *ip = g_new0(VfwNetIp, 1);
    ip->hosts = g_ptr_array_new_with_free_func(dhcp_host_free);
    ip->subnet = subnet_of(gateway, prefix);
    ip->gateway = g_steal_pointer(&gateway);
    g_ptr_array_add(network->ips, ip);
    return parse_dhcp_hosts(network, ip, vfw_xml_child(node, "dhcp"), error);
}

static VfwNetMode
mode_from_xml(VfwXmlNode *forward)
{
    g_autofree char *mode = vfw_xml_prop(forward, "mode");

    if (!forward)
        return VFW_NET_MODE_ISOLATED;
    if (!mode || strcmp(mode, "nat") == 0)
        return VFW_NET_MODE_NAT;
    for (guint i = VFW_NET_MODE_ROUTE; i < VFW_NET_MODE_OTHER; i++) {
        if (strcmp(mode, mode_names[i]) == 0)
            return i;
    }
    return VFW_NET_MODE_OTHER;
}

/**
 * vfw_network_parse:
 * Parses a libvirt network definition in any of its wrappers.
 */
VfwNetwork *
vfw_network_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(VfwXmlDoc) doc = vfw_xml_parse(xml, len, "network XML", error);
    g_autoptr(VfwNetwork) network = NULL;
    g_autofree char *backend = NULL;
    VfwXmlNode *root;
    VfwXmlNode *bridge;

    if (!doc)
        return NULL;
    root = vfw_xml_root(doc);
    if (vfw_xml_is(root, NULL, "networkstatus"))
        backend = vfw_xml_prop(vfw_xml_child(root, "firewall"), "backend");
    if (vfw_xml_is(root, NULL, "hookData") || vfw_xml_is(root, NULL, "networkstatus"))
        root = vfw_xml_child(root, "network");
    if (!vfw_xml_is(root, NULL, "network")) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "network XML: no <network> element");
        return NULL;
    }
    network = g_new0(VfwNetwork, 1);
    network->ips = g_ptr_array_new_with_free_func(net_ip_free);
    network->firewall_backend = g_steal_pointer(&backend);
    network->name = vfw_xml_text(vfw_xml_child(root, "name"));
    if (!network->name || !*network->name || !g_utf8_validate(network->name, -1, NULL)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "network XML: no <name>");
        return NULL;
    }
    network->mode = mode_from_xml(vfw_xml_child(root, "forward"));
    bridge = vfw_xml_child(root, "bridge");
    network->bridge = vfw_xml_prop(bridge, "name");
    network->zone = vfw_xml_prop(bridge, "zone");
    for (VfwXmlNode *n = root->children; n; n = n->next) {
        if (vfw_xml_is(n, NULL, "ip") && !parse_ip(network, n, error))
            return NULL;
    }
    return g_steal_pointer(&network);
}

/**
 * vfw_network_load:
 * Reads and parses a network XML file (libvirt's status file or our cache).
 */
VfwNetwork *
vfw_network_load(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    g_autoptr(GError) local_error = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, &local_error)) {
        g_set_error_literal(error, VFW_ERROR, VFW_ERROR_XML, local_error->message);
        return NULL;
    }
    VfwNetwork *network = vfw_network_parse(data, len, error);
    if (!network)
        g_prefix_error(error, "%s: ", path);
    return network;
}

/**
 * vfw_network_find_subnet:
 * The <ip> of @network whose subnet holds @addr, or NULL.
 */
const VfwNetIp *
vfw_network_find_subnet(const VfwNetwork *network, GInetAddress *addr)
{
    for (guint i = 0; i < network->ips->len; i++) {
        const VfwNetIp *ip = g_ptr_array_index(network->ips, i);
        if (g_inet_address_mask_get_family(ip->subnet) == g_inet_address_get_family(addr) &&
            g_inet_address_mask_matches(ip->subnet, addr))
            return ip;
    }
    return NULL;
}

/**
 * vfw_network_reserved_address:
 * The DHCP reservation of @network for @mac in @family, or NULL. Not a new reference.
 */
GInetAddress *
vfw_network_reserved_address(const VfwNetwork *network, const char *mac, GSocketFamily family)
{
    for (guint i = 0; mac && i < network->ips->len; i++) {
        const VfwNetIp *ip = g_ptr_array_index(network->ips, i);
        for (guint j = 0; j < ip->hosts->len; j++) {
            const VfwDhcpHost *host = g_ptr_array_index(ip->hosts, j);
            if (strcmp(host->mac, mac) == 0 && g_inet_address_get_family(host->ip) == family)
                return host->ip;
        }
    }
    return NULL;
}
