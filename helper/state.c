/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state directory (default /run/virt-firewalld): what each guest had applied, the
 * network cache, and the host-wide lock every firewalld edit holds. All file access goes
 * through a directory fd with O_NOFOLLOW, so a state file replaced by a symlink is refused
 * rather than followed; writes are atomic (temp file + rename).
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record-brief.h"
#include "vfw-error.h"

#define STATE_FILE_MAX (4 * 1024 * 1024)

struct VfwState {
    char *path;
    int dir_fd;
    int lock_fd;
    VfwState *ledger; /* persistent mirror of the guest records, or NULL */
};

/**
 * vfw_guest_state_new:
 * An empty record for a guest.
 */
VfwGuestState *
vfw_guest_state_new(const char *name, const char *uuid)
{
    VfwGuestState *gs = g_new0(VfwGuestState, 1);

    gs->name = g_strdup(name);
    gs->uuid = g_strdup(uuid);
    gs->rules = g_ptr_array_new_with_free_func(vfw_rule_free);
    gs->leases = g_ptr_array_new_with_free_func(vfw_lease_forward_free);
    return gs;
}

/**
 * vfw_guest_state_free:
 * Frees @gs; NULL-safe.
 */
void
vfw_guest_state_free(VfwGuestState *gs)
{
    if (!gs)
        return;
    g_free(gs->name);
    g_free(gs->uuid);
    g_ptr_array_unref(gs->rules);
    g_ptr_array_unref(gs->leases);
    g_free(gs);
}

static gboolean
set_errno_error(GError **error, const char *path, const char *what)
{
    int saved = errno;

    g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "state directory '%s': %s: %s", path, what,
                g_strerror(saved));
    return FALSE;
}

static gboolean
take_lock(VfwState *state, guint timeout_ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    state->lock_fd =
        openat(state->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (state->lock_fd < 0)
        return set_errno_error(error, state->path, "opening the lock");
    while (flock(state->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return set_errno_error(error, state->path, "taking the lock");
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_STATE,
                        "state directory '%s': lock held by another process for more than "
                        "%u ms",
                        state->path, timeout_ms);
            return FALSE;
        }
        g_usleep(5000);
    }
    return TRUE;
}

/**
 * vfw_state_open:
 * Opens (creating it, mode 0755) the state directory at @path and takes the host-wide
 * lock, waiting at most @lock_timeout_ms. The lock is held until vfw_state_close().
 */
VfwState *
vfw_state_open(const char *path, guint lock_timeout_ms, GError **error)
{
    g_autoptr(VfwState) state = g_new0(VfwState, 1);

    state->path = g_strdup(path);
    state->dir_fd = state->lock_fd = -1;
    if (g_mkdir_with_parents(path, 0755) < 0)
        return set_errno_error(error, path, "creating it"), NULL;
    state->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (state->dir_fd < 0)
        return set_errno_error(error, path, "opening it"), NULL;
    if (!take_lock(state, lock_timeout_ms, error))
        return NULL;
    return g_steal_pointer(&state);
}

/**
 * vfw_state_close:
 * Releases the lock and frees @state; NULL-safe.
 */
void
vfw_state_close(VfwState *state)
{
    if (!state)
        return;
    if (state->lock_fd >= 0)
        close(state->lock_fd);
    vfw_state_close(state->ledger);
    if (state->dir_fd >= 0)
        close(state->dir_fd);
    g_free(state->path);
    g_free(state);
}

/**
 * vfw_state_path:
 * The directory @state was opened on.
 */
const char *
vfw_state_path(VfwState *state)
{
    return state->path;
}

/**
 * vfw_state_open_ledger:
 * Mirrors every guest record into @path too (default /var/lib/virt-firewalld): the state
 * directory lives in /run and is gone after a crash or reboot, while the rules we wrote
 * into firewalld's permanent configuration are not; the ledger is how `sync` tells them
 * apart from the admin's own rules afterwards. Covered by the state directory's lock.
 */
gboolean
vfw_state_open_ledger(VfwState *state, const char *path, GError **error)
{
    g_autoptr(VfwState) ledger = g_new0(VfwState, 1);

    ledger->path = g_strdup(path);
    ledger->dir_fd = ledger->lock_fd = -1;
    if (g_mkdir_with_parents(path, 0700) < 0)
        return set_errno_error(error, path, "creating it");
    ledger->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (ledger->dir_fd < 0)
        return set_errno_error(error, path, "opening it");
    vfw_state_close(state->ledger);
    state->ledger = g_steal_pointer(&ledger);
    return TRUE;
}

