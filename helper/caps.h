/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* A yes/no setting of firewalld.conf, or one this firewalld does not have. */
typedef enum {
    VFW_SETTING_ABSENT = 0,
    VFW_SETTING_NO,
    VFW_SETTING_YES,
} VfwSetting;

/* What this firewalld is and does that matters to us: the one place that knows how
 * firewalld versions differ (caps.c). */
typedef struct {
    char *version;                   /* as firewalld reports it */
    guint v[3];                      /* parsed; 0.0.0 when it does not parse */
    char *backend;                   /* FirewallBackend (nftables, iptables); NULL: not said */
    VfwSetting strict_forward_ports; /* StrictForwardPorts (2.3+) */
    VfwSetting nftables_table_owner; /* NftablesTableOwner (2.2+) */
} VfwFirewalldCaps;

void vfw_firewalld_caps_free(VfwFirewalldCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwFirewalldCaps, vfw_firewalld_caps_free)

gboolean vfw_version_parse(const char *text, guint v[3]);
VfwFirewalldCaps *vfw_firewalld_caps_new(const char *version, GVariant *config_props);
gboolean vfw_firewalld_caps_at_least(const VfwFirewalldCaps *caps, guint major, guint minor,
                                     guint micro);
const char *vfw_firewalld_caps_any_dispatch_bug(const VfwFirewalldCaps *caps);
const char *vfw_setting_to_string(VfwSetting setting);
