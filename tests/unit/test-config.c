/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Configuration: forwards.d drop-ins (from memory and from files) and the main
 * virt-firewalld.conf. Every refusal must name the file and line, as an admin fixing an
 * Ansible template would need.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "vfw-error.h"
#include "vfw-test.h"

#define UUID_A "6f9a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"

/* ---- temporary configuration directories ---- */

typedef struct {
    char *dir;     /* the confdir */
    char *dropdir; /* confdir/forwards.d */
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->dir = g_dir_make_tmp("vfw-config-XXXXXX", &error);
    g_assert_no_error(error);
    fx->dropdir = g_build_filename(fx->dir, "forwards.d", NULL);
    g_assert_cmpint(g_mkdir(fx->dropdir, 0755), ==, 0);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
    rm_rf(fx->dir);
    g_free(fx->dir);
    g_free(fx->dropdir);
}

/* Writes @text to DIR/NAME with @mode, returns the path. */
static char *
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    g_autoptr(GError) error = NULL;
    char *path = g_build_filename(dir, name, NULL);

    g_assert_true(g_file_set_contents(path, text, -1, &error));
    g_assert_no_error(error);
    g_assert_cmpint(chmod(path, mode), ==, 0);
    return path;
}

/* ---- drop-ins from memory ---- */

static gboolean
load_data(VfwConfig *config, const char *text, const char *origin, GError **error)
{
    return vfw_config_load_dropin_data(config, text, strlen(text), origin, error);
}

static const VfwDeclForward *
forward_at(const VfwGuestDecl *decl, guint i)
{
    g_assert_cmpuint(i, <, decl->forwards->len);
    return g_ptr_array_index(decl->forwards, i);
}

static void
assert_forward(const VfwDeclForward *fwd, const char *spec_text, const char *origin)
{
    g_autofree char *text = vfw_port_spec_to_string(&fwd->spec);

    g_assert_cmpstr(text, ==, spec_text);
    g_assert_cmpstr(fwd->origin, ==, origin);
    g_assert_null(fwd->address);
}

static void
assert_inet(GInetAddress *addr, const char *expected)
{
    g_autofree char *text = NULL;

    g_assert_nonnull(addr);
    text = g_inet_address_to_string(addr);
    g_assert_cmpstr(text, ==, expected);
}

static void
test_dropin_full(void)
{
    g_autoptr(VfwConfig) config = vfw_config_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *source = NULL;
    const VfwGuestDecl *decl;
    const char *text = "# published services of web01\n"
                       "[web01]\n"
                       "forward = 8080:80/tcp; 8443:443 ;5000-5010/udp;\n"
                       "address = 192.168.100.10\n"
                       "address6 = 2001:DB8:100::10\n"
                       "source = 203.0.113.0/24\n";

    g_assert_true(load_data(config, text, "/etc/virt-firewalld/forwards.d/web.conf", &error));
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(config->guests), ==, 1);
    decl = g_hash_table_lookup(config->guests, "web01");
    g_assert_nonnull(decl);
    g_assert_cmpstr(decl->group, ==, "web01");
    g_assert_cmpstr(decl->origin, ==, "/etc/virt-firewalld/forwards.d/web.conf:2");
    g_assert_cmpuint(decl->forwards->len, ==, 3);
    assert_forward(forward_at(decl, 0), "8080:80/tcp", "/etc/virt-firewalld/forwards.d/web.conf:3");
    assert_forward(forward_at(decl, 1), "8443:443/tcp",
                   "/etc/virt-firewalld/forwards.d/web.conf:3");
    assert_forward(forward_at(decl, 2), "5000-5010:5000-5010/udp",
                   "/etc/virt-firewalld/forwards.d/web.conf:3");
    assert_inet(decl->address, "192.168.100.10");
    assert_inet(decl->address6, "2001:db8:100::10");
    g_assert_nonnull(decl->source);
    source = g_inet_address_mask_to_string(decl->source);
    g_assert_cmpstr(source, ==, "203.0.113.0/24");
}