static int
open_subdir(VfwState *state, const char *subdir, gboolean create, GError **error)
{
    int fd;

    if (create && mkdirat(state->dir_fd, subdir, 0755) < 0 && errno != EEXIST) {
        set_errno_error(error, state->path, subdir);
        return -1;
    }
    fd = openat(state->dir_fd, subdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && (create || errno != ENOENT))
        set_errno_error(error, state->path, subdir);
    return fd;
}

/**
 * vfw_state_save_file:
 * Atomically replaces SUBDIR/NAME with @data. A symlink in its place is replaced, never
 * followed.
 */
gboolean
vfw_state_save_file(VfwState *state, const char *subdir, const char *name, const char *data,
                    gsize len, GError **error)
{
    g_autofree char *where = g_build_filename(subdir, name, NULL);
    g_autofree char *tmp = g_strdup_printf(".%s.%d.tmp", name, (int)getpid());
    int dir = open_subdir(state, subdir, TRUE, error);
    int fd;
    gboolean ok;

    if (dir < 0)
        return FALSE;
    unlinkat(dir, tmp, 0);
    fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        close(dir);
        return set_errno_error(error, state->path, where);
    }
    ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    ok = (close(fd) == 0) && ok;
    if (ok)
        ok = renameat(dir, tmp, dir, name) == 0;
    if (!ok) {
        set_errno_error(error, state->path, where);
        unlinkat(dir, tmp, 0);
    }
    close(dir);
    return ok;
}

/**
 * vfw_state_load_file:
 * Reads SUBDIR/NAME; returns NULL without error when it does not exist. Refuses symlinks
 * and anything but a regular file.
 */
char *
vfw_state_load_file(VfwState *state, const char *subdir, const char *name, gsize *len,
                    GError **error)
{
    g_autofree char *where = g_build_filename(subdir, name, NULL);
    g_autofree char *data = NULL;
    struct stat st;
    int dir = open_subdir(state, subdir, FALSE, error);
    int fd;
    ssize_t n;

    if (dir < 0)
        return NULL;
    fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    close(dir);
    if (fd < 0) {
        if (errno != ENOENT)
            set_errno_error(error, state->path, where);
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATE_FILE_MAX) {
        close(fd);
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE,
                    "state directory '%s': %s/%s is not a regular file of sane size", state->path,
                    subdir, name);
        return NULL;
    }
    data = g_malloc(st.st_size + 1);
    n = read(fd, data, st.st_size);
    close(fd);
    if (n != st.st_size) {
        set_errno_error(error, state->path, where);
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return g_steal_pointer(&data);
}

/**
 * vfw_state_remove_file:
 * Removes SUBDIR/NAME; a missing file is success.
 */
gboolean
vfw_state_remove_file(VfwState *state, const char *subdir, const char *name, GError **error)
{
    g_autofree char *where = g_build_filename(subdir, name, NULL);
    int dir = open_subdir(state, subdir, FALSE, error);
    int rc;

    if (dir < 0)
        return error == NULL || *error == NULL;
    rc = unlinkat(dir, name, 0);
    close(dir);
    if (rc < 0 && errno != ENOENT)
        return set_errno_error(error, state->path, where);
    return TRUE;
}

static char *
guest_file_name(const char *uuid)
{
    return g_strdup_printf("%s.state", uuid);
}

static void
write_rule(GKeyFile *kf, guint index, const VfwRule *rule)
{
    g_autofree char *group = g_strdup_printf("rule %u", index);

    if (rule->kind != VFW_RULE_FORWARD) {
        g_key_file_set_string(kf, group, "kind",
                              rule->kind == VFW_RULE_HAIRPIN ? "hairpin" : "replaced");
    } else {
        g_autofree char *spec = vfw_port_spec_to_string(&rule->spec);
        g_key_file_set_string(kf, group, "spec", spec);
    }
    g_key_file_set_string(kf, group, "family",
                          rule->family == G_SOCKET_FAMILY_IPV6 ? "ipv6" : "ipv4");
    g_key_file_set_string(kf, group, "to-addr", rule->to_addr);
    if (rule->source)
        g_key_file_set_string(kf, group, "source", rule->source);
    g_key_file_set_string(kf, group, "network", rule->network ? rule->network : "");
    g_key_file_set_string(kf, group, "origin", rule->origin ? rule->origin : "");
    g_key_file_set_string(kf, group, "rich-rule", rule->rich_rule);
}

