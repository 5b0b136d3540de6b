/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state directory: guest records round-trip exactly (the rich rule text is what gets
 * removed later), files replaced by symlinks are refused, the host-wide lock excludes
 * other processes, and writes leave no temporary files behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record-brief.h"
#include "state.h"
#include "vfw-error.h"
#include "vfw-test.h"

#define UUID_A "6f9a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
#define UUID_B "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"

typedef struct {
    char *tmp;  /* scratch directory */
    char *path; /* the state directory inside it (created by vfw_state_open) */
    VfwState *state;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->tmp = g_dir_make_tmp("vfw-state-XXXXXX", &error);
    g_assert_no_error(error);
    fx->path = g_build_filename(fx->tmp, "run", "virt-firewalld", NULL);
    fx->state = vfw_state_open(fx->path, 1000, &error);
    g_assert_no_error(error);
    g_assert_nonnull(fx->state);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
    vfw_state_close(fx->state);
    rm_rf(fx->tmp);
    g_free(fx->tmp);
    g_free(fx->path);
}

static VfwRule *
make_rule(const char *spec_text, GSocketFamily family, const char *to_addr, const char *source,
          const char *origin)
{
    VfwPortSpec spec;

    g_assert_true(vfw_port_spec_parse(spec_text, &spec, NULL));
    return vfw_rule_new(&spec, family, to_addr, source, "routed", origin);
}

static VfwGuestState *
make_guest(const char *name, const char *uuid)
{
    VfwGuestState *gs = vfw_guest_state_new(name, uuid);

    g_ptr_array_add(gs->rules,
                    make_rule("198.51.100.1:2222:22/tcp", G_SOCKET_FAMILY_IPV4, "192.168.100.10",
                              "203.0.113.0/24", "/etc/virt-firewalld/forwards.d/web.conf:3"));
    g_ptr_array_add(gs->rules,
                    make_rule("[2001:db8::1]:5000-5010:6000-6010/udp", G_SOCKET_FAMILY_IPV6,
                              "2001:db8:100::10", NULL, "metadata"));
    g_ptr_array_add(gs->rules, make_rule("8080:80/sctp", G_SOCKET_FAMILY_IPV4, "192.168.100.10",
                                         NULL, "metadata"));
    return gs;
}

static void
assert_rules_equal(const VfwRule *a, const VfwRule *b)
{
    g_assert_cmpint(a->spec.host_family, ==, b->spec.host_family);
    g_assert_cmpstr(a->spec.host_addr, ==, b->spec.host_addr);
    g_assert_cmpuint(a->spec.host_port, ==, b->spec.host_port);
    g_assert_cmpuint(a->spec.host_port_end, ==, b->spec.host_port_end);
    g_assert_cmpuint(a->spec.guest_port, ==, b->spec.guest_port);
    g_assert_cmpuint(a->spec.guest_port_end, ==, b->spec.guest_port_end);
    g_assert_cmpint(a->spec.proto, ==, b->spec.proto);
    g_assert_cmpint(a->family, ==, b->family);
    g_assert_cmpstr(a->to_addr, ==, b->to_addr);
    g_assert_cmpstr(a->source, ==, b->source);
    g_assert_cmpstr(a->network, ==, b->network);
    g_assert_cmpstr(a->origin, ==, b->origin);
    g_assert_cmpstr(a->rich_rule, ==, b->rich_rule);
}

static void
assert_guests_equal(const VfwGuestState *a, const VfwGuestState *b)
{
    g_assert_cmpstr(a->name, ==, b->name);
    g_assert_cmpstr(a->uuid, ==, b->uuid);
    g_assert_cmpint(a->pending, ==, b->pending);
    g_assert_cmpint(a->stopped, ==, b->stopped);
    g_assert_cmpuint(a->rules->len, ==, b->rules->len);
    for (guint i = 0; i < a->rules->len; i++)
        assert_rules_equal(g_ptr_array_index(a->rules, i), g_ptr_array_index(b->rules, i));
}

static char *
state_file(Fixture *fx, const char *subdir, const char *name)
{
    return g_build_filename(fx->path, subdir, name, NULL);
}