static void
test_dropin_minimal(void)
{
    g_autoptr(VfwConfig) config = vfw_config_new();
    g_autoptr(GError) error = NULL;
    const VfwGuestDecl *decl;

    g_assert_true(load_data(config, "[db01]\nforward=5432\n\n[" UUID_A "]\nforward=22:22\n",
                            "x.conf", &error));
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(config->guests), ==, 2);
    decl = g_hash_table_lookup(config->guests, "db01");
    g_assert_cmpuint(decl->forwards->len, ==, 1);
    assert_forward(forward_at(decl, 0), "5432:5432/tcp", "x.conf:2");
    g_assert_null(decl->address);
    g_assert_null(decl->address6);
    g_assert_null(decl->source);
    decl = g_hash_table_lookup(config->guests, UUID_A);
    g_assert_nonnull(decl);
    assert_forward(forward_at(decl, 0), "22:22/tcp", "x.conf:5");
}

/* The same guest in two drop-ins: forwards add up, each keeping its own FILE:LINE. */
static void
test_dropin_merge(void)
{
    g_autoptr(VfwConfig) config = vfw_config_new();
    g_autoptr(GError) error = NULL;
    const VfwGuestDecl *decl;

    g_assert_true(load_data(config, "[web01]\nforward=8080:80\naddress=192.168.100.10\n",
                            "10-web.conf", &error));
    g_assert_true(
        load_data(config, "\n\n[web01]\nforward=8443:443;53/udp\n", "20-web.conf", &error));
    g_assert_no_error(error);
    decl = g_hash_table_lookup(config->guests, "web01");
    g_assert_cmpuint(decl->forwards->len, ==, 3);
    assert_forward(forward_at(decl, 0), "8080:80/tcp", "10-web.conf:2");
    assert_forward(forward_at(decl, 1), "8443:443/tcp", "20-web.conf:4");
    assert_forward(forward_at(decl, 2), "53:53/udp", "20-web.conf:4");
    g_assert_cmpstr(decl->origin, ==, "10-web.conf:1");
    assert_inet(decl->address, "192.168.100.10");
}

/* A drop-in naming a guest by an upper-case UUID (as dmidecode prints it) still matches:
 * libvirt UUIDs compare case-insensitively and the domain parser lower-cases them. */
static void
test_dropin_uuid_case(void)
{
    g_autoptr(VfwConfig) config = vfw_config_new();
    g_autoptr(GError) error = NULL;
    const VfwGuestDecl *decl;
    g_autofree char *upper = g_ascii_strup(UUID_A, -1);
    g_autofree char *text = g_strdup_printf("[%s]\nforward=8080:80\n", upper);

    g_assert_true(load_data(config, text, "u.conf", &error));
    g_assert_no_error(error);
    decl = vfw_config_lookup_guest(config, "web01", UUID_A, &error);
    g_assert_no_error(error);
    g_assert_nonnull(decl);
    g_assert_cmpuint(decl->forwards->len, ==, 1);
}

typedef struct {
    const char *label;
    const char *first;  /* loaded as a.conf, must succeed (NULL: none) */
    const char *second; /* loaded as b.conf, must fail */
    const char *needles[4];
} DropinBadCase;

