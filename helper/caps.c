/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capability probe: what the running firewalld is and which of its settings apply,
 * from its version and the properties of its config object (GetAll on
 * org.fedoraproject.FirewallD1.config). Version-dependent behaviour is decided here and
 * nowhere else; tests/unit/test-caps.c holds what each version returns.
 *
 * Measured: firewalld 1.3.3 reports DefaultZone ... FirewallBackend, FlushAllOnReload,
 * RFC3964_IPv4, AllowZoneDrifting; 2.3.1 adds IPv6_rpfilter2, NftablesFlowtable,
 * NftablesCounters, NftablesTableOwner ('yes') and StrictForwardPorts ('no'), all strings.
 */
#include "caps.h"

#include <string.h>

/**
 * vfw_firewalld_caps_free:
 * Frees @caps; NULL-safe.
 */
void
vfw_firewalld_caps_free(VfwFirewalldCaps *caps)
{
    if (!caps)
        return;
    g_free(caps->version);
    g_free(caps->backend);
    g_free(caps);
}

/**
 * vfw_version_parse:
 * Parses "MAJOR[.MINOR[.MICRO]]" with anything after the numbers ignored ("2.3.1",
 * "1.3.3-1", "2.4.0~rc1"); FALSE and 0.0.0 when @text does not start with a number.
 */
gboolean
vfw_version_parse(const char *text, guint v[3])
{
    const char *p = text;

    v[0] = v[1] = v[2] = 0;
    if (!p || !g_ascii_isdigit(*p))
        return FALSE;
    for (guint i = 0; i < 3; i++) {
        guint64 n = 0;
        while (g_ascii_isdigit(*p) && n < G_MAXUINT / 10)
            n = n * 10 + (guint)(*p++ - '0');
        v[i] = (guint)n;
        if (*p != '.' || !g_ascii_isdigit(p[1]))
            break;
        p++;
    }
    return TRUE;
}

static VfwSetting
setting_of(GVariant *props, const char *name)
{
    const char *value = NULL;

    if (!props || !g_variant_lookup(props, name, "&s", &value))
        return VFW_SETTING_ABSENT;
    /* firewalld.conf takes yes/true and no/false, any case */
    if (g_ascii_strcasecmp(value, "yes") == 0 || g_ascii_strcasecmp(value, "true") == 0)
        return VFW_SETTING_YES;
    return VFW_SETTING_NO;
}

/**
 * vfw_firewalld_caps_new:
 * The capabilities of a firewalld that reports @version and, on its config object,
 * @config_props (an a{sv}; NULL when they could not be read).
 */
VfwFirewalldCaps *
vfw_firewalld_caps_new(const char *version, GVariant *config_props)
{
    VfwFirewalldCaps *caps = g_new0(VfwFirewalldCaps, 1);
    const char *backend = NULL;

    caps->version = g_strdup(version ? version : "");
    vfw_version_parse(version, caps->v);
    if (config_props && g_variant_lookup(config_props, "FirewallBackend", "&s", &backend))
        caps->backend = g_strdup(backend);
    caps->strict_forward_ports = setting_of(config_props, "StrictForwardPorts");
    caps->nftables_table_owner = setting_of(config_props, "NftablesTableOwner");
    return caps;
}

/**
 * vfw_firewalld_caps_at_least:
 * Whether firewalld's version is at least MAJOR.MINOR.MICRO.
 */
gboolean
vfw_firewalld_caps_at_least(const VfwFirewalldCaps *caps, guint major, guint minor, guint micro)
{
    const guint want[3] = { major, minor, micro };

    for (guint i = 0; i < 3; i++) {
        if (caps->v[i] != want[i])
            return caps->v[i] > want[i];
    }
    return TRUE;
}

/**
 * vfw_firewalld_caps_any_dispatch_bug:
 * Why this firewalld may not apply our ANY-ingress policy (virtfw-pub) to traffic from
 * interfaces that join a zone at runtime, or NULL: 2.0.0 and 2.0.1 did not update the
 * dispatch of ANY-zone policies then (firewalld issues 1229 and 1234, fixed in 2.0.2).
 */
const char *
vfw_firewalld_caps_any_dispatch_bug(const VfwFirewalldCaps *caps)
{
    if (caps->v[0] == 2 && caps->v[1] == 0 && caps->v[2] < 2)
        return "firewalld 2.0.0 and 2.0.1 do not update policies from the zone 'ANY' when an "
               "interface joins a zone at runtime (firewalld issues 1229, 1234): published "
               "ports may not answer on a bridge bound after firewalld started";
    return NULL;
}

/**
 * vfw_setting_to_string:
 * "yes", "no" or "absent".
 */
const char *
vfw_setting_to_string(VfwSetting setting)
{
    switch (setting) {
    case VFW_SETTING_YES:
        return "yes";
    case VFW_SETTING_NO:
        return "no";
    case VFW_SETTING_ABSENT:
    default:
        return "absent";
    }
}