static void
test_open(Fixture *fx, gconstpointer data)
{
    g_autofree char *lock = g_build_filename(fx->path, "lock", NULL);
    struct stat st;

    g_assert_cmpstr(vfw_state_path(fx->state), ==, fx->path);
    g_assert_cmpint(stat(fx->path, &st), ==, 0);
    g_assert_true(S_ISDIR(st.st_mode));
    g_assert_cmpint(lstat(lock, &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
}

static void
test_round_trip(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwGuestState) saved = make_guest("web01", UUID_A);
    g_autoptr(VfwGuestState) loaded = NULL;
    g_autofree char *file = state_file(fx, "guests", UUID_A ".state");

    saved->pending = TRUE;
    g_assert_true(vfw_state_save_guest(fx->state, saved, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));

    g_assert_true(vfw_state_load_guest(fx->state, UUID_A, &loaded, &error));
    g_assert_no_error(error);
    g_assert_nonnull(loaded);
    assert_guests_equal(saved, loaded);
    g_assert_cmpstr(((VfwRule *)g_ptr_array_index(loaded->rules, 0))->rich_rule, ==,
                    "rule family=\"ipv4\" source address=\"203.0.113.0/24\" destination "
                    "address=\"198.51.100.1\" forward-port port=\"2222\" protocol=\"tcp\" "
                    "to-port=\"22\" to-addr=\"192.168.100.10\"");

    /* Saving again replaces the record. */
    saved->pending = FALSE;
    saved->stopped = TRUE;
    g_ptr_array_remove_index(saved->rules, 1);
    g_assert_true(vfw_state_save_guest(fx->state, saved, &error));
    g_clear_pointer(&loaded, vfw_guest_state_free);
    g_assert_true(vfw_state_load_guest(fx->state, UUID_A, &loaded, &error));
    g_assert_no_error(error);
    assert_guests_equal(saved, loaded);
}

/* The rule text recorded is the one applied, even if today's builder would spell it
 * differently (an older version, a firewalld that prints rules its own way). */
static void
test_rich_rule_preserved(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwGuestState) saved = make_guest("web01", UUID_A);
    g_autoptr(VfwGuestState) loaded = NULL;
    VfwRule *rule = g_ptr_array_index(saved->rules, 2);
    const char *odd = "rule family=\"ipv4\" forward-port port=\"8080\" protocol=\"sctp\" "
                      "to-addr=\"192.168.100.10\" to-port=\"80\"";

    g_free(rule->rich_rule);
    rule->rich_rule = g_strdup(odd);
    g_assert_true(vfw_state_save_guest(fx->state, saved, &error));
    g_assert_true(vfw_state_load_guest(fx->state, UUID_A, &loaded, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(((VfwRule *)g_ptr_array_index(loaded->rules, 2))->rich_rule, ==, odd);
}

static void
test_load_missing(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    VfwGuestState *loaded = (VfwGuestState *)&error; /* must be reset to NULL */

    g_assert_true(vfw_state_load_guest(fx->state, UUID_A, &loaded, &error));
    g_assert_no_error(error);
    g_assert_null(loaded);
}

static void
test_list_and_remove(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwGuestState) a = make_guest("web01", UUID_A);
    g_autoptr(VfwGuestState) b = vfw_guest_state_new("db01", UUID_B);
    g_autoptr(GPtrArray) list = NULL;
    g_autofree char *stray = NULL;
    gboolean seen_a = FALSE, seen_b = FALSE;

    /* No guests directory yet: an empty list. */
    list = vfw_state_list_guests(fx->state, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 0);
    g_clear_pointer(&list, g_ptr_array_unref);

    g_assert_true(vfw_state_save_guest(fx->state, a, &error));
    g_assert_true(vfw_state_save_guest(fx->state, b, &error));
    g_assert_no_error(error);
    /* Files that are not records are not listed. */
    stray = state_file(fx, "guests", "README");
    g_assert_true(g_file_set_contents(stray, "hello", -1, NULL));

    list = vfw_state_list_guests(fx->state, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 2);
    for (guint i = 0; i < list->len; i++) {
        const VfwGuestState *gs = g_ptr_array_index(list, i);
        if (g_strcmp0(gs->uuid, UUID_A) == 0) {
            assert_guests_equal(a, gs);
            seen_a = TRUE;
        } else {
            assert_guests_equal(b, gs);
            seen_b = TRUE;
        }
    }
    g_assert_true(seen_a && seen_b);
    g_clear_pointer(&list, g_ptr_array_unref);

    g_assert_true(vfw_state_remove_guest(fx->state, UUID_A, &error));
    g_assert_no_error(error);
    /* Removing what is not there is success: removal is idempotent. */
    g_assert_true(vfw_state_remove_guest(fx->state, UUID_A, &error));
    g_assert_no_error(error);
    list = vfw_state_list_guests(fx->state, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 1);
    g_assert_cmpstr(((VfwGuestState *)g_ptr_array_index(list, 0))->uuid, ==, UUID_B);
}

static void
test_remove_file_no_subdir(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(vfw_state_remove_file(fx->state, "networks", "default.xml", &error));
    g_assert_no_error(error);
}

/* A record replaced by a symlink (to a valid record elsewhere) is refused, not followed. */
static void
test_symlink_refused(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwGuestState) saved = make_guest("web01", UUID_A);
    g_autoptr(VfwGuestState) loaded = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autofree char *file = state_file(fx, "guests", UUID_A ".state");
    g_autofree char *elsewhere = g_build_filename(fx->tmp, "elsewhere.state", NULL);
    g_autofree char *contents = NULL;
    gsize len = 0;
    char *data_read;

    g_assert_true(vfw_state_save_guest(fx->state, saved, &error));
    g_assert_cmpint(g_rename(file, elsewhere), ==, 0);
    g_assert_cmpint(symlink(elsewhere, file), ==, 0);

    g_assert_false(vfw_state_load_guest(fx->state, UUID_A, &loaded, &error));
    g_assert_null(loaded);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
    assert_contains(error->message, fx->path);
    g_clear_error(&error);

    /* Listing does not skip it silently either. */
    list = vfw_state_list_guests(fx->state, &error);
    g_assert_null(list);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
    g_clear_error(&error);

    data_read = vfw_state_load_file(fx->state, "guests", UUID_A ".state", &len, &error);
    g_assert_null(data_read);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
    g_clear_error(&error);

    /* Saving replaces the link itself; the file it pointed to is untouched. */
    g_assert_true(g_file_get_contents(elsewhere, &contents, NULL, NULL));
    saved->stopped = TRUE;
    g_assert_true(vfw_state_save_guest(fx->state, saved, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR) &&
                  !g_file_test(file, G_FILE_TEST_IS_SYMLINK));
    {
        g_autofree char *after = NULL;
        g_assert_true(g_file_get_contents(elsewhere, &after, NULL, NULL));
        g_assert_cmpstr(after, ==, contents);
    }
}