static const DropinBadCase dropin_bad_cases[] = {
    { "address-twice",
      "[web01]\naddress=192.168.100.10\n",
      "[web01]\nforward=80\naddress=192.168.100.11\n",
      { "b.conf:3", "a.conf", "guest 'web01'", "'address' already set" } },
    { "address6-twice",
      "[web01]\naddress6=2001:db8::10\n",
      "[web01]\naddress6=2001:db8::11\n",
      { "b.conf:2", "a.conf", "'address6' already set" } },
    { "source-twice",
      "[web01]\nsource=203.0.113.0/24\n",
      "[web01]\nsource=198.51.100.0/24\n",
      { "b.conf:2", "a.conf", "'source' already set" } },
    { "unknown-key",
      NULL,
      "[web01]\nforward=80\nport=90\n",
      { "b.conf:3", "guest 'web01'", "unknown key 'port'" } },
    { "unknown-key-indented",
      NULL,
      "[web01]\n\n  # comment\n  to-addr = 10.0.0.1\n",
      { "b.conf:4", "unknown key 'to-addr'" } },
    { "localized-key", NULL, "[web01]\nforward[de]=80\n", { "b.conf:2", "unknown key" } },
    { "bad-port",
      NULL,
      "[web01]\n\nforward = 8080:0/tcp\n",
      { "b.conf:3", "guest 'web01'", "guest port '0'" } },
    { "bad-port-in-list",
      NULL,
      "[web01]\nforward = 80; 70000\n",
      { "b.conf:2", "host port '70000'" } },
    { "injection",
      NULL,
      "[web01]\nforward = 80 to-addr=10.0.0.1\n",
      { "b.conf:2", "unexpected character ' '" } },
    { "bad-proto",
      NULL,
      "[web01]\nforward = 80/icmp\n",
      { "b.conf:2", "unknown protocol 'icmp'" } },
    { "source-host-bits",
      NULL,
      "[web01]\nforward=80\nsource = 203.0.113.5/24\n",
      { "b.conf:3", "key 'source'", "'203.0.113.5/24'" } },
    { "source-garbage", NULL, "[web01]\nsource = everyone\n", { "b.conf:2", "'everyone'" } },
    { "address-v6-in-v4",
      NULL,
      "[web01]\naddress = 2001:db8::1\n",
      { "b.conf:2", "key 'address'", "'2001:db8::1' is not an IPv4 address" } },
    { "address6-v4",
      NULL,
      "[web01]\naddress6 = 192.168.100.10\n",
      { "b.conf:2", "key 'address6'", "is not an IPv6 address" } },
    { "address-loopback",
      NULL,
      "[web01]\naddress = 127.0.0.1\n",
      { "b.conf:2", "cannot be used" } },
    { "address-hostname",
      NULL,
      "[web01]\naddress = web01.example\n",
      { "b.conf:2", "'web01.example'" } },
    /* GKeyFile keeps only the last of repeated keys: refused rather than half-read. */
    { "forward-twice",
      NULL,
      "[web01]\nforward = 80\nforward = 81\n",
      { "b.conf:2", "guest 'web01'", "key 'forward' set more than once", "';'" } },
    { "group-twice-in-file",
      NULL,
      "[web01]\nforward=80\n[db01]\nforward=1\n[web01]\nforward=82\n",
      { "b.conf:2", "key 'forward' set more than once" } },
    { "address-twice-in-file",
      NULL,
      "[web01]\naddress=192.168.1.1\naddress=192.168.1.2\n",
      { "b.conf:2", "key 'address' set more than once" } },
    /* Read raw: a bad escape was a silently empty value; a trailing one after it made GLib
     * (2.74) warn (fuzz). */
    { "forward-bad-escape",
      NULL,
      "[web01]\nforward = 8080:80\\q\n",
      { "b.conf:2", "guest 'web01'", "unexpected character '\\'" } },
    { "forward-two-bad-escapes",
      NULL,
      "[web01]\nforward = 506-509\\00\\\\\\\n",
      { "b.conf:2", "unexpected character '\\'" } },
    { "address-escape",
      NULL,
      "[web01]\naddress = \\s192.168.100.10\n",
      { "b.conf:2", "key 'address'", "'\\s192.168.100.10'" } },
    { "no-group", NULL, "forward = 80\n", { "b.conf" } },
    { "not-utf8", NULL, "[web01]\nforward = 80\xff\n", { "b.conf", "not UTF-8" } },
    { "nul-byte", NULL, NULL, { "b.conf", "not UTF-8" } },
};

static void
test_dropin_bad(gconstpointer data)
{
    const DropinBadCase *tc = data;
    g_autoptr(VfwConfig) config = vfw_config_new();
    g_autoptr(GError) error = NULL;

    if (tc->first) {
        g_assert_true(load_data(config, tc->first, "a.conf", &error));
        g_assert_no_error(error);
    }
    if (tc->second) {
        g_assert_false(load_data(config, tc->second, "b.conf", &error));
    } else {
        static const char nul[] = "[web01]\nforward=80\0\n";
        g_assert_false(vfw_config_load_dropin_data(config, nul, sizeof(nul) - 1, "b.conf", &error));
    }
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
    g_assert_true(g_str_has_prefix(error->message, "b.conf"));
    for (guint i = 0; i < G_N_ELEMENTS(tc->needles) && tc->needles[i]; i++)
        assert_contains(error->message, tc->needles[i]);
}

