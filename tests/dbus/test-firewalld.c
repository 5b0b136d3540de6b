/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * firewalld.c and the hook's transaction against a fake firewalld on a private GTestDBus
 * bus: the error paths a real daemon will not produce on demand. firewalld refusing the
 * third of four writes must leave all four places exactly as they were (order included)
 * and the guest's record as it was; a firewalld that never answers must cost one D-Bus
 * timeout and leave a pending record; firewalld's "already done" answers are success;
 * firewalld's own words reach the error line without D-Bus noise.
 *
 * The real flow (real firewalld, libvirtd and packets) is the integration suite's.
 */
#include <fcntl.h>
#include <string.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "../unit/vfw-test.h"
#include "fake-firewalld.h"
#include "firewalld.h"
#include "hook.h"
#include "lease.h"
#include "state.h"
#include "vfw-error.h"

#define RULE_ADMIN "rule family=\"ipv4\" source address=\"203.0.113.9\" accept"
#define RULE_R                                                                                     \
    "rule family=\"ipv4\" forward-port port=\"8080\" protocol=\"tcp\" to-port=\"80\" "             \
    "to-addr=\"192.168.100.10\""
#define RULE_S                                                                                     \
    "rule family=\"ipv4\" forward-port port=\"8081\" protocol=\"tcp\" to-port=\"81\" "             \
    "to-addr=\"192.168.100.10\""
#define RULE_T                                                                                     \
    "rule family=\"ipv4\" forward-port port=\"8082\" protocol=\"tcp\" to-port=\"82\" "             \
    "to-addr=\"192.168.100.10\""

/* The places of rich rules and of forwards bound to a host address (virtfw-forward,
 * virtfw-host): what most tests here go through. Forwards without a host address live in
 * the last four (test_hook_published_everywhere). */
#define BOUND_PLACES 4

static const char *place_name[FAKE_PLACES] = {
    "virtfw-forward runtime",  "virtfw-forward permanent",  "virtfw-host runtime",
    "virtfw-host permanent",   "virtfw-pub runtime",        "virtfw-pub permanent",
    "virtfw-pub-host runtime", "virtfw-pub-host permanent",
};

static GTestDBus *test_bus;

typedef struct {
    FakeFirewalld *fake;
    GDBusConnection *client;
} Fixture;

static GDBusConnection *
connect_client(void)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *conn =
        g_dbus_connection_new_for_address_sync(g_test_dbus_get_bus_address(test_bus),
                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                               NULL, NULL, &error);

    g_assert_no_error(error);
    return conn;
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->fake = fake_firewalld_start(g_test_dbus_get_bus_address(test_bus), &error);
    g_assert_no_error(error);
    fx->client = connect_client();
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
    g_dbus_connection_close_sync(fx->client, NULL, NULL);
    g_clear_object(&fx->client);
    g_clear_pointer(&fx->fake, fake_firewalld_stop);
}

static GPtrArray *
rules(const char *first, ...)
{
    GPtrArray *out = g_ptr_array_new();
    va_list ap;

    va_start(ap, first);
    for (const char *r = first; r; r = va_arg(ap, const char *))
        g_ptr_array_add(out, (gpointer)r);
    va_end(ap);
    return out;
}

/* The rules of @rules without the hairpin masquerade rules, which only virtfw-forward
 * holds (firewalld refuses masquerade with ingress HOST). Joined with " | ". */
static char *
join_forwards(const char *const *rules, gboolean forwards_only)
{
    g_autoptr(GPtrArray) kept = g_ptr_array_new();

    for (guint i = 0; rules[i]; i++)
        if (!forwards_only || !g_str_has_suffix(rules[i], " masquerade"))
            g_ptr_array_add(kept, (gpointer)rules[i]);
    g_ptr_array_add(kept, NULL);
    return g_strjoinv(" | ", (char **)kept->pdata);
}

/* Asserts that @place holds @expected (for the virtfw-host places: without hairpin rules). */
static void
assert_place(FakeFirewalld *fake, guint place, const char *const *expected)
{
    g_auto(GStrv) got = fake_firewalld_get_rules(fake, place);
    g_autofree char *got_s = g_strjoinv(" | ", got);
    g_autofree char *want_s = join_forwards(expected, place >= 2);

    if (g_strcmp0(got_s, want_s) != 0) {
        g_autofree char *m =
            g_strdup_printf("%s: [%s], expected [%s]", place_name[place], got_s, want_s);
        g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, m);
    }
}

static void
assert_everywhere(FakeFirewalld *fake, const char *const *expected)
{
    for (guint p = 0; p < BOUND_PLACES; p++)
        assert_place(fake, p, expected);
}

static void
set_everywhere(FakeFirewalld *fake, const char *const *list)
{
    for (guint p = 0; p < BOUND_PLACES; p++)
        fake_firewalld_set_rules(fake, p, list);
}

/* ------------------------------------------------------------------ firewalld.c */

static void
test_absent(void)
{
    g_autoptr(GDBusConnection) client = connect_client();
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(client, 500, &error);

    g_assert_null(fw);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD_ABSENT);
    assert_contains(error->message, "firewalld is not running");
    g_dbus_connection_close_sync(client, NULL, NULL);
}