/* The guests directory itself replaced by a symlink: refused for reading and writing. */
static void
test_symlinked_subdir_refused(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwGuestState) saved = make_guest("web01", UUID_A);
    g_autoptr(VfwGuestState) loaded = NULL;
    g_autofree char *guests = g_build_filename(fx->path, "guests", NULL);
    g_autofree char *other = g_build_filename(fx->tmp, "other", NULL);
    g_autofree char *planted = g_build_filename(other, UUID_A ".state", NULL);

    g_assert_true(vfw_state_save_guest(fx->state, saved, &error));
    g_assert_cmpint(g_rename(guests, other), ==, 0);
    g_assert_cmpint(symlink(other, guests), ==, 0);

    g_assert_false(vfw_state_load_guest(fx->state, UUID_A, &loaded, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
    g_clear_error(&error);
    g_assert_false(vfw_state_save_guest(fx->state, saved, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
    g_clear_error(&error);
    g_assert_true(g_file_test(planted, G_FILE_TEST_IS_REGULAR));
}

static void
collect(VfwGuestState *gs, gpointer data)
{
    g_ptr_array_add(data, gs);
}

/* What a conflict check reads of each record (vfw_state_foreach_guest_brief) is what the
 * whole record says of those fields: name (escapes included), UUID, stopped, each rule's
 * kind, family and spec (a joined range too), each lease forward's spec. */
static void
test_brief_read(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwGuestState) saved = make_guest(" web 01\\x\t ", UUID_A);
    g_autoptr(VfwGuestState) full = NULL;
    g_autoptr(GPtrArray) seen =
        g_ptr_array_new_with_free_func((GDestroyNotify)vfw_guest_state_free);
    const VfwGuestState *brief;
    VfwPortSpec spec;
    VfwRule *replaced;

    saved->stopped = TRUE;
    g_ptr_array_add(saved->rules, make_rule("8000-8009:80/tcp", G_SOCKET_FAMILY_IPV6,
                                            "2001:db8:100::10", NULL, "metadata"));
    g_ptr_array_add(saved->rules,
                    vfw_rule_new_hairpin(G_SOCKET_FAMILY_IPV4, "192.168.100.10", "routed", "x"));
    replaced = vfw_rule_new_hairpin(G_SOCKET_FAMILY_IPV4, "192.168.100.11", "routed", "x");
    replaced->kind = VFW_RULE_REPLACED;
    g_ptr_array_add(saved->rules, replaced);
    g_assert_true(vfw_port_spec_parse("18080:80/tcp", &spec, NULL));
    g_ptr_array_add(saved->leases,
                    vfw_lease_forward_new(&spec, "52:54:00:00:00:01", "routed", NULL, "m"));
    g_assert_true(vfw_state_save_guest(fx->state, saved, &error));
    g_assert_true(vfw_state_load_guest(fx->state, UUID_A, &full, &error));
    g_assert_no_error(error);
    g_assert_true(vfw_state_foreach_guest_brief(fx->state, collect, seen, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(seen->len, ==, 1);
    brief = g_ptr_array_index(seen, 0);
    g_assert_cmpstr(brief->name, ==, " web 01\\x\t ");
    g_assert_cmpstr(brief->uuid, ==, full->uuid);
    g_assert_true(brief->stopped);
    g_assert_cmpuint(brief->rules->len, ==, full->rules->len);
    for (guint i = 0; i < full->rules->len; i++) {
        const VfwRule *a = g_ptr_array_index(full->rules, i);
        const VfwRule *b = g_ptr_array_index(brief->rules, i);
        g_assert_cmpint(a->kind, ==, b->kind);
        g_assert_cmpint(a->family, ==, b->family);
        g_assert_cmpint(memcmp(&a->spec, &b->spec, sizeof a->spec), ==, 0);
    }
    g_assert_cmpuint(brief->leases->len, ==, 1);
    g_assert_cmpuint(((VfwLeaseForward *)g_ptr_array_index(brief->leases, 0))->spec.host_port, ==,
                     18080);
}

/* A record edited by hand the way GKeyFile still reads it (CRLF, indented lines, blanks
 * around '=' and after a group's ']', a boolean written 1): the brief read sees its ports. */
static void
test_brief_read_hand_edited(Fixture *fx, gconstpointer data)
{
    static const char text[] =
        "# edited\r\n[guest]\r\n  name = web01\r\nuuid=" UUID_A "\r\nstopped=1\r\n"
        "  [rule 0]  \r\nspec = 80:80/tcp\r\nto-addr=10.0.0.1\r\nrich-rule=x\r\n"
        "\t[rule 1]\r\n  # a comment\r\n spec=90:90/udp\r\nfamily= ipv6\r\n"
        "to-addr=fd00::1\r\nrich-rule=y\r\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwGuestState) full = vfw_state_parse_record(text, strlen(text), &error);
    g_autoptr(VfwGuestState) brief = NULL;

    g_assert_no_error(error);
    brief = vfw_record_parse_brief(text, strlen(text), &error);
    g_assert_no_error(error);
    g_assert_cmpstr(brief->name, ==, full->name);
    g_assert_cmpstr(brief->name, ==, "web01");
    g_assert_true(full->stopped);
    g_assert_true(brief->stopped);
    g_assert_cmpuint(full->rules->len, ==, 2);
    g_assert_cmpuint(brief->rules->len, ==, 2);
    for (guint i = 0; i < 2; i++) {
        const VfwRule *a = g_ptr_array_index(full->rules, i);
        const VfwRule *b = g_ptr_array_index(brief->rules, i);
        g_assert_cmpint(a->family, ==, b->family);
        g_assert_cmpint(memcmp(&a->spec, &b->spec, sizeof a->spec), ==, 0);
    }
    g_assert_cmpint(((VfwRule *)g_ptr_array_index(brief->rules, 1))->family, ==,
                    G_SOCKET_FAMILY_IPV6);
}

typedef struct {
    const char *label;
    const char *contents; /* NULL: a FIFO */
    gboolean brief_reads; /* what the brief read (conflict checks) does not look at */
} CorruptCase;

static const CorruptCase corrupt_cases[] = {
    { "garbage", "\x01\x02 not a keyfile", FALSE },
    { "no-guest-group", "[rule 0]\nspec=80:80/tcp\n", FALSE },
    { "no-uuid", "[guest]\nname=web01\n", FALSE },
    { "rule-without-rich-rule",
      "[guest]\nname=web01\nuuid=" UUID_A "\n[rule 0]\nspec=80:80/tcp\nto-addr=10.0.0.1\n", TRUE },
    { "rule-bad-spec",
      "[guest]\nname=web01\nuuid=" UUID_A "\n[rule 0]\nspec=0:80/tcp\n"
      "to-addr=10.0.0.1\nrich-rule=x\n",
      FALSE },
    { "rule-without-spec",
      "[guest]\nname=web01\nuuid=" UUID_A "\n[rule 0]\nto-addr=10.0.0.1\nrich-rule=x\n", FALSE },
    { "rule-unknown-kind",
      "[guest]\nname=web01\nuuid=" UUID_A "\n[rule 0]\nkind=other\n"
      "to-addr=10.0.0.1\nrich-rule=x\n",
      FALSE },
    { "lease-without-spec",
      "[guest]\nname=web01\nuuid=" UUID_A "\n[lease 0]\nmac=52:54:00:00:00:01\nnetwork=n\n",
      FALSE },
    { "header-not-closed", "[guest]\nname=web01\nuuid=" UUID_A "\n[rule 0\nspec=80:80/tcp\n",
      FALSE },
    { "fifo", NULL, FALSE },
};

static void
test_corrupt(Fixture *fx, gconstpointer data)
{
    const CorruptCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwGuestState) loaded = NULL;
    g_autofree char *dir = g_build_filename(fx->path, "guests", NULL);
    g_autofree char *file = state_file(fx, "guests", UUID_A ".state");

    g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
    if (tc->contents)
        g_assert_true(g_file_set_contents(file, tc->contents, -1, NULL));
    else
        g_assert_cmpint(mkfifo(file, 0644), ==, 0);

    g_assert_false(vfw_state_load_guest(fx->state, UUID_A, &loaded, &error));
    g_assert_null(loaded);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
    assert_contains(error->message, UUID_A ".state");
    g_clear_error(&error);

    /* a conflict check refuses it too: an unreadable record could hide a conflict */
    {
        g_autoptr(GPtrArray) seen =
            g_ptr_array_new_with_free_func((GDestroyNotify)vfw_guest_state_free);
        gboolean ok = vfw_state_foreach_guest_brief(fx->state, collect, seen, &error);
        if (tc->brief_reads) {
            g_assert_no_error(error);
            g_assert_true(ok);
            g_assert_cmpuint(seen->len, ==, 1);
        } else {
            g_assert_false(ok);
            g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
            assert_contains(error->message, UUID_A ".state");
        }
    }
}

/* In-process: a second open of the same directory waits, then gives up. */
static void
test_lock_in_process(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwState) second = vfw_state_open(fx->path, 50, &error);

    g_assert_null(second);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
    assert_contains(error->message, "lock held by another process for more than 50 ms");
    g_clear_error(&error);

    g_clear_pointer(&fx->state, vfw_state_close);
    second = vfw_state_open(fx->path, 50, &error);
    g_assert_no_error(error);
    g_assert_nonnull(second);
}

/* The child's verdict on vfw_state_open with a 100 ms timeout: 0 when it failed as it
 * should (state error, after roughly the timeout), 1 when it got the lock, 2 otherwise. */
static int
child_try_lock(const char *path)
{
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time();
    VfwState *state = vfw_state_open(path, 100, &error);
    gint64 waited_ms = (g_get_monotonic_time() - start) / 1000;

    if (state) {
        vfw_state_close(state);
        return 1;
    }
    if (!g_error_matches(error, VFW_ERROR, VFW_ERROR_STATE) || waited_ms < 90 || waited_ms > 5000)
        return 2;
    return 0;
}

static int
run_child(const char *path)
{
    int status = 0;
    pid_t pid = fork();

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        _exit(child_try_lock(path));
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void
test_lock_other_process(Fixture *fx, gconstpointer data)
{
    /* The parent holds the lock (the fixture opened the state). */
    g_assert_cmpint(run_child(fx->path), ==, 0);
    /* Released: the child gets it. */
    g_clear_pointer(&fx->state, vfw_state_close);
    g_assert_cmpint(run_child(fx->path), ==, 1);
}

/* Writes are temp file + rename: after any number of saves only the records are there. */
static void
test_save_atomic(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = NULL;
    g_autofree char *dir_path = g_build_filename(fx->path, "networks", NULL);
    g_autofree char *loaded = NULL;
    const char *name;
    guint count = 0;
    gsize len = 0;

    for (int i = 0; i < 20; i++) {
        g_autofree char *text = g_strdup_printf("<network><name>n%d</name></network>", i);
        g_assert_true(
            vfw_state_save_file(fx->state, "networks", "default.xml", text, strlen(text), &error));
        g_assert_true(
            vfw_state_save_file(fx->state, "networks", "lab.xml", text, strlen(text), &error));
        g_assert_no_error(error);
    }
    dir = g_dir_open(dir_path, 0, &error);
    g_assert_no_error(error);
    while ((name = g_dir_read_name(dir))) {
        g_test_message("%s", name);
        g_assert_true(g_str_equal(name, "default.xml") || g_str_equal(name, "lab.xml"));
        count++;
    }
    g_assert_cmpuint(count, ==, 2);

    loaded = vfw_state_load_file(fx->state, "networks", "default.xml", &len, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(loaded, ==, "<network><name>n19</name></network>");
    g_assert_cmpuint(len, ==, strlen(loaded));

    /* A missing file is NULL without an error. */
    g_clear_pointer(&loaded, g_free);
    loaded = vfw_state_load_file(fx->state, "networks", "gone.xml", &len, &error);
    g_assert_no_error(error);
    g_assert_null(loaded);

    g_assert_true(vfw_state_remove_file(fx->state, "networks", "lab.xml", &error));
    g_assert_no_error(error);
    {
        g_autofree char *lab = g_build_filename(dir_path, "lab.xml", NULL);
        g_assert_false(g_file_test(lab, G_FILE_TEST_EXISTS));
    }
}

/* The persistent ledger mirrors every record, survives the state directory (in /run) and
 * answers for it when the record there is gone. */
static void
test_ledger(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwGuestState) a = make_guest("web01", UUID_A);
    g_autoptr(VfwGuestState) loaded = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autofree char *ledger = g_build_filename(fx->tmp, "var", "lib", "virt-firewalld", NULL);
    g_autofree char *mirrored = g_build_filename(ledger, "guests", UUID_A ".state", NULL);
    g_autofree char *guests = g_build_filename(fx->path, "guests", NULL);
    struct stat st;

    /* Without a ledger: nothing to list, and _any is plain load. */
    list = vfw_state_list_ledger(fx->state, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 0);
    g_clear_pointer(&list, g_ptr_array_unref);

    g_assert_true(vfw_state_open_ledger(fx->state, ledger, &error));
    g_assert_no_error(error);
    g_assert_cmpint(stat(ledger, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0700);

    g_assert_true(vfw_state_save_guest(fx->state, a, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_test(mirrored, G_FILE_TEST_IS_REGULAR));
    list = vfw_state_list_ledger(fx->state, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, 1);
    assert_guests_equal(a, g_ptr_array_index(list, 0));
    /* records the caller already has (the state directory's) are left out */
    {
        g_autoptr(GPtrArray) known = vfw_state_list_guests(fx->state, &error);
        g_autoptr(GPtrArray) rest = vfw_state_list_ledger(fx->state, known, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(known->len, ==, 1);
        g_assert_cmpuint(rest->len, ==, 0);
    }
    g_clear_pointer(&list, g_ptr_array_unref);

    /* A reboot empties /run: only the ledger still knows. */
    rm_rf(guests);
    g_assert_true(vfw_state_load_guest(fx->state, UUID_A, &loaded, &error));
    g_assert_null(loaded);
    g_assert_true(vfw_state_load_guest_any(fx->state, UUID_A, &loaded, &error));
    g_assert_no_error(error);
    g_assert_nonnull(loaded);
    assert_guests_equal(a, loaded);
    g_clear_pointer(&loaded, vfw_guest_state_free);

    /* Removal forgets the guest in both places. */
    g_assert_true(vfw_state_remove_guest(fx->state, UUID_A, &error));
    g_assert_no_error(error);
    g_assert_false(g_file_test(mirrored, G_FILE_TEST_EXISTS));
    g_assert_true(vfw_state_load_guest_any(fx->state, UUID_A, &loaded, &error));
    g_assert_no_error(error);
    g_assert_null(loaded);
}

static void
test_ledger_symlink_refused(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *real = g_build_filename(fx->tmp, "real", NULL);
    g_autofree char *link = g_build_filename(fx->tmp, "ledger", NULL);

    g_assert_cmpint(g_mkdir(real, 0700), ==, 0);
    g_assert_cmpint(symlink(real, link), ==, 0);
    g_assert_false(vfw_state_open_ledger(fx->state, link, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
    assert_contains(error->message, link);
}

static void
test_open_errors(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwState) state = NULL;
    g_autofree char *tmp = g_dir_make_tmp("vfw-state-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(tmp, "file", NULL);
    g_autofree char *link = g_build_filename(tmp, "link", NULL);
    g_autofree char *real = g_build_filename(tmp, "real", NULL);

    /* A regular file where the directory should be. */
    g_assert_true(g_file_set_contents(file, "", 0, NULL));
    state = vfw_state_open(file, 10, &error);
    g_assert_null(state);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
    assert_contains(error->message, file);
    g_clear_error(&error);

    /* The state directory itself a symlink: refused. */
    g_assert_cmpint(g_mkdir(real, 0755), ==, 0);
    g_assert_cmpint(symlink(real, link), ==, 0);
    state = vfw_state_open(link, 10, &error);
    g_assert_null(state);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_STATE);
    g_clear_error(&error);

    rm_rf(tmp);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
    ADD("/state/open", test_open);
    ADD("/state/round-trip", test_round_trip);
    ADD("/state/brief-read", test_brief_read);
    ADD("/state/brief-read-hand-edited", test_brief_read_hand_edited);
    ADD("/state/rich-rule-preserved", test_rich_rule_preserved);
    ADD("/state/load-missing", test_load_missing);
    ADD("/state/list-and-remove", test_list_and_remove);
    ADD("/state/remove-file-no-subdir", test_remove_file_no_subdir);
    ADD("/state/symlink-refused", test_symlink_refused);
    ADD("/state/symlinked-subdir-refused", test_symlinked_subdir_refused);
    ADD("/state/lock/in-process", test_lock_in_process);
    ADD("/state/lock/other-process", test_lock_other_process);
    ADD("/state/save-atomic", test_save_atomic);
    ADD("/state/ledger", test_ledger);
    ADD("/state/ledger-symlink-refused", test_ledger_symlink_refused);
#undef ADD
    for (guint i = 0; i < G_N_ELEMENTS(corrupt_cases); i++) {
        g_autofree char *path = g_strdup_printf("/state/corrupt/%s", corrupt_cases[i].label);
        g_test_add(path, Fixture, &corrupt_cases[i], fixture_setup, test_corrupt, fixture_teardown);
    }
    g_test_add_func("/state/open-errors", test_open_errors);
    return g_test_run();
}