/* ---- guest lookup ---- */

static void
test_lookup(void)
{
    g_autoptr(VfwConfig) config = vfw_config_new();
    g_autoptr(GError) error = NULL;
    const VfwGuestDecl *decl;

    g_assert_true(load_data(config, "[web01]\nforward=80\n", "by-name.conf", &error));
    g_assert_true(load_data(config, "[" UUID_A "]\nforward=443\n", "by-uuid.conf", &error));
    g_assert_no_error(error);

    decl = vfw_config_lookup_guest(config, "web01", "00000000-0000-4000-8000-000000000001", &error);
    g_assert_no_error(error);
    g_assert_nonnull(decl);
    g_assert_cmpstr(decl->group, ==, "web01");

    decl = vfw_config_lookup_guest(config, "web01", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(decl->group, ==, "web01");

    decl = vfw_config_lookup_guest(config, "renamed", UUID_A, &error);
    g_assert_no_error(error);
    g_assert_nonnull(decl);
    g_assert_cmpstr(decl->group, ==, UUID_A);

    decl = vfw_config_lookup_guest(config, "db01", "00000000-0000-4000-8000-000000000001", &error);
    g_assert_no_error(error);
    g_assert_null(decl);

    decl = vfw_config_lookup_guest(config, "web01", UUID_A, &error);
    g_assert_null(decl);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
    assert_contains(error->message, "guest 'web01'");
    assert_contains(error->message, "by-name.conf:1");
    assert_contains(error->message, "by-uuid.conf:1");
}

/* ---- the main configuration file ---- */

typedef struct {
    const char *label;
    const char *text;
    VfwOnError on_error;
    guint timeout_ms;
    const char *needles[4]; /* non-NULL: must fail with these in the message */
} MainCase;

static const MainCase main_cases[] = {
    { "empty", "", VFW_ON_ERROR_FAIL, 5000, { NULL } },
    { "warn", "[hook]\non-error = warn\ndbus-timeout = 10\n", VFW_ON_ERROR_WARN, 10000, { NULL } },
    { "fail", "# defaults\n[hook]\non-error=fail\n", VFW_ON_ERROR_FAIL, 5000, { NULL } },
    { "timeout-min", "[hook]\ndbus-timeout=1\n", VFW_ON_ERROR_FAIL, 1000, { NULL } },
    { "timeout-max", "[hook]\ndbus-timeout=120\n", VFW_ON_ERROR_FAIL, 120000, { NULL } },
    { "on-error-bad",
      "[hook]\n\non-error = maybe\n",
      0,
      0,
      { "virt-firewalld.conf:3", "key 'on-error'", "invalid value 'maybe'", "fail or warn" } },
    { "on-error-case",
      "[hook]\non-error = WARN\n",
      0,
      0,
      { "virt-firewalld.conf:2", "invalid value 'WARN'" } },
    { "timeout-zero",
      "[hook]\ndbus-timeout = 0\n",
      0,
      0,
      { "virt-firewalld.conf:2", "key 'dbus-timeout'", "invalid value '0'", "1-120" } },
    { "timeout-too-long",
      "[hook]\ndbus-timeout = 121\n",
      0,
      0,
      { "virt-firewalld.conf:2", "invalid value '121'" } },
    { "on-error-escape",
      "[hook]\non-error = w\\sarn\n",
      0,
      0,
      { "virt-firewalld.conf:2", "invalid value 'w\\sarn'" } },
    { "timeout-negative", "[hook]\ndbus-timeout = -5\n", 0, 0, { "invalid value '-5'" } },
    { "timeout-units", "[hook]\ndbus-timeout = 5s\n", 0, 0, { "invalid value '5s'" } },
    { "timeout-overflow",
      "[hook]\ndbus-timeout = 4294967297\n",
      0,
      0,
      { "invalid value '4294967297'" } },
    { "hook-unknown-key",
      "[hook]\non-error=warn\nretries=3\n",
      0,
      0,
      { "virt-firewalld.conf:3", "unknown key 'retries' in [hook]" } },
    { "unknown-group",
      "[hook]\non-error=warn\n\n[forwards]\nweb01=80\n",
      0,
      0,
      { "virt-firewalld.conf:4", "unknown group '[forwards]'" } },
    { "network-empty-name",
      "[network:]\nzone=public\n",
      0,
      0,
      { "virt-firewalld.conf:1", "unknown group '[network:]'" } },
    { "zone-bad-chars",
      "[network:default]\nzone = trusted;drop\n",
      0,
      0,
      { "virt-firewalld.conf:2", "network 'default'", "'trusted;drop' is not a firewalld zone" } },
    { "zone-space", "[network:default]\nzone = my zone\n", 0, 0, { "'my zone'" } },
    { "zone-too-long",
      "[network:default]\nzone = abcdefghijklmnopqr\n",
      0,
      0,
      { "'abcdefghijklmnopqr' is not a firewalld zone" } },
    { "zone-empty", "[network:default]\nzone =\n", 0, 0, { "'' is not a firewalld zone" } },
    { "network-unknown-key",
      "[network:default]\nzone=public\npolicy=x\n",
      0,
      0,
      { "virt-firewalld.conf:3", "unknown key 'policy' in [network:default]" } },
    { "not-keyfile", "on-error=warn\n", 0, 0, { "virt-firewalld.conf" } },
};

static void
test_main(Fixture *fx, gconstpointer data)
{
    const MainCase *tc = data;
    g_autoptr(VfwConfig) config = vfw_config_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *path = write_file(fx->dir, "virt-firewalld.conf", tc->text, 0644);
    gboolean ok = vfw_config_load_main(config, path, &error);

    if (!tc->needles[0]) {
        g_assert_no_error(error);
        g_assert_true(ok);
        g_assert_cmpint(config->on_error, ==, tc->on_error);
        g_assert_cmpuint(config->dbus_timeout_ms, ==, tc->timeout_ms);
        return;
    }
    g_assert_false(ok);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
    g_assert_true(g_str_has_prefix(error->message, path));
    for (guint i = 0; i < G_N_ELEMENTS(tc->needles) && tc->needles[i]; i++)
        assert_contains(error->message, tc->needles[i]);
}

static void
test_main_zones(Fixture *fx, gconstpointer data)
{
    g_autoptr(VfwConfig) config = vfw_config_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *path = write_file(fx->dir, "virt-firewalld.conf",
                                       "[network:default]\nzone = libvirt-routed\n\n"
                                       "[network:lab-net]\nzone=lab_zone\n",
                                       0600);

    g_assert_true(vfw_config_load_main(config, path, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(config->network_zones), ==, 2);
    g_assert_cmpstr(g_hash_table_lookup(config->network_zones, "default"), ==, "libvirt-routed");
    g_assert_cmpstr(g_hash_table_lookup(config->network_zones, "lab-net"), ==, "lab_zone");
}

static void
test_main_missing(Fixture *fx, gconstpointer data)
{
    g_autoptr(VfwConfig) config = vfw_config_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(fx->dir, "virt-firewalld.conf", NULL);

    g_assert_true(vfw_config_load_main(config, path, &error));
    g_assert_no_error(error);
    g_assert_cmpint(config->on_error, ==, VFW_ON_ERROR_FAIL);
    g_assert_cmpuint(config->dbus_timeout_ms, ==, 5000);
    g_assert_cmpuint(g_hash_table_size(config->network_zones), ==, 0);
}

static void
test_zone_names(void)
{
    g_assert_true(vfw_zone_name_is_valid("public"));
    g_assert_true(vfw_zone_name_is_valid("libvirt-routed"));
    g_assert_true(vfw_zone_name_is_valid("a_b-C9"));
    g_assert_true(vfw_zone_name_is_valid("abcdefghijklmnopq")); /* 17 */
    g_assert_false(vfw_zone_name_is_valid("abcdefghijklmnopqr"));
    g_assert_false(vfw_zone_name_is_valid(""));
    g_assert_false(vfw_zone_name_is_valid(NULL));
    g_assert_false(vfw_zone_name_is_valid("../etc"));
    g_assert_false(vfw_zone_name_is_valid("zone name"));
    g_assert_false(vfw_zone_name_is_valid("z\xc3\xa9"));
}

/* ---- the whole directory, from files ---- */

static void
test_load_dir(Fixture *fx, gconstpointer data)
{
    g_autoptr(VfwConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;
    g_autofree char *main_path = NULL;
    g_autofree char *where_a = NULL, *where_b = NULL;
    const VfwGuestDecl *decl;

    main_path = write_file(fx->dir, "virt-firewalld.conf",
                           "[hook]\non-error=warn\n[network:default]\nzone=libvirt-routed\n", 0644);
    /* Loaded in name order: 10- before 20-, whatever the directory order. */
    b = write_file(fx->dropdir, "20-web.conf", "[web01]\nforward=8443:443\n", 0644);
    a = write_file(fx->dropdir, "10-web.conf", "[web01]\nforward=8080:80\naddress=192.168.100.10\n",
                   0600);
    c = write_file(fx->dropdir, "README", "not a drop-in [\n", 0644);
    d = write_file(fx->dropdir, ".hidden.conf", "[ignored]\nforward=1\n", 0644);
    e = write_file(fx->dropdir, "web.conf.rpmsave", "[ignored2]\nforward=1\n", 0644);

    config = vfw_config_load(fx->dir, &error);
    g_assert_no_error(error);
    g_assert_nonnull(config);
    g_assert_cmpint(config->on_error, ==, VFW_ON_ERROR_WARN);
    g_assert_cmpstr(g_hash_table_lookup(config->network_zones, "default"), ==, "libvirt-routed");
    g_assert_cmpuint(g_hash_table_size(config->guests), ==, 1);
    decl = g_hash_table_lookup(config->guests, "web01");
    g_assert_cmpuint(decl->forwards->len, ==, 2);
    where_a = g_strdup_printf("%s:2", a);
    where_b = g_strdup_printf("%s:2", b);
    assert_forward(forward_at(decl, 0), "8080:80/tcp", where_a);
    assert_forward(forward_at(decl, 1), "8443:443/tcp", where_b);
    assert_inet(decl->address, "192.168.100.10");
}

static void
test_load_dir_empty(Fixture *fx, gconstpointer data)
{
    g_autoptr(VfwConfig) config = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(g_rmdir(fx->dropdir), ==, 0);
    config = vfw_config_load(fx->dir, &error);
    g_assert_no_error(error);
    g_assert_nonnull(config);
    g_assert_cmpuint(g_hash_table_size(config->guests), ==, 0);
}

/* The second drop-in sets the address again: the error names it with its line. */
static void
test_load_dir_conflict(Fixture *fx, gconstpointer data)
{
    g_autoptr(VfwConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *a =
        write_file(fx->dropdir, "10-a.conf", "[web01]\naddress=192.168.1.2\n", 0644);
    g_autofree char *b =
        write_file(fx->dropdir, "20-b.conf", "[web01]\nforward=80\naddress=192.168.1.3\n", 0644);
    g_autofree char *where_b = g_strdup_printf("%s:3", b);

    config = vfw_config_load(fx->dir, &error);
    g_assert_null(config);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
    assert_contains(error->message, where_b);
    assert_contains(error->message, a);
}

/* A hook reads only its own guest's groups, by name or by UUID in either case: another
 * guest's mistake does not stop it, and its forwards are not loaded. With neither name nor
 * UUID, only the main file counts. The file itself must still parse. */
static void
test_load_for_guest(Fixture *fx, gconstpointer data)
{
    g_autoptr(VfwConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *m =
        write_file(fx->dir, "virt-firewalld.conf", "[hook]\non-error=warn\n", 0644);
    g_autofree char *a = write_file(fx->dropdir, "10-a.conf",
                                    "[web01]\nforward=8080:80\n"
                                    "[db01]\nforward=not-a-port\n"
                                    "[6B1C0F2E-0000-4000-8000-000000000001]\nforward=8443:443\n",
                                    0644);
    const VfwGuestDecl *decl;

    config =
        vfw_config_load_for_guest(fx->dir, "web01", "6b1c0f2e-0000-4000-8000-000000000001", &error);
    g_assert_no_error(error);
    g_assert_cmpint(config->on_error, ==, VFW_ON_ERROR_WARN);
    g_assert_cmpuint(g_hash_table_size(config->guests), ==, 2);
    decl = g_hash_table_lookup(config->guests, "web01");
    g_assert_nonnull(decl);
    g_assert_cmpuint(decl->forwards->len, ==, 1);
    g_assert_null(g_hash_table_lookup(config->guests, "db01"));
    /* both groups name web01: the lookup reports what a whole load would */
    g_assert_null(
        vfw_config_lookup_guest(config, "web01", "6b1c0f2e-0000-4000-8000-000000000001", &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
    g_clear_error(&error);
    g_clear_pointer(&config, vfw_config_free);

    config = vfw_config_load_for_guest(fx->dir, "other", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_hash_table_size(config->guests), ==, 0);
    g_clear_pointer(&config, vfw_config_free);

    config = vfw_config_load_for_guest(fx->dir, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpint(config->on_error, ==, VFW_ON_ERROR_WARN);
    g_assert_cmpuint(g_hash_table_size(config->guests), ==, 0);
    g_clear_pointer(&config, vfw_config_free);

    /* db01's own hook sees its mistake, named with FILE:LINE; so does a whole load */
    config = vfw_config_load_for_guest(fx->dir, "db01", NULL, &error);
    g_assert_null(config);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
    g_clear_error(&error);
    config = vfw_config_load(fx->dir, &error);
    g_assert_null(config);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
    g_clear_error(&error);

    /* a file that does not parse stops every guest: its groups cannot be told apart */
    g_free(write_file(fx->dropdir, "20-b.conf", "[web01\n", 0644));
    config = vfw_config_load_for_guest(fx->dir, "web01", NULL, &error);
    g_assert_null(config);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
}

typedef enum {
    HOSTILE_WORLD_WRITABLE,
    HOSTILE_GROUP_WRITABLE,
    HOSTILE_SYMLINK,
    HOSTILE_DANGLING_SYMLINK,
    HOSTILE_DIRECTORY,
    HOSTILE_FIFO,
    HOSTILE_FOREIGN_OWNER,
    HOSTILE_TOO_LARGE,
    HOSTILE_MAIN_WORLD_WRITABLE,
    HOSTILE_MAIN_SYMLINK,
} HostileKind;

typedef struct {
    const char *label;
    HostileKind kind;
    const char *needle;
} HostileCase;

static const HostileCase hostile_cases[] = {
    { "world-writable", HOSTILE_WORLD_WRITABLE, "writable by group or others" },
    { "group-writable", HOSTILE_GROUP_WRITABLE, "writable by group or others" },
    { "symlink", HOSTILE_SYMLINK, "evil.conf" },
    { "dangling-symlink", HOSTILE_DANGLING_SYMLINK, "evil.conf" },
    { "directory", HOSTILE_DIRECTORY, "not a regular file" },
    { "fifo", HOSTILE_FIFO, "not a regular file" },
    { "foreign-owner", HOSTILE_FOREIGN_OWNER, "not owned by root" },
    { "too-large", HOSTILE_TOO_LARGE, "larger than" },
    { "main-world-writable", HOSTILE_MAIN_WORLD_WRITABLE, "writable by group or others" },
    { "main-symlink", HOSTILE_MAIN_SYMLINK, "virt-firewalld.conf" },
};

static void
test_load_dir_hostile(Fixture *fx, gconstpointer data)
{
    const HostileCase *tc = data;
    g_autoptr(VfwConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(fx->dropdir, "evil.conf", NULL);
    g_autofree char *main_path = g_build_filename(fx->dir, "virt-firewalld.conf", NULL);
    g_autofree char *outside = write_file(fx->dir, "outside.txt", "[web01]\nforward=22\n", 0644);

    g_free(write_file(fx->dropdir, "00-good.conf", "[ok]\nforward=1\n", 0644));

    switch (tc->kind) {
    case HOSTILE_WORLD_WRITABLE:
        g_free(write_file(fx->dropdir, "evil.conf", "[web01]\nforward=22\n", 0666));
        break;
    case HOSTILE_GROUP_WRITABLE:
        g_free(write_file(fx->dropdir, "evil.conf", "[web01]\nforward=22\n", 0664));
        break;
    case HOSTILE_SYMLINK:
        g_assert_cmpint(symlink(outside, path), ==, 0);
        break;
    case HOSTILE_DANGLING_SYMLINK:
        g_assert_cmpint(symlink("/nonexistent/evil", path), ==, 0);
        break;
    case HOSTILE_DIRECTORY:
        g_assert_cmpint(g_mkdir(path, 0755), ==, 0);
        break;
    case HOSTILE_FIFO:
        /* Opening a FIFO for reading blocks until a writer comes: it must not hang us. */
        g_assert_cmpint(mkfifo(path, 0644), ==, 0);
        break;
    case HOSTILE_FOREIGN_OWNER:
        if (geteuid() != 0) {
            g_test_skip("needs root to give a file away");
            return;
        }
        g_free(write_file(fx->dropdir, "evil.conf", "[web01]\nforward=22\n", 0644));
        g_assert_cmpint(lchown(path, 65534, 65534), ==, 0);
        break;
    case HOSTILE_TOO_LARGE: {
        g_autofree char *big = g_strnfill(2 * 1024 * 1024, '#');
        g_free(write_file(fx->dropdir, "evil.conf", big, 0644));
        break;
    }
    case HOSTILE_MAIN_WORLD_WRITABLE:
        g_free(path);
        path = write_file(fx->dir, "virt-firewalld.conf", "[hook]\non-error=warn\n", 0666);
        break;
    case HOSTILE_MAIN_SYMLINK:
        g_free(path);
        path = g_strdup(main_path);
        g_assert_cmpint(symlink(outside, path), ==, 0);
        break;
    }

    config = vfw_config_load(fx->dir, &error);
    g_assert_null(config);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
    g_assert_true(g_str_has_prefix(error->message, path));
    assert_contains(error->message, tc->needle);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/config/dropin/full", test_dropin_full);
    g_test_add_func("/config/dropin/minimal", test_dropin_minimal);
    g_test_add_func("/config/dropin/merge", test_dropin_merge);
    g_test_add_func("/config/dropin/uuid-case", test_dropin_uuid_case);
    for (guint i = 0; i < G_N_ELEMENTS(dropin_bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/config/dropin/bad/%s", dropin_bad_cases[i].label);
        g_test_add_data_func(path, &dropin_bad_cases[i], test_dropin_bad);
    }
    g_test_add_func("/config/lookup", test_lookup);
    g_test_add_func("/config/zone-names", test_zone_names);
    for (guint i = 0; i < G_N_ELEMENTS(main_cases); i++) {
        g_autofree char *path = g_strdup_printf("/config/main/%s", main_cases[i].label);
        g_test_add(path, Fixture, &main_cases[i], fixture_setup, test_main, fixture_teardown);
    }
    g_test_add("/config/main/zones", Fixture, NULL, fixture_setup, test_main_zones,
               fixture_teardown);
    g_test_add("/config/main/missing", Fixture, NULL, fixture_setup, test_main_missing,
               fixture_teardown);
    g_test_add("/config/load/dir", Fixture, NULL, fixture_setup, test_load_dir, fixture_teardown);
    g_test_add("/config/load/no-dropins", Fixture, NULL, fixture_setup, test_load_dir_empty,
               fixture_teardown);
    g_test_add("/config/load/for-guest", Fixture, NULL, fixture_setup, test_load_for_guest,
               fixture_teardown);
    g_test_add("/config/load/address-twice", Fixture, NULL, fixture_setup, test_load_dir_conflict,
               fixture_teardown);
    for (guint i = 0; i < G_N_ELEMENTS(hostile_cases); i++) {
        g_autofree char *path = g_strdup_printf("/config/load/hostile/%s", hostile_cases[i].label);
        g_test_add(path, Fixture, &hostile_cases[i], fixture_setup, test_load_dir_hostile,
                   fixture_teardown);
    }
    return g_test_run();
}
