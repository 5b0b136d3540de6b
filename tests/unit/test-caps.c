/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capability probe (caps.c) with what each firewalld really returns: the config
 * object's properties as GetAll gave them on Debian 12 (1.3.3) and Debian 13 (2.3.1),
 * both measured in the integration sandbox.
 */
#include "caps.h"

#define PROPS_1_3_3                                                                                \
    "{'DefaultZone': <'public'>, 'MinimalMark': <100>, 'CleanupOnExit': <'yes'>, "                 \
    "'CleanupModulesOnExit': <'no'>, 'Lockdown': <'no'>, 'IPv6_rpfilter': <'yes'>, "               \
    "'IndividualCalls': <'no'>, 'LogDenied': <'off'>, 'AutomaticHelpers': <'no'>, "                \
    "'FirewallBackend': <'nftables'>, 'FlushAllOnReload': <'yes'>, 'RFC3964_IPv4': <'yes'>, "      \
    "'AllowZoneDrifting': <'no'>}"
#define PROPS_2_3_1_HEAD                                                                           \
    "{'DefaultZone': <'public'>, 'MinimalMark': <100>, 'CleanupOnExit': <'yes'>, "                 \
    "'CleanupModulesOnExit': <'no'>, 'IPv6_rpfilter': <'yes'>, 'IPv6_rpfilter2': <'strict'>, "     \
    "'Lockdown': <'no'>, 'IndividualCalls': <'no'>, 'LogDenied': <'off'>, "                        \
    "'AutomaticHelpers': <'no'>, 'FirewallBackend': <'nftables'>, "                                \
    "'FlushAllOnReload': <'yes'>, 'RFC3964_IPv4': <'yes'>, 'AllowZoneDrifting': <'no'>, "          \
    "'NftablesFlowtable': <'off'>, 'NftablesCounters': <'no'>, "

typedef struct {
    const char *label;
    const char *version;
    const char *props; /* GVariant text of an a{sv}, or NULL: not readable */
    guint v[3];
    const char *backend;
    VfwSetting strict;
    VfwSetting owner;
    gboolean any_bug;
    gboolean at_least_2_3;
} CapsCase;

static const CapsCase caps_cases[] = {
    { "debian12-1.3.3",
      "1.3.3",
      PROPS_1_3_3,
      { 1, 3, 3 },
      "nftables",
      VFW_SETTING_ABSENT,
      VFW_SETTING_ABSENT,
      FALSE,
      FALSE },
    { "debian13-2.3.1",
      "2.3.1",
      PROPS_2_3_1_HEAD "'NftablesTableOwner': <'yes'>, 'StrictForwardPorts': <'no'>}",
      { 2, 3, 1 },
      "nftables",
      VFW_SETTING_NO,
      VFW_SETTING_YES,
      FALSE,
      TRUE },
    { "strict-forward-ports-yes",
      "2.3.1",
      PROPS_2_3_1_HEAD "'NftablesTableOwner': <'no'>, 'StrictForwardPorts': <'yes'>}",
      { 2, 3, 1 },
      "nftables",
      VFW_SETTING_YES,
      VFW_SETTING_NO,
      FALSE,
      TRUE },
    { "true-spelling",
      "2.5.0",
      "{'StrictForwardPorts': <'True'>}",
      { 2, 5, 0 },
      NULL,
      VFW_SETTING_YES,
      VFW_SETTING_ABSENT,
      FALSE,
      TRUE },
    { "iptables-backend",
      "1.3.3",
      "{'FirewallBackend': <'iptables'>}",
      { 1, 3, 3 },
      "iptables",
      VFW_SETTING_ABSENT,
      VFW_SETTING_ABSENT,
      FALSE,
      FALSE },
    { "2.0.0-any-dispatch",
      "2.0.0",
      "@a{sv} {}",
      { 2, 0, 0 },
      NULL,
      VFW_SETTING_ABSENT,
      VFW_SETTING_ABSENT,
      TRUE,
      FALSE },
    { "2.0.1-any-dispatch",
      "2.0.1",
      "@a{sv} {}",
      { 2, 0, 1 },
      NULL,
      VFW_SETTING_ABSENT,
      VFW_SETTING_ABSENT,
      TRUE,
      FALSE },
    { "2.0.2-fixed",
      "2.0.2",
      "@a{sv} {}",
      { 2, 0, 2 },
      NULL,
      VFW_SETTING_ABSENT,
      VFW_SETTING_ABSENT,
      FALSE,
      FALSE },
    { "props-unreadable",
      "2.3.1",
      NULL,
      { 2, 3, 1 },
      NULL,
      VFW_SETTING_ABSENT,
      VFW_SETTING_ABSENT,
      FALSE,
      TRUE },
    { "distro-suffix",
      "2.3.1-1+deb13u1",
      "@a{sv} {}",
      { 2, 3, 1 },
      NULL,
      VFW_SETTING_ABSENT,
      VFW_SETTING_ABSENT,
      FALSE,
      TRUE },
    { "two-numbers",
      "2.4",
      "@a{sv} {}",
      { 2, 4, 0 },
      NULL,
      VFW_SETTING_ABSENT,
      VFW_SETTING_ABSENT,
      FALSE,
      TRUE },
    { "garbage-version",
      "unknown",
      "@a{sv} {}",
      { 0, 0, 0 },
      NULL,
      VFW_SETTING_ABSENT,
      VFW_SETTING_ABSENT,
      FALSE,
      FALSE },
};

