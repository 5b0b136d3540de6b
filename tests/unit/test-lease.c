/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's lease status files (DNSMASQ_DIR/BRIDGE.status, written by its leases helper)
 * as vfw_lease_lookup() reads them: which lease of a MAC is live, and files it must not
 * misread (a hostname with braces and quotes, numbers and strings swapped, not JSON).
 */
#include <glib/gstdio.h>

#include "lease.h"

#define MAC "52:54:00:aa:00:01"
#define NOW 1700000000

typedef struct {
    const char *label;
    const char *file;
    const char *want; /* the address, or NULL for none */
} LeaseCase;

static const LeaseCase lease_cases[] = {
    { "live",
      "[{\"ip-address\": \"192.168.100.150\", \"mac-address\": \"" MAC "\", "
      "\"expiry-time\": 1700000100}]",
      "192.168.100.150" },
    { "infinite",
      "[{\"ip-address\": \"192.168.100.151\", \"mac-address\": \"" MAC "\", "
      "\"expiry-time\": 0}]",
      "192.168.100.151" },
    { "expired",
      "[{\"ip-address\": \"192.168.100.150\", \"mac-address\": \"" MAC "\", "
      "\"expiry-time\": 1699999999}]",
      NULL },
    { "mac-upper-case",
      "[{\"ip-address\": \"192.168.100.152\", "
      "\"mac-address\": \"52:54:00:AA:00:01\", \"expiry-time\": 0}]",
      "192.168.100.152" },
    { "other-mac",
      "[{\"ip-address\": \"192.168.100.150\", \"mac-address\": \"52:54:00:aa:00:02\", "
      "\"expiry-time\": 0}]",
      NULL },
    { "ipv6-then-ipv4",
      "[{\"ip-address\": \"fd00::5\", \"mac-address\": \"" MAC "\", "
      "\"expiry-time\": 0}, {\"ip-address\": \"192.168.100.153\", "
      "\"mac-address\": \"" MAC "\", \"expiry-time\": 0}]",
      "192.168.100.153" },
    /* braces and escaped quotes in a hostname are part of a string, not of the structure */
    { "hostname-with-braces-and-quotes",
      "[{\"ip-address\": \"192.168.100.154\", \"hostname\": \"a}\\\"mac-address\\\": \\\"" MAC
      "\\\"{\", \"mac-address\": \"52:54:00:aa:00:09\", \"expiry-time\": 0}]",
      NULL },
    { "expiry-as-string",
      "[{\"ip-address\": \"192.168.100.155\", \"mac-address\": \"" MAC "\", "
      "\"expiry-time\": \"0\"}]",
      NULL },
    { "address-as-number",
      "[{\"ip-address\": 3232261275, \"mac-address\": \"" MAC "\", "
      "\"expiry-time\": 0}]",
      NULL },
    { "not-an-array", "{\"ip-address\": \"192.168.100.150\", \"mac-address\": \"" MAC "\"}", NULL },
    { "not-json", "[{\"ip-address\": \"192.168.100.150\", \"mac-address\": \"" MAC "\",", NULL },
    { "empty-array", "[]", NULL },
    { "empty-file", "", NULL },
};

static void
test_lookup(gconstpointer data)
{
    const LeaseCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("vfw-lease-XXXXXX", &error);
    g_autofree char *path = NULL;
    g_autoptr(GInetAddress) addr = NULL;
    g_autofree char *got = NULL;

    g_assert_no_error(error);
    path = g_build_filename(dir, "virbr1.status", NULL);
    g_assert_true(g_file_set_contents(path, tc->file, -1, &error));
    addr = vfw_lease_lookup(path, MAC, NOW);
    got = addr ? g_inet_address_to_string(addr) : NULL;
    g_assert_cmpstr(got, ==, tc->want);
    g_unlink(path);
    g_rmdir(dir);
}

static void
test_missing_file(void)
{
    g_assert_null(vfw_lease_lookup("/nonexistent/virbr1.status", MAC, NOW));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(lease_cases); i++) {
        g_autofree char *p = g_strdup_printf("/lease/lookup/%s", lease_cases[i].label);
        g_test_add_data_func(p, &lease_cases[i], test_lookup);
    }
    g_test_add_func("/lease/missing-file", test_missing_file);
    return g_test_run();
}
