/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

typedef enum {
    VFW_NET_MODE_ISOLATED, /* no <forward> */
    VFW_NET_MODE_NAT,
    VFW_NET_MODE_ROUTE,
    VFW_NET_MODE_OPEN,
    VFW_NET_MODE_BRIDGE,
    VFW_NET_MODE_OTHER, /* passthrough, private, vepa, hostdev */
} VfwNetMode;

typedef struct {
    char *mac; /* normalized */
    GInetAddress *ip;
} VfwDhcpHost;

typedef struct {
    GInetAddressMask *subnet; /* the network's subnet (address masked to the prefix) */
    GInetAddress *gateway;    /* the host's address on the bridge */
    GPtrArray *hosts;         /* VfwDhcpHost reservations */
} VfwNetIp;

typedef struct {
    char *name;
    VfwNetMode mode;
    char *bridge;   /* NULL for networks without a bridge of libvirt's */
    char *zone;     /* <bridge zone='...'/> */
    GPtrArray *ips; /* VfwNetIp */
    /* the backend of libvirt's own rules for it (libvirt 10.4+: nftables, iptables), from
     * <firewall backend=...> of a status file; NULL when not recorded */
    char *firewall_backend;
} VfwNetwork;

void vfw_network_free(VfwNetwork *network);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwNetwork, vfw_network_free)

VfwNetwork *vfw_network_parse(const char *xml, gsize len, GError **error);
VfwNetwork *vfw_network_load(const char *path, GError **error);
const char *vfw_net_mode_to_string(VfwNetMode mode);
const VfwNetIp *vfw_network_find_subnet(const VfwNetwork *network, GInetAddress *addr);
GInetAddress *vfw_network_reserved_address(const VfwNetwork *network, const char *mac,
                                           GSocketFamily family);