static void
test_version(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(fx->client, 2000, &error);
    g_autofree char *version = NULL;
    g_auto(GStrv) active = NULL;

    g_assert_no_error(error);
    version = vfw_firewalld_get_version(fw, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(version, ==, "1.3.3");
    active = vfw_firewalld_active_policies(fw, &error);
    g_assert_no_error(error);
    g_assert_true(g_strv_contains((const char *const *)active, VFW_POLICY_FORWARD));
    g_assert_true(g_strv_contains((const char *const *)active, VFW_POLICY_HOST));
}

/* Adding twice writes once; removing what is gone writes nothing; the admin's own rule
 * stays first and untouched throughout. */
static void
test_edit_idempotent(Fixture *fx, gconstpointer data)
{
    static const char *const admin[] = { RULE_ADMIN, NULL };
    static const char *const both[] = { RULE_ADMIN, RULE_R, RULE_S, NULL };
    static const char *const one[] = { RULE_ADMIN, RULE_S, NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(fx->client, 2000, &error);
    g_autoptr(GPtrArray) none = g_ptr_array_new();
    g_autoptr(GPtrArray) add = rules(RULE_R, RULE_S, NULL);
    g_autoptr(GPtrArray) drop = rules(RULE_R, NULL);
    guint writes;

    g_assert_no_error(error);
    set_everywhere(fx->fake, admin);
    g_assert_true(vfw_firewalld_edit_everywhere(fw, add, none, NULL, &error));
    g_assert_no_error(error);
    assert_everywhere(fx->fake, both);
    g_assert_cmpuint(fake_firewalld_writes(fx->fake), ==, 4);

    g_assert_true(vfw_firewalld_edit_everywhere(fw, add, none, NULL, &error));
    g_assert_cmpuint(fake_firewalld_writes(fx->fake), ==, 4);
    assert_everywhere(fx->fake, both);

    g_assert_true(vfw_firewalld_edit_everywhere(fw, none, drop, NULL, &error));
    assert_everywhere(fx->fake, one);
    writes = fake_firewalld_writes(fx->fake);
    g_assert_true(vfw_firewalld_edit_everywhere(fw, none, drop, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(fake_firewalld_writes(fx->fake), ==, writes);
    assert_everywhere(fx->fake, one);
}

/* Where the transaction breaks: which call, about which policy, refused or unanswered. */
typedef struct {
    const char *method;
    const char *policy;
    gboolean hang;
    guint places_written; /* before the failing call */
} Breakpoint;

static const Breakpoint breakpoints[] = {
    { "getPolicySettings", VFW_POLICY_FORWARD, FALSE, 0 },
    { "setPolicySettings", VFW_POLICY_FORWARD, FALSE, 0 },
    { "update", VFW_POLICY_FORWARD, FALSE, 1 },
    { "setPolicySettings", VFW_POLICY_HOST, FALSE, 2 },
    { "update", VFW_POLICY_HOST, FALSE, 3 },
    { "getPolicySettings", VFW_POLICY_FORWARD, TRUE, 0 },
    { "update", VFW_POLICY_FORWARD, TRUE, 1 },
    { "getPolicySettings", VFW_POLICY_HOST, TRUE, 2 },
    { "update", VFW_POLICY_HOST, TRUE, 3 },
    { "getPolicyByName", VFW_POLICY_HOST, FALSE, 2 },
};

/* A guest already has R; its configuration now adds S and drops T. Whichever write
 * firewalld refuses, every place ends exactly as it was: R kept (it was there before), T
 * back in its place, S nowhere. A call firewalld never answers ends the transaction at
 * once: no undo, no further call (each would wait one more timeout on a frozen daemon);
 * the places written stay written, and the caller's pending record has sync finish it. */
static void
test_edit_rollback(Fixture *fx, gconstpointer data)
{
    static const char *const before[] = { RULE_ADMIN, RULE_R, RULE_T, NULL };
    static const char *const after[] = { RULE_ADMIN, RULE_R, RULE_S, NULL };
    const Breakpoint *bp = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(fx->client, 300, &error);
    g_autoptr(GPtrArray) add = rules(RULE_R, RULE_S, NULL);
    g_autoptr(GPtrArray) drop = rules(RULE_T, NULL);
    gboolean undone = TRUE;

    g_assert_no_error(error);
    set_everywhere(fx->fake, before);
    if (bp->hang)
        fake_firewalld_hang(fx->fake, bp->method, bp->policy);
    else
        fake_firewalld_fail(fx->fake, bp->method, bp->policy, "INVALID_RULE: refused by test");

    g_assert_false(vfw_firewalld_edit_everywhere(fw, add, drop, &undone, &error));
    g_assert_cmpint(undone, ==, !bp->hang);
    g_assert_cmpuint(fake_firewalld_writes(fx->fake), >=, bp->places_written);
    if (bp->hang) {
        g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD_ABSENT);
        assert_contains(error->message, "did not answer within 300 ms");
    } else {
        g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
        assert_contains(error->message, "INVALID_RULE: refused by test");
        assert_contains(error->message, bp->policy);
        g_assert_null(strstr(error->message, "GDBus.Error"));
        assert_printable(error->message);
    }
    fake_firewalld_clear_faults(fx->fake);
    if (!bp->hang) {
        assert_everywhere(fx->fake, before);
        return;
    }
    g_assert_cmpuint(fake_firewalld_calls_since_hang(fx->fake), ==, 0);
    for (guint p = 0; p < BOUND_PLACES; p++)
        assert_place(fx->fake, p, p < bp->places_written ? after : before);
}

/* firewalld refuses the write to the last place of the bound rules, and then also the undo
 * of the places before it (the undo puts back a rule it now refuses): the error says both,
 * and @undone is FALSE, so that the caller keeps its record of what may be in firewalld
 * (issue 15, defect 2: the undo's errors were ignored and the rules orphaned). */
static void
test_edit_undo_refused(Fixture *fx, gconstpointer data)
{
    static const char *const before[] = { RULE_ADMIN, RULE_R, RULE_T, NULL };
    static const char *const after[] = { RULE_ADMIN, RULE_R, RULE_S, NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(fx->client, 2000, &error);
    g_autoptr(GPtrArray) add = rules(RULE_R, RULE_S, NULL);
    g_autoptr(GPtrArray) drop = rules(RULE_T, NULL);
    gboolean undone = TRUE;

    g_assert_no_error(error);
    set_everywhere(fx->fake, before);
    fake_firewalld_fail(fx->fake, "update", "virtfw-host", "INVALID_RULE: refused by test");
    fake_firewalld_refuse_rule(fx->fake, RULE_T);

    g_assert_false(vfw_firewalld_edit_everywhere(fw, add, drop, &undone, &error));
    g_assert_false(undone);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
    assert_contains(error->message, "INVALID_RULE: refused by test");
    assert_contains(error->message, "; undoing it in virtfw-host (runtime) failed too: ");
    assert_contains(error->message, "; undoing it in virtfw-forward (permanent) failed too: ");
    assert_printable(error->message);
    fake_firewalld_clear_faults(fx->fake);
    fake_firewalld_refuse_rule(fx->fake, NULL);
    /* what could not be undone is still there: the caller's record must say so */
    for (guint p = 0; p < 3; p++)
        assert_place(fx->fake, p, after);
    assert_place(fx->fake, 3, before);
}

static void
test_unknown_policy(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(fx->client, 2000, &error);
    g_auto(GStrv) got = NULL;

    g_assert_false(vfw_firewalld_policy_get_rules(fw, "virtfw-nosuch", TRUE, &got, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
    g_assert_cmpstr(error->message, ==, "firewalld: virtfw-nosuch: INVALID_POLICY: virtfw-nosuch");
}

/* A firewalld that lacks our newer policies (configuration not reloaded since an upgrade):
 * removing what would live there is done (nothing of ours can be there), adding is refused
 * with the fix in the message. */
static void
test_policy_not_loaded(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(fx->client, 2000, &error);
    g_autoptr(GPtrArray) none = g_ptr_array_new();
    g_autoptr(GPtrArray) items = g_ptr_array_new();

    g_ptr_array_add(items, "pub port=8085:proto=tcp:toport=85:toaddr=192.168.100.10");
    /* the permanent config has no such policy (one fault at a time in the fake) */
    fake_firewalld_fail(fx->fake, "getPolicyByName", VFW_POLICY_PUB, "INVALID_POLICY: virtfw-pub");
    g_assert_true(vfw_firewalld_edit_everywhere(fw, none, items, NULL, &error));
    g_assert_no_error(error);
    g_assert_false(vfw_firewalld_edit_everywhere(fw, items, none, NULL, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
    assert_contains(error->message, "INVALID_POLICY");
    assert_contains(error->message, "'firewall-cmd --reload'");
    /* the runtime place written before the refusal was undone */
    for (guint p = 0; p < FAKE_PLACES; p++) {
        g_auto(GStrv) rules = fake_firewalld_get_rules(fx->fake, p);
        g_assert_cmpuint(g_strv_length(rules), ==, 0);
    }
}

/* firewalld's "nothing to do" answers are success, both ways, runtime and permanent. */
static void
test_interface_idempotent(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(fx->client, 2000, &error);

    for (int permanent = 0; permanent < 2; permanent++) {
        g_autofree char *zone = NULL;
        g_autofree char *seen = NULL;

        for (int round = 0; round < 2; round++) {
            g_assert_true(vfw_firewalld_bind_interface(fw, "virtfw", "virbr9", permanent, &error));
            g_assert_no_error(error);
        }
        zone = fake_firewalld_zone_of(fx->fake, "virbr9", permanent);
        g_assert_cmpstr(zone, ==, "virtfw");
        g_assert_true(vfw_firewalld_zone_of_interface(fw, "virbr9", permanent, &seen, &error));
        g_assert_cmpstr(seen, ==, "virtfw");
        for (int round = 0; round < 2; round++) {
            g_assert_true(
                vfw_firewalld_unbind_interface(fw, "virtfw", "virbr9", permanent, &error));
            g_assert_no_error(error);
        }
        g_assert_null(fake_firewalld_zone_of(fx->fake, "virbr9", permanent));
    }
}

static void
test_interface_unknown_zone(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(fx->client, 2000, &error);

    for (int permanent = 0; permanent < 2; permanent++) {
        g_assert_false(vfw_firewalld_bind_interface(fw, "nosuch", "virbr9", permanent, &error));
        g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
        g_assert_cmpstr(error->message, ==, "firewalld: nosuch: INVALID_ZONE: nosuch");
        g_clear_error(&error);
        g_assert_null(fake_firewalld_zone_of(fx->fake, "virbr9", permanent));
    }
}

/* ------------------------------------------------------------------ the qemu hook */

#define GUEST_UUID "0d6c7a1e-2b3f-4c5d-8e9f-a0b1c2d3e4f5"

typedef struct {
    Fixture base;
    char *tmp;
    char *confdir;
    VfwContext ctx;
} HookFixture;

static void
write_private(const char *path, const char *text)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(
        g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error));
    g_assert_no_error(error);
}

/* Forwards of guest 'web02': 8080 from metadata, 8081 from a drop-in; with @with_8082
 * a second drop-in line adds 8082. */
static void
write_dropin(HookFixture *hx, gboolean with_8082, const char *on_error)
{
    g_autofree char *dir = g_build_filename(hx->confdir, "forwards.d", NULL);
    g_autofree char *file = g_build_filename(dir, "web02.conf", NULL);
    g_autofree char *main_conf = g_build_filename(hx->confdir, "virt-firewalld.conf", NULL);
    g_autofree char *text = g_strdup_printf("[web02]\nforward = 203.0.113.1:8081:81/tcp%s\n",
                                            with_8082 ? ";203.0.113.1:8082:82/tcp" : "");
    g_autofree char *conf = g_strdup_printf("[hook]\non-error = %s\ndbus-timeout = 1\n", on_error);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    write_private(file, text);
    write_private(main_conf, conf);
}

static void
hook_setup(HookFixture *hx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *netxml =
        g_test_build_filename(G_TEST_DIST, "data", "network-hook-routed.xml", NULL);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    const char *args[] = { "routed", "started", "begin", "-", NULL };
    int fd;

    fixture_setup(&hx->base, data);
    hx->tmp = g_dir_make_tmp("vfw-dbus-XXXXXX", &error);
    g_assert_no_error(error);
    hx->confdir = g_build_filename(hx->tmp, "etc", NULL);
    write_dropin(hx, FALSE, "fail");
    vfw_context_init(&hx->ctx);
    hx->ctx.confdir = hx->confdir;
    hx->ctx.statedir = g_build_filename(hx->tmp, "run", NULL);
    hx->ctx.ledgerdir = NULL;
    hx->ctx.libvirt_rundir = g_build_filename(hx->tmp, "libvirt", NULL);
    hx->ctx.dnsmasq_dir = g_build_filename(hx->tmp, "dnsmasq", NULL);
    hx->ctx.bus = hx->base.client;
    hx->ctx.lock_timeout_ms = 5000;

    /* the network hook caches the routed network the guest is on */
    fd = open(netxml, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_true(vfw_hook_network(&hx->ctx, args, fd, warnings, &error));
    g_assert_no_error(error);
    close(fd);
}

static void
hook_teardown(HookFixture *hx, gconstpointer data)
{
    rm_rf(hx->tmp);
    g_free((char *)hx->ctx.statedir);
    g_free((char *)hx->ctx.libvirt_rundir);
    g_free((char *)hx->ctx.dnsmasq_dir);
    g_free(hx->confdir);
    g_free(hx->tmp);
    fixture_teardown(&hx->base, data);
}

#define MAC_RESERVED "52:54:00:ab:cd:01" /* network-hook-routed.xml reserves .10 for it */
#define MAC_DYNAMIC  "52:54:00:ab:cd:02" /* no reservation: its forwards follow its lease */

/* Runs the qemu hook for web02 (NIC @mac) and @op, with the domain XML on its stdin. */
static gboolean
run_qemu_hook_mac(HookFixture *hx, const char *op, const char *mac, GPtrArray *warnings,
                  GError **error)
{
    g_autofree char *domain =
        g_strdup_printf("<domain type='qemu'><name>web02</name><uuid>" GUEST_UUID "</uuid>"
                        "<metadata><vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'>"
                        "<vf:forward spec='203.0.113.1:8080:80/tcp'/></vf:forwards></metadata>"
                        "<devices><interface type='network'><mac address='%s'/>"
                        "<source network='routed' bridge='virbr1'/></interface></devices></domain>",
                        mac);
    const char *args[] = { "web02", op, "begin", "-", NULL };
    gssize len = (gssize)strlen(domain);
    int pipefd[2];
    gboolean ok;

    g_assert_cmpint(pipe(pipefd), ==, 0);
    g_assert_cmpint(write(pipefd[1], domain, (size_t)len), ==, len);
    close(pipefd[1]);
    ok = vfw_hook_qemu(&hx->ctx, args, pipefd[0], warnings, error);
    close(pipefd[0]);
    return ok;
}

static gboolean
run_qemu_hook(HookFixture *hx, const char *op, GPtrArray *warnings, GError **error)
{
    return run_qemu_hook_mac(hx, op, MAC_RESERVED, warnings, error);
}

static char *
record_text(HookFixture *hx)
{
    g_autofree char *path = g_build_filename(hx->ctx.statedir, "guests", GUEST_UUID ".state", NULL);
    char *text = NULL;

    return g_file_get_contents(path, &text, NULL, NULL) ? text : NULL;
}

/* Asserts that all four places hold the same @n forward rules (virtfw-forward also the
 * guest's hairpin rule); returns virtfw-forward's runtime rules. */
static GStrv
assert_same_everywhere(HookFixture *hx, guint n)
{
    GStrv rules = fake_firewalld_get_rules(hx->base.fake, 0);
    g_auto(GStrv) host = fake_firewalld_get_rules(hx->base.fake, 2);

    g_assert_cmpuint(g_strv_length(host), ==, n);
    for (guint p = 1; p < BOUND_PLACES; p++)
        assert_place(hx->base.fake, p, (const char *const *)rules);
    return rules;
}

/* The guest's record (also one marked stopped); asserts there is one. */
static VfwGuestState *
load_record(HookFixture *hx)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwState) state = vfw_state_open(hx->ctx.statedir, 1000, &error);
    VfwGuestState *gs = NULL;

    g_assert_no_error(error);
    g_assert_true(vfw_state_load_guest_any(state, GUEST_UUID, &gs, &error));
    g_assert_no_error(error);
    g_assert_nonnull(gs);
    return gs;
}

/* A guest runs with 8080 and 8081; its drop-in gains 8082; firewalld refuses the last
 * write of the next 'prepare': the guest does not start, the error names it and carries
 * firewalld's words, and firewalld and the record are exactly as before. With
 * on-error=warn the guest starts with a warning instead. */
static void
test_hook_refused(HookFixture *hx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *record = NULL;
    g_autofree char *record_after = NULL;
    g_auto(GStrv) before = NULL;

    g_assert_true(run_qemu_hook(hx, "prepare", warnings, &error));
    g_assert_no_error(error);
    before = assert_same_everywhere(hx, 2);
    record = record_text(hx);
    g_assert_nonnull(record);

    write_dropin(hx, TRUE, "fail");
    fake_firewalld_fail(hx->base.fake, "update", VFW_POLICY_HOST, "INVALID_RULE: refused");
    g_assert_false(run_qemu_hook(hx, "prepare", warnings, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
    g_assert_cmpstr(error->message, ==,
                    "guest 'web02': firewalld: virtfw-host: INVALID_RULE: refused");
    g_clear_error(&error);
    for (guint p = 0; p < BOUND_PLACES; p++)
        assert_place(hx->base.fake, p, (const char *const *)before);
    record_after = record_text(hx);
    g_assert_cmpstr(record_after, ==, record);

    write_dropin(hx, TRUE, "warn");
    g_ptr_array_set_size(warnings, 0);
    g_assert_true(run_qemu_hook(hx, "prepare", warnings, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(warnings->len, ==, 1);
    assert_contains(g_ptr_array_index(warnings, 0),
                    "guest 'web02': firewalld: virtfw-host: INVALID_RULE: refused, ignoring");
    for (guint p = 0; p < BOUND_PLACES; p++)
        assert_place(hx->base.fake, p, (const char *const *)before);
}

/* The guest runs with 8080, 8081 and 8082; its drop-in loses 8082; firewalld refuses the
 * last write of the next 'prepare', and then the undo too (it puts 8082 back, which
 * firewalld now refuses): the guest does not start, the error says both, and the record
 * stays pending and still lists 8082, which is in firewalld where the undo failed; the
 * 'stopped' that follows removes it everywhere (issue 15, defect 2: the old record came
 * back without the undo's failure in mind, and 8082 was orphaned). */
static void
test_hook_undo_refused(HookFixture *hx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(VfwGuestState) gs = NULL;
    g_auto(GStrv) with_8082 = NULL;
    const char *r8082 = NULL;
    gboolean listed = FALSE;

    write_dropin(hx, TRUE, "fail");
    g_assert_true(run_qemu_hook(hx, "prepare", warnings, &error));
    g_assert_no_error(error);
    with_8082 = assert_same_everywhere(hx, 3);
    for (guint i = 0; with_8082[i]; i++) {
        if (strstr(with_8082[i], "port=\"8082\""))
            r8082 = with_8082[i];
    }
    g_assert_nonnull(r8082);

    write_dropin(hx, FALSE, "fail");
    fake_firewalld_fail(hx->base.fake, "update", VFW_POLICY_HOST, "INVALID_RULE: refused");
    fake_firewalld_refuse_rule(hx->base.fake, r8082);
    g_assert_false(run_qemu_hook(hx, "prepare", warnings, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
    assert_contains(error->message, "guest 'web02': firewalld: virtfw-host: INVALID_RULE: refused");
    assert_contains(error->message, "its rules stay recorded: 'virt-firewalld sync' removes");
    assert_contains(error->message, "failed too");
    g_clear_error(&error);
    fake_firewalld_clear_faults(hx->base.fake);
    fake_firewalld_refuse_rule(hx->base.fake, NULL);

    gs = load_record(hx);
    g_assert_true(gs->pending);
    for (guint i = 0; i < gs->rules->len; i++)
        listed |= g_strcmp0(((VfwRule *)g_ptr_array_index(gs->rules, i))->rich_rule, r8082) == 0;
    g_assert_true(listed);
    {
        g_auto(GStrv) last = fake_firewalld_get_rules(hx->base.fake, 3);
        g_assert_true(g_strv_contains((const char *const *)last, r8082));
    }

    g_assert_true(run_qemu_hook(hx, "stopped", warnings, &error));
    g_assert_no_error(error);
    for (guint p = 0; p < BOUND_PLACES; p++) {
        g_auto(GStrv) left = fake_firewalld_get_rules(hx->base.fake, p);
        g_assert_false(g_strv_contains((const char *const *)left, r8082));
    }
    g_assert_null(record_text(hx));
}

/* firewalld frozen at the first call: the hook returns after its D-Bus timeout with a
 * warning, the guest starts, and the record is pending; once firewalld answers, the
 * boot-time reassert (what `sync --offline` runs) applies it. */
static void
test_hook_frozen(HookFixture *hx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(VfwGuestState) gs = NULL;
    g_auto(GStrv) after = NULL;
    guint applied = 0, removed = 0;
    gint64 t0;

    fake_firewalld_hang(hx->base.fake, "getPolicySettings", NULL);
    t0 = g_get_monotonic_time();
    g_assert_true(run_qemu_hook(hx, "prepare", warnings, &error));
    g_assert_no_error(error);
    /* one timeout of 1 s (dbus-timeout = 1), not one per call; bounded loosely */
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 20 * G_USEC_PER_SEC);
    g_assert_cmpuint(warnings->len, ==, 1);
    assert_contains(g_ptr_array_index(warnings, 0),
                    "guest 'web02': firewalld is not running or did not answer within 1000 ms");
    assert_contains(g_ptr_array_index(warnings, 0), "'virt-firewalld sync' will apply them");
    g_strfreev(assert_same_everywhere(hx, 0));
    gs = load_record(hx);
    g_assert_true(gs->pending);
    g_assert_false(gs->stopped);
    g_assert_cmpuint(gs->rules->len, ==, 3); /* 2 forwards, 1 hairpin */

    fake_firewalld_clear_faults(hx->base.fake);
    g_assert_true(vfw_reassert_recorded(&hx->ctx, 2000, &applied, &removed, warnings, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(applied, ==, 1);
    g_assert_cmpuint(removed, ==, 0);
    after = assert_same_everywhere(hx, 2);
}

/* firewalld refuses the removal when the guest stops: 'stopped' still exits 0 (libvirt
 * ignores it anyway), warns, and keeps the record marked stopped; the reassert then
 * removes the rules. */
static void
test_hook_stop_refused(HookFixture *hx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(VfwGuestState) gs = NULL;
    guint applied = 0, removed = 0;

    g_assert_true(run_qemu_hook(hx, "prepare", warnings, &error));
    g_assert_no_error(error);
    fake_firewalld_fail(hx->base.fake, "setPolicySettings", VFW_POLICY_HOST,
                        "INVALID_RULE: refused");
    g_assert_true(run_qemu_hook(hx, "stopped", warnings, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(warnings->len, ==, 1);
    assert_contains(g_ptr_array_index(warnings, 0), "guest 'web02': firewalld: virtfw-host: "
                                                    "INVALID_RULE: refused; its forwards stay "
                                                    "recorded and 'virt-firewalld sync' will "
                                                    "remove them");
    /* the undo put virtfw-forward back: the record still describes firewalld */
    g_strfreev(assert_same_everywhere(hx, 2));
    gs = load_record(hx);
    g_assert_true(gs->stopped);

    fake_firewalld_clear_faults(hx->base.fake);
    g_assert_true(vfw_reassert_recorded(&hx->ctx, 2000, &applied, &removed, warnings, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(removed, ==, 1);
    g_strfreev(assert_same_everywhere(hx, 0));
    g_assert_null(record_text(hx));
}

/* A guest without a fixed address: watch's reconcile publishes its forwards to its lease.
 * firewalld refuses the first attempt; the next reconcile (watch's next event) must retry
 * rather than trust the record it wrote before trying, and publish them everywhere. */
static void
test_lease_retry(HookFixture *hx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *leases = g_build_filename(hx->ctx.dnsmasq_dir, "virbr1.status", NULL);
    g_autoptr(VfwGuestState) gs = NULL;
    g_auto(GStrv) published = NULL;
    guint changed = 0;

    g_assert_true(run_qemu_hook_mac(hx, "prepare", MAC_DYNAMIC, warnings, &error));
    g_assert_no_error(error);
    g_strfreev(assert_same_everywhere(hx, 0));
    g_assert_cmpint(g_mkdir_with_parents(hx->ctx.dnsmasq_dir, 0755), ==, 0);
    write_private(leases, "[\n  {\n    \"ip-address\": \"192.168.100.150\",\n"
                          "    \"mac-address\": \"" MAC_DYNAMIC "\",\n"
                          "    \"expiry-time\": 0\n  }\n]\n");

    fake_firewalld_fail(hx->base.fake, "update", VFW_POLICY_HOST, "INVALID_RULE: refused");
    g_assert_false(vfw_leases_reconcile(&hx->ctx, 2000, &changed, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
    assert_contains(error->message, "guest 'web02': firewalld: virtfw-host: INVALID_RULE");
    g_clear_error(&error);
    g_strfreev(assert_same_everywhere(hx, 0));

    /* refused again: the record (pending, the same intent) is not written again, or each
     * attempt would wake `watch`, which follows that directory, for the next (issue 15,
     * defect 4: watch spun) */
    {
        g_autofree char *path =
            g_build_filename(hx->ctx.statedir, "guests", GUEST_UUID ".state", NULL);
        GStatBuf st1, st2;
        g_assert_cmpint(g_stat(path, &st1), ==, 0);
        g_usleep(20 * 1000);
        g_assert_false(vfw_leases_reconcile(&hx->ctx, 2000, &changed, &error));
        g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
        g_clear_error(&error);
        g_assert_cmpint(g_stat(path, &st2), ==, 0);
        g_assert_cmpuint(st1.st_ino, ==, st2.st_ino);
        g_assert_cmpint(st1.st_mtim.tv_nsec, ==, st2.st_mtim.tv_nsec);
        g_assert_cmpint(st1.st_mtim.tv_sec, ==, st2.st_mtim.tv_sec);
    }

    fake_firewalld_clear_faults(hx->base.fake);
    g_assert_true(vfw_leases_reconcile(&hx->ctx, 2000, &changed, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(changed, ==, 1);
    published = assert_same_everywhere(hx, 2);
    assert_contains(published[0], "to-addr=\"192.168.100.150\"");
    gs = load_record(hx);
    g_assert_false(gs->pending);
    g_assert_cmpuint(gs->rules->len, ==, 3);
}

/* Forwards without a host address: forward-port entries in virtfw-pub and virtfw-pub-host
 * (runtime and permanent), never in virtfw-forward or virtfw-host, where the bound forward
 * and the hairpin rule go. A refusal at the last place leaves all eight as they were;
 * 'stopped' takes everything out again. */
static void
test_hook_published_everywhere(HookFixture *hx, gconstpointer data)
{
    static const char *const pub[] = { "port=8085:proto=tcp:toport=85:toaddr=192.168.100.10",
                                       NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *file = g_build_filename(hx->confdir, "forwards.d", "web02.conf", NULL);

    write_private(file, "[web02]\nforward = 8085:85/tcp\n");
    fake_firewalld_fail(hx->base.fake, "update", VFW_POLICY_PUB_HOST, "INVALID_FORWARD: refused");
    g_assert_false(run_qemu_hook(hx, "prepare", warnings, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
    assert_contains(error->message, "virtfw-pub-host: INVALID_FORWARD: refused");
    g_clear_error(&error);
    for (guint p = 0; p < FAKE_PLACES; p++) {
        g_auto(GStrv) rules = fake_firewalld_get_rules(hx->base.fake, p);
        g_assert_cmpuint(g_strv_length(rules), ==, 0);
    }

    fake_firewalld_clear_faults(hx->base.fake);
    g_assert_true(run_qemu_hook(hx, "prepare", warnings, &error));
    g_assert_no_error(error);
    for (guint p = BOUND_PLACES; p < FAKE_PLACES; p++)
        assert_place(hx->base.fake, p, pub);
    for (guint p = 0; p < BOUND_PLACES; p++) {
        g_auto(GStrv) rules = fake_firewalld_get_rules(hx->base.fake, p);
        g_autofree char *all = g_strjoinv(" | ", rules);
        /* the bound metadata forward; virtfw-forward also the hairpin rule */
        g_assert_cmpuint(g_strv_length(rules), ==, p < 2 ? 2 : 1);
        assert_contains(all, "destination address=\"203.0.113.1\" forward-port port=\"8080\"");
        g_assert_null(strstr(all, "8085"));
    }

    g_assert_true(run_qemu_hook(hx, "stopped", warnings, &error));
    g_assert_no_error(error);
    for (guint p = 0; p < FAKE_PLACES; p++) {
        g_auto(GStrv) rules = fake_firewalld_get_rules(hx->base.fake, p);
        g_assert_cmpuint(g_strv_length(rules), ==, 0);
    }
}

/* A record for the reassert tests: guest NAME (UUID) with one rule, host port @port. */
static VfwGuestState *
recorded_guest(const char *name, const char *uuid, const char *port, gboolean pending,
               gboolean stopped)
{
    VfwGuestState *gs = vfw_guest_state_new(name, uuid);
    g_autofree char *spec_text = g_strdup_printf("203.0.113.1:%s:80/tcp", port);
    VfwPortSpec spec;

    g_assert_true(vfw_port_spec_parse(spec_text, &spec, NULL));
    g_ptr_array_add(gs->rules, vfw_rule_new(&spec, G_SOCKET_FAMILY_IPV4, "192.168.100.20", NULL,
                                            "routed", "test"));
    gs->pending = pending;
    gs->stopped = stopped;
    return gs;
}

/* The boot-time reassert (`sync --offline`): three pending guests and a stopped one go in
 * one transaction (4 writes, not 4 per guest). When firewalld refuses one guest's rule,
 * the others are still done, the refused one keeps its record, and the result names it. */
static void
test_reassert_batch(HookFixture *hx, gconstpointer data)
{
    static const char *const uuids[] = {
        "11111111-1111-4111-8111-111111111111",
        "22222222-2222-4222-8222-222222222222",
        "33333333-3333-4333-8333-333333333333",
        "44444444-4444-4444-8444-444444444444",
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(VfwState) state = vfw_state_open(hx->ctx.statedir, 1000, &error);
    g_autoptr(VfwGuestState) a = recorded_guest("a", uuids[0], "9001", TRUE, FALSE);
    g_autoptr(VfwGuestState) b = recorded_guest("b", uuids[1], "9002", TRUE, FALSE);
    g_autoptr(VfwGuestState) c = recorded_guest("c", uuids[2], "9003", TRUE, FALSE);
    g_autoptr(VfwGuestState) d = recorded_guest("d", uuids[3], "9004", FALSE, TRUE);
    const char *stale[] = { RULE_ADMIN, ((VfwRule *)g_ptr_array_index(d->rules, 0))->rich_rule,
                            NULL };
    static const char *const good[] = { RULE_ADMIN, NULL };
    const char *bad = ((VfwRule *)g_ptr_array_index(c->rules, 0))->rich_rule;
    g_autoptr(VfwGuestState) still = NULL;
    g_auto(GStrv) published = NULL;
    guint applied = 0, removed = 0;

    g_assert_no_error(error);
    for (guint i = 0; i < BOUND_PLACES; i++)
        fake_firewalld_set_rules(hx->base.fake, i, stale);
    g_assert_true(vfw_state_save_guest(state, a, &error));
    g_assert_true(vfw_state_save_guest(state, b, &error));
    g_assert_true(vfw_state_save_guest(state, d, &error));
    g_clear_pointer(&state, vfw_state_close);

    g_assert_true(vfw_reassert_recorded(&hx->ctx, 2000, &applied, &removed, warnings, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(applied, ==, 2);
    g_assert_cmpuint(removed, ==, 1);
    g_assert_cmpuint(fake_firewalld_writes(hx->base.fake), ==, 4);
    published = assert_same_everywhere(hx, 3); /* in the order the records are listed */
    g_assert_cmpstr(published[0], ==, RULE_ADMIN);
    for (guint i = 0; i < 2; i++) {
        VfwGuestState *gs = i == 0 ? a : b;
        g_assert_true(g_strv_contains((const char *const *)published,
                                      ((VfwRule *)g_ptr_array_index(gs->rules, 0))->rich_rule));
    }

    /* now c too, which firewalld refuses; a and b go out (stopped) meanwhile */
    state = vfw_state_open(hx->ctx.statedir, 1000, &error);
    for (guint i = 0; i < 2; i++) {
        /* as the reassert left them: upgraded, with their hairpin rule */
        g_autoptr(VfwGuestState) gs = NULL;
        g_assert_true(vfw_state_load_guest(state, uuids[i], &gs, &error));
        g_assert_nonnull(gs);
        gs->stopped = TRUE;
        g_assert_true(vfw_state_save_guest(state, gs, &error));
    }
    g_assert_true(vfw_state_save_guest(state, c, &error));
    g_clear_pointer(&state, vfw_state_close);
    fake_firewalld_refuse_rule(hx->base.fake, bad);
    applied = removed = 0;
    g_assert_false(vfw_reassert_recorded(&hx->ctx, 2000, &applied, &removed, warnings, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD);
    assert_contains(error->message, "refused the rules of 1 recorded guests");
    g_assert_cmpuint(applied, ==, 0);
    g_assert_cmpuint(removed, ==, 2);
    g_assert_cmpuint(warnings->len, ==, 1);
    assert_contains(g_ptr_array_index(warnings, 0), "guest 'c': firewalld: virtfw-forward: "
                                                    "INVALID_RULE");
    for (guint i = 0; i < BOUND_PLACES; i++)
        assert_place(hx->base.fake, i, good);
    state = vfw_state_open(hx->ctx.statedir, 1000, &error);
    g_assert_true(vfw_state_load_guest(state, uuids[2], &still, &error));
    g_assert_nonnull(still);
    g_assert_true(still->pending);
}

int
main(int argc, char **argv)
{
    g_autofree char *daemon = g_find_program_in_path("dbus-daemon");
    int rc;

    g_test_init(&argc, &argv, NULL);
    if (!daemon) {
        /* CI installs everything: there a missing dbus-daemon is a failure */
        if (g_strcmp0(g_getenv("CI"), "true") == 0) {
            g_printerr("dbus-daemon not found\n");
            return 1;
        }
        g_print("1..0 # SKIP dbus-daemon not found\n");
        return 77;
    }
    /* no code path may reach a real bus */
    g_setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/vfw-test", TRUE);
    test_bus = g_test_dbus_new(G_TEST_DBUS_NONE);
    g_test_dbus_up(test_bus);

    g_test_add_func("/firewalld/absent", test_absent);
    g_test_add("/firewalld/version", Fixture, NULL, fixture_setup, test_version, fixture_teardown);
    g_test_add("/firewalld/edit/idempotent", Fixture, NULL, fixture_setup, test_edit_idempotent,
               fixture_teardown);
    for (guint i = 0; i < G_N_ELEMENTS(breakpoints); i++) {
        const Breakpoint *bp = &breakpoints[i];
        g_autofree char *path = g_strdup_printf("/firewalld/edit/rollback/%s-%s%s", bp->method,
                                                bp->policy, bp->hang ? "-hang" : "");
        g_test_add(path, Fixture, bp, fixture_setup, test_edit_rollback, fixture_teardown);
    }
    g_test_add("/firewalld/edit/undo-refused", Fixture, NULL, fixture_setup, test_edit_undo_refused,
               fixture_teardown);
    g_test_add("/firewalld/policy-not-loaded", Fixture, NULL, fixture_setup, test_policy_not_loaded,
               fixture_teardown);
    g_test_add("/firewalld/unknown-policy", Fixture, NULL, fixture_setup, test_unknown_policy,
               fixture_teardown);
    g_test_add("/firewalld/interface/idempotent", Fixture, NULL, fixture_setup,
               test_interface_idempotent, fixture_teardown);
    g_test_add("/firewalld/interface/unknown-zone", Fixture, NULL, fixture_setup,
               test_interface_unknown_zone, fixture_teardown);
    g_test_add("/hook/published-everywhere", HookFixture, NULL, hook_setup,
               test_hook_published_everywhere, hook_teardown);
    g_test_add("/hook/refused", HookFixture, NULL, hook_setup, test_hook_refused, hook_teardown);
    g_test_add("/hook/undo-refused", HookFixture, NULL, hook_setup, test_hook_undo_refused,
               hook_teardown);
    g_test_add("/hook/frozen", HookFixture, NULL, hook_setup, test_hook_frozen, hook_teardown);
    g_test_add("/hook/stop-refused", HookFixture, NULL, hook_setup, test_hook_stop_refused,
               hook_teardown);
    g_test_add("/lease/retry", HookFixture, NULL, hook_setup, test_lease_retry, hook_teardown);
    g_test_add("/reassert/batch", HookFixture, NULL, hook_setup, test_reassert_batch,
               hook_teardown);

    rc = g_test_run();
    g_test_dbus_down(test_bus);
    g_object_unref(test_bus);
    return rc;
}