static void
write_lease(GKeyFile *kf, guint index, const VfwLeaseForward *lf)
{
    g_autofree char *group = g_strdup_printf("lease %u", index);
    g_autofree char *spec = vfw_port_spec_to_string(&lf->spec);

    g_key_file_set_string(kf, group, "spec", spec);
    g_key_file_set_string(kf, group, "mac", lf->mac);
    g_key_file_set_string(kf, group, "network", lf->network);
    if (lf->source)
        g_key_file_set_string(kf, group, "source", lf->source);
    g_key_file_set_string(kf, group, "origin", lf->origin ? lf->origin : "");
}

static VfwLeaseForward *
read_lease(GKeyFile *kf, const char *group, GError **error)
{
    g_autofree char *spec_text = g_key_file_get_string(kf, group, "spec", NULL);
    g_autofree char *mac = g_key_file_get_string(kf, group, "mac", NULL);
    g_autofree char *network = g_key_file_get_string(kf, group, "network", NULL);
    g_autofree char *source = g_key_file_get_string(kf, group, "source", NULL);
    g_autofree char *origin = g_key_file_get_string(kf, group, "origin", NULL);
    VfwPortSpec spec;

    if (!spec_text || !mac || !network || !vfw_port_spec_parse(spec_text, &spec, error)) {
        if (error && !*error)
            g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "[%s] incomplete", group);
        return NULL;
    }
    return vfw_lease_forward_new(&spec, mac, network, source, origin);
}

/**
 * vfw_state_record_to_data:
 * The text of @gs's record, as vfw_state_save_guest() writes it (a GLib keyfile).
 */
char *
vfw_state_record_to_data(const VfwGuestState *gs, gsize *len)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();

    g_key_file_set_string(kf, "guest", "name", gs->name);
    g_key_file_set_string(kf, "guest", "uuid", gs->uuid);
    g_key_file_set_boolean(kf, "guest", "pending", gs->pending);
    g_key_file_set_boolean(kf, "guest", "stopped", gs->stopped);
    for (guint i = 0; i < gs->rules->len; i++)
        write_rule(kf, i, g_ptr_array_index(gs->rules, i));
    for (guint i = 0; i < gs->leases->len; i++)
        write_lease(kf, i, g_ptr_array_index(gs->leases, i));
    return g_key_file_to_data(kf, len, NULL);
}

/**
 * vfw_state_save_guest:
 * Atomically writes the record of one guest.
 */
gboolean
vfw_state_save_guest(VfwState *state, const VfwGuestState *gs, GError **error)
{
    g_autofree char *file = guest_file_name(gs->uuid);
    gsize len = 0;
    g_autofree char *data = vfw_state_record_to_data(gs, &len);

    if (state->ledger && !vfw_state_save_file(state->ledger, "guests", file, data, len, error))
        return FALSE;
    return vfw_state_save_file(state, "guests", file, data, len, error);
}

/**
 * vfw_state_decode_rule:
 * A recorded rule's "kind" (NULL for a forward), "spec" and "family" values, decoded: a
 * forward has a valid spec, a hairpin or replaced rule none (its @spec is zero). FALSE for
 * an unknown kind or a forward without a valid spec (@error is then set only by the spec's
 * parser). Both readers of records (the whole one and record-brief.c) decode rules here.
 */
gboolean
vfw_state_decode_rule(const char *kind, const char *spec_text, const char *family,
                      VfwRuleKind *kind_out, VfwPortSpec *spec, GSocketFamily *family_out,
                      GError **error)
{
    gboolean replaced = g_strcmp0(kind, "replaced") == 0;
    gboolean hairpin = g_strcmp0(kind, "hairpin") == 0 || replaced; /* both without a port */

    *spec = (VfwPortSpec){ 0 };
    if ((kind && !hairpin) ||
        (!hairpin && (!spec_text || !vfw_port_spec_parse(spec_text, spec, error))))
        return FALSE;
    *kind_out = replaced ? VFW_RULE_REPLACED : hairpin ? VFW_RULE_HAIRPIN : VFW_RULE_FORWARD;
    *family_out = g_strcmp0(family, "ipv6") == 0 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4;
    return TRUE;
}