static void
test_caps(gconstpointer data)
{
    const CapsCase *tc = data;
    g_autoptr(GVariant) props = NULL;
    g_autoptr(VfwFirewalldCaps) caps = NULL;

    if (tc->props)
        props = g_variant_ref_sink(g_variant_new_parsed(tc->props));
    caps = vfw_firewalld_caps_new(tc->version, props);
    g_assert_cmpstr(caps->version, ==, tc->version);
    for (guint i = 0; i < 3; i++)
        g_assert_cmpuint(caps->v[i], ==, tc->v[i]);
    g_assert_cmpstr(caps->backend, ==, tc->backend);
    g_assert_cmpint(caps->strict_forward_ports, ==, tc->strict);
    g_assert_cmpint(caps->nftables_table_owner, ==, tc->owner);
    g_assert_cmpint(vfw_firewalld_caps_any_dispatch_bug(caps) != NULL, ==, tc->any_bug);
    g_assert_cmpint(vfw_firewalld_caps_at_least(caps, 2, 3, 0), ==, tc->at_least_2_3);
}

static void
test_version_order(void)
{
    g_autoptr(VfwFirewalldCaps) caps = vfw_firewalld_caps_new("2.3.1", NULL);

    g_assert_true(vfw_firewalld_caps_at_least(caps, 2, 3, 1));
    g_assert_true(vfw_firewalld_caps_at_least(caps, 1, 9, 9));
    g_assert_true(vfw_firewalld_caps_at_least(caps, 2, 2, 10));
    g_assert_false(vfw_firewalld_caps_at_least(caps, 2, 3, 2));
    g_assert_false(vfw_firewalld_caps_at_least(caps, 3, 0, 0));
}

static void
test_version_huge_number(void)
{
    guint v[3];

    g_assert_true(vfw_version_parse("99999999999999999999.1", v));
    g_assert_cmpuint(v[0], <=, G_MAXUINT);
    g_assert_false(vfw_version_parse(NULL, v));
    g_assert_false(vfw_version_parse("", v));
    g_assert_false(vfw_version_parse("v2.3", v));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(caps_cases); i++) {
        g_autofree char *path = g_strdup_printf("/caps/firewalld/%s", caps_cases[i].label);
        g_test_add_data_func(path, &caps_cases[i], test_caps);
    }
    g_test_add_func("/caps/version-order", test_version_order);
    g_test_add_func("/caps/version-huge-number", test_version_huge_number);
    return g_test_run();
}