static VfwRule *
read_rule(GKeyFile *kf, const char *group, GError **error)
{
    g_autofree char *spec_text = g_key_file_get_string(kf, group, "spec", NULL);
    g_autofree char *family = g_key_file_get_string(kf, group, "family", NULL);
    g_autofree char *to_addr = g_key_file_get_string(kf, group, "to-addr", NULL);
    g_autofree char *source = g_key_file_get_string(kf, group, "source", NULL);
    g_autofree char *network = g_key_file_get_string(kf, group, "network", NULL);
    g_autofree char *origin = g_key_file_get_string(kf, group, "origin", NULL);
    g_autofree char *rich = g_key_file_get_string(kf, group, "rich-rule", NULL);
    g_autofree char *kind = g_key_file_get_string(kf, group, "kind", NULL);
    VfwRuleKind rule_kind;
    GSocketFamily rule_family;
    VfwPortSpec spec;
    VfwRule *rule;

    if (!to_addr || !rich ||
        !vfw_state_decode_rule(kind, spec_text, family, &rule_kind, &spec, &rule_family, error)) {
        if (error && !*error)
            g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "[%s] incomplete", group);
        return NULL;
    }
    /* Keep the rule exactly as applied: that is the text to remove. */
    rule = vfw_rule_new_recorded(&spec, rule_family, to_addr, source, network, origin, rich);
    rule->kind = rule_kind;
    return rule;
}

/**
 * vfw_state_parse_record:
 * A whole guest record from its text (what vfw_state_load_guest() reads).
 */
VfwGuestState *
vfw_state_parse_record(const char *data, gsize len, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(VfwGuestState) gs = NULL;
    g_auto(GStrv) groups = NULL;
    g_autofree char *name = NULL;
    g_autofree char *uuid = NULL;

    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, error))
        return NULL;
    name = g_key_file_get_string(kf, "guest", "name", NULL);
    uuid = g_key_file_get_string(kf, "guest", "uuid", NULL);
    if (!name || !uuid) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "no [guest] name and uuid");
        return NULL;
    }
    gs = vfw_guest_state_new(name, uuid);
    gs->pending = g_key_file_get_boolean(kf, "guest", "pending", NULL);
    gs->stopped = g_key_file_get_boolean(kf, "guest", "stopped", NULL);
    groups = g_key_file_get_groups(kf, NULL);
    for (guint i = 0; groups[i]; i++) {
        if (g_str_has_prefix(groups[i], "lease ")) {
            VfwLeaseForward *lf = read_lease(kf, groups[i], error);
            if (!lf)
                return NULL;
            g_ptr_array_add(gs->leases, lf);
        }
        if (!g_str_has_prefix(groups[i], "rule "))
            continue;
        VfwRule *rule = read_rule(kf, groups[i], error);
        if (!rule)
            return NULL;
        g_ptr_array_add(gs->rules, rule);
    }
    return g_steal_pointer(&gs);
}

typedef VfwGuestState *(*RecordParser)(const char *data, gsize len, GError **error);

static gboolean
load_guest_with(VfwState *state, const char *uuid, RecordParser parse, VfwGuestState **out,
                GError **error)
{
    g_autofree char *file = guest_file_name(uuid);
    g_autoptr(GError) local_error = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;

    *out = NULL;
    data = vfw_state_load_file(state, "guests", file, &len, &local_error);
    if (local_error) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    if (!data)
        return TRUE;
    *out = parse(data, len, &local_error);
    if (!*out) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "state directory '%s': guests/%s: %s",
                    state->path, file, local_error->message);
        return FALSE;
    }
    return TRUE;
}

/**
 * vfw_state_load_guest:
 * Loads the record of guest @uuid into @out (NULL when there is none).
 */
gboolean
vfw_state_load_guest(VfwState *state, const char *uuid, VfwGuestState **out, GError **error)
{
    return load_guest_with(state, uuid, vfw_state_parse_record, out, error);
}

/**
 * vfw_state_remove_guest:
 * Forgets guest @uuid.
 */
gboolean
vfw_state_remove_guest(VfwState *state, const char *uuid, GError **error)
{
    g_autofree char *file = guest_file_name(uuid);

    if (!vfw_state_remove_file(state, "guests", file, error))
        return FALSE;
    return !state->ledger || vfw_state_remove_file(state->ledger, "guests", file, error);
}

/* Hands every record of @state but those of the guests in @skip (VfwGuestState, or NULL:
 * their files are not even read) to @visit, one at a time: @visit owns it. */
static gboolean
foreach_guest_except(VfwState *state, GPtrArray *skip, RecordParser parse, VfwGuestVisitor visit,
                     gpointer data, GError **error)
{
    g_autoptr(GHashTable) skip_files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GError) local_error = NULL;
    int dir = open_subdir(state, "guests", FALSE, &local_error);
    DIR *d;
    struct dirent *ent;

    if (dir < 0) {
        if (local_error) {
            g_propagate_error(error, g_steal_pointer(&local_error));
            return FALSE;
        }
        return TRUE;
    }
    d = fdopendir(dir);
    if (!d) {
        close(dir);
        return set_errno_error(error, state->path, "guests");
    }
    for (guint i = 0; skip && i < skip->len; i++)
        g_hash_table_add(skip_files,
                         guest_file_name(((VfwGuestState *)g_ptr_array_index(skip, i))->uuid));
    while ((ent = readdir(d))) {
        g_autofree char *uuid = NULL;
        VfwGuestState *gs = NULL;

        if (ent->d_name[0] == '.' || !g_str_has_suffix(ent->d_name, ".state") ||
            g_hash_table_contains(skip_files, ent->d_name))
            continue;
        uuid = g_strndup(ent->d_name, strlen(ent->d_name) - strlen(".state"));
        if (!load_guest_with(state, uuid, parse, &gs, error)) {
            closedir(d);
            return FALSE;
        }
        if (gs)
            visit(gs, data);
    }
    closedir(d);
    return TRUE;
}

/**
 * vfw_state_foreach_guest:
 * Hands every guest record to @visit, which owns it, one at a time: a caller that needs
 * a little of each record (conflict checks) never holds them all. Unreadable records are
 * errors, as in vfw_state_list_guests().
 */
gboolean
vfw_state_foreach_guest(VfwState *state, VfwGuestVisitor visit, gpointer data, GError **error)
{
    return foreach_guest_except(state, NULL, vfw_state_parse_record, visit, data, error);
}

/**
 * vfw_state_foreach_guest_brief:
 * vfw_state_foreach_guest(), each record read only for a host-port conflict check
 * (vfw_record_parse_brief: name, UUID, stopped, the rules' kind, family and spec, the lease
 * forwards' spec; no addresses or rule texts): a start hook reads every record on the host.
 */
gboolean
vfw_state_foreach_guest_brief(VfwState *state, VfwGuestVisitor visit, gpointer data, GError **error)
{
    return foreach_guest_except(state, NULL, vfw_record_parse_brief, visit, data, error);
}

static void
collect_guest(VfwGuestState *gs, gpointer data)
{
    g_ptr_array_add(data, gs);
}

static GPtrArray *
list_guests_except(VfwState *state, GPtrArray *skip, GError **error)
{
    g_autoptr(GPtrArray) list =
        g_ptr_array_new_with_free_func((GDestroyNotify)vfw_guest_state_free);

    if (!foreach_guest_except(state, skip, vfw_state_parse_record, collect_guest, list, error))
        return NULL;
    return g_steal_pointer(&list);
}

/**
 * vfw_state_list_guests:
 * Every guest record (VfwGuestState), e.g. for sync and status. Unreadable records are
 * errors: silently skipping one could hide a conflict.
 */
GPtrArray *
vfw_state_list_guests(VfwState *state, GError **error)
{
    return list_guests_except(state, NULL, error);
}

/**
 * vfw_state_list_ledger:
 * The guest records of the persistent ledger (empty without one): what may still be in
 * firewalld's permanent configuration from before a crash or reboot. Records of the guests
 * in @known (VfwGuestState, e.g. the state directory's; NULL: none) are left out unread.
 */
GPtrArray *
vfw_state_list_ledger(VfwState *state, GPtrArray *known, GError **error)
{
    if (!state->ledger)
        return g_ptr_array_new_with_free_func((GDestroyNotify)vfw_guest_state_free);
    return list_guests_except(state->ledger, known, error);
}

/**
 * vfw_state_load_guest_any:
 * Like vfw_state_load_guest(), falling back to the ledger's record when the state
 * directory has none (after a crash or reboot wiped /run).
 */
gboolean
vfw_state_load_guest_any(VfwState *state, const char *uuid, VfwGuestState **out, GError **error)
{
    if (!vfw_state_load_guest(state, uuid, out, error))
        return FALSE;
    if (*out || !state->ledger)
        return TRUE;
    return vfw_state_load_guest(state->ledger, uuid, out, error);
}
