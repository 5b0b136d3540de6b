/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Configuration: the main file CONFDIR/virt-firewalld.conf and the per-guest drop-ins
 * CONFDIR/forwards.d/NAME.conf, both GLib keyfiles so that Ansible's template module can write
 * them. Every value is validated here and unknown keys are errors, with FILE:LINE.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfw-error.h"

#define CONFIG_MAX_SIZE         (1024 * 1024)
#define DEFAULT_DBUS_TIMEOUT_MS 5000

/**
 * vfw_decl_forward_new:
 * A declared forward; @address and @origin are copied.
 */
VfwDeclForward *
vfw_decl_forward_new(const VfwPortSpec *spec, const char *address, const char *origin)
{
    VfwDeclForward *fwd = g_new0(VfwDeclForward, 1);

    fwd->spec = *spec;
    fwd->address = g_strdup(address);
    fwd->origin = g_strdup(origin);
    return fwd;
}

/**
 * vfw_decl_forward_free:
 * GDestroyNotify for VfwDeclForward.
 */
void
vfw_decl_forward_free(gpointer data)
{
    VfwDeclForward *fwd = data;

    if (!fwd)
        return;
    g_free(fwd->address);
    g_free(fwd->origin);
    g_free(fwd);
}

static void
guest_decl_free(gpointer data)
{
    VfwGuestDecl *decl = data;

    g_free(decl->group);
    g_ptr_array_unref(decl->forwards);
    g_clear_object(&decl->address);
    g_clear_object(&decl->address6);
    g_clear_object(&decl->source);
    g_free(decl->origin);
    g_free(decl);
}

/**
 * vfw_config_new:
 * An empty configuration with the built-in defaults.
 */
VfwConfig *
vfw_config_new(void)
{
    VfwConfig *config = g_new0(VfwConfig, 1);

    config->on_error = VFW_ON_ERROR_FAIL;
    config->dbus_timeout_ms = DEFAULT_DBUS_TIMEOUT_MS;
    config->network_zones = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    config->guests = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, guest_decl_free);
    return config;
}

/**
 * vfw_config_free:
 * Frees @config; NULL-safe.
 */
void
vfw_config_free(VfwConfig *config)
{
    if (!config)
        return;
    g_hash_table_unref(config->network_zones);
    g_hash_table_unref(config->guests);
    g_free(config);
}

/**
 * vfw_zone_name_is_valid:
 * firewalld zone and policy names: letters, digits, '_' and '-', at most 17 characters.
 */
gboolean
vfw_zone_name_is_valid(const char *zone)
{
    if (!zone || !*zone || strlen(zone) > 17)
        return FALSE;
    for (const char *p = zone; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
            return FALSE;
    }
    return TRUE;
}

/* The line of KEY inside [GROUP] (or of [GROUP] itself when key is NULL), 1-based; 0 when
 * not found. GKeyFile forgets line numbers, and users want them in errors. */
static int
find_line(const char *data, const char *group, const char *key)
{
    g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
    gboolean in_group = FALSE;

    for (int i = 0; lines[i]; i++) {
        const char *line = lines[i];
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '[') {
            const char *end = strrchr(line, ']');
            in_group = end && (gsize)(end - line - 1) == strlen(group) &&
                       strncmp(line + 1, group, end - line - 1) == 0;
            if (in_group && !key)
                return i + 1;
            continue;
        }
        if (in_group && key && g_str_has_prefix(line, key)) {
            const char *rest = line + strlen(key);
            while (*rest == ' ' || *rest == '\t')
                rest++;
            if (*rest == '=')
                return i + 1;
        }
    }
    return 0;
}

static char *
origin_of(const char *file, const char *data, const char *group, const char *key)
{
    int line = find_line(data, group, key);

    return line ? g_strdup_printf("%s:%d", file, line) : g_strdup(file);
}

/* Opens a config file as sshd and sudo do: a regular file, not a symlink, owned by root
 * (or by the user running us, when not root), writable by nobody else. */
static char *
read_trusted_file(const char *path, gsize *len, GError **error)
{
    g_autofree char *data = NULL;
    struct stat st;
    int fd;

    /* O_NONBLOCK: opening a FIFO put in place of a drop-in must not hang the hook. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s: %s", path, g_strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s: not a regular file", path);
        return NULL;
    }
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        close(fd);
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                    "%s: refusing a file that is not owned by root or is writable by "
                    "group or others",
                    path);
        return NULL;
    }
    if (st.st_size > CONFIG_MAX_SIZE) {
        close(fd);
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s: larger than %d bytes", path,
                    CONFIG_MAX_SIZE);
        return NULL;
    }
    data = g_malloc(st.st_size + 1);
    ssize_t n = read(fd, data, st.st_size);
    close(fd);
    if (n != st.st_size) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s: short read", path);
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return g_steal_pointer(&data);
}

static GKeyFile *
parse_keyfile(const char *data, gsize len, const char *origin, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local_error = NULL;

    if (!g_utf8_validate(data, len, NULL) || memchr(data, '\0', len)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s: not UTF-8 text", origin);
        return NULL;
    }
    /* KEEP_TRANSLATIONS: otherwise GKeyFile silently drops `key[LOCALE]=` lines of other
     * locales (which ones depends on the caller's LANG); kept, they are unknown keys. */
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_KEEP_TRANSLATIONS, &local_error)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s: %s", origin, local_error->message);
        return NULL;
    }
    return g_steal_pointer(&kf);
}

/* Values are read raw, with g_key_file_get_value(): none of ours needs GKeyFile's escapes
 * (\s, \n, \t, \\), so a backslash is refused by each value's own check, quoted as
 * written. g_key_file_get_string() returned NULL for a bad escape ("80\q"), which made a
 * `forward =` line vanish without an error, and GLib (2.74) warns about an internal GError
 * overwritten when a value ends in a backslash after a bad escape (found by fuzzing). */
static gboolean
parse_main_hook_group(VfwConfig *config, GKeyFile *kf, const char *path, const char *data,
                      GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "hook", NULL, NULL);

    for (guint i = 0; keys && keys[i]; i++) {
        g_autofree char *value = g_key_file_get_value(kf, "hook", keys[i], NULL);
        g_autofree char *where = origin_of(path, data, "hook", keys[i]);
        guint64 seconds = 0;

        if (strcmp(keys[i], "on-error") == 0 && g_strcmp0(value, "fail") == 0) {
            config->on_error = VFW_ON_ERROR_FAIL;
        } else if (strcmp(keys[i], "on-error") == 0 && g_strcmp0(value, "warn") == 0) {
            config->on_error = VFW_ON_ERROR_WARN;
        } else if (strcmp(keys[i], "dbus-timeout") == 0 && value &&
                   g_ascii_string_to_unsigned(value, 10, 1, 120, &seconds, NULL)) {
            config->dbus_timeout_ms = (guint)seconds * 1000;
        } else if (strcmp(keys[i], "on-error") == 0 || strcmp(keys[i], "dbus-timeout") == 0) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s: key '%s': invalid value '%s' (%s)",
                        where, keys[i], value ? value : "",
                        keys[i][0] == 'o' ? "fail or warn" : "seconds, 1-120");
            return FALSE;
        } else {
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s: unknown key '%s' in [hook]", where,
                        keys[i]);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
parse_main_network_group(VfwConfig *config, GKeyFile *kf, const char *group, const char *path,
                         const char *data, GError **error)
{
    const char *net = group + strlen("network:");
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

    for (guint i = 0; keys && keys[i]; i++) {
        g_autofree char *value = g_key_file_get_value(kf, group, keys[i], NULL);
        g_autofree char *where = origin_of(path, data, group, keys[i]);

        if (strcmp(keys[i], "zone") != 0) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s: unknown key '%s' in [%s]", where,
                        keys[i], group);
            return FALSE;
        }
        if (!vfw_zone_name_is_valid(value)) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                        "%s: network '%s': '%s' is not a firewalld zone name", where, net,
                        value ? value : "");
            return FALSE;
        }
        g_hash_table_replace(config->network_zones, g_strdup(net), g_steal_pointer(&value));
    }
    return TRUE;
}

/**
 * vfw_config_load_main:
 * Loads the main configuration file at @path into @config. A missing file is not an error.
 */
gboolean
vfw_config_load_main(VfwConfig *config, const char *path, GError **error)
{
    g_autofree char *data = NULL;
    g_autoptr(GKeyFile) kf = NULL;
    g_auto(GStrv) groups = NULL;
    gsize len = 0;

    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return TRUE;
    data = read_trusted_file(path, &len, error);
    if (!data)
        return FALSE;
    kf = parse_keyfile(data, len, path, error);
    if (!kf)
        return FALSE;
    groups = g_key_file_get_groups(kf, NULL);
    for (guint i = 0; groups[i]; i++) {
        gboolean ok;
        if (strcmp(groups[i], "hook") == 0) {
            ok = parse_main_hook_group(config, kf, path, data, error);
        } else if (g_str_has_prefix(groups[i], "network:") && groups[i][8]) {
            ok = parse_main_network_group(config, kf, groups[i], path, data, error);
        } else {
            g_autofree char *where = origin_of(path, data, groups[i], NULL);
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                        "%s: unknown group '[%s]' (expected [hook] or [network:NAME])", where,
                        groups[i]);
            ok = FALSE;
        }
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static gboolean
parse_guest_address(GKeyFile *kf, const char *group, const char *key, GSocketFamily family,
                    const char *where, GInetAddress **out, GError **error)
{
    g_autofree char *value = g_key_file_get_value(kf, group, key, NULL);

    if (!vfw_parse_address(value ? g_strstrip(value) : NULL, family, out, error)) {
        g_prefix_error(error, "%s: guest '%s': key '%s': ", where, group, key);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_guest_forwards(VfwGuestDecl *decl, GKeyFile *kf, const char *where, GError **error)
{
    g_autofree char *value = g_key_file_get_value(kf, decl->group, "forward", NULL);
    g_auto(GStrv) specs = g_strsplit(value ? value : "", ";", -1);

    for (guint i = 0; specs[i]; i++) {
        VfwPortSpec spec;
        char *text = g_strstrip(specs[i]);

        if (!*text)
            continue;
        if (!vfw_port_spec_parse_declared(text, &spec, error)) {
            g_prefix_error(error, "%s: guest '%s': ", where, decl->group);
            return FALSE;
        }
        g_ptr_array_add(decl->forwards, vfw_decl_forward_new(&spec, NULL, where));
    }
    return TRUE;
}

static gboolean
parse_guest_key(VfwGuestDecl *decl, GKeyFile *kf, const char *key, const char *where,
                GError **error)
{
    g_autofree char *value = NULL;

    if (strcmp(key, "forward") == 0)
        return parse_guest_forwards(decl, kf, where, error);
    if (strcmp(key, "address") == 0 || strcmp(key, "address6") == 0) {
        gboolean v6 = key[7] == '6';
        GInetAddress **slot = v6 ? &decl->address6 : &decl->address;
        if (*slot) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                        "%s: guest '%s': '%s' already set in %s", where, decl->group, key,
                        decl->origin);
            return FALSE;
        }
        return parse_guest_address(kf, decl->group, key,
                                   v6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4, where, slot,
                                   error);
    }
    if (strcmp(key, "source") == 0) {
        value = g_key_file_get_value(kf, decl->group, key, NULL);
        if (decl->source) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                        "%s: guest '%s': 'source' already set in %s", where, decl->group,
                        decl->origin);
            return FALSE;
        }
        if (!vfw_parse_subnet(value ? g_strstrip(value) : NULL, &decl->source, error)) {
            g_prefix_error(error, "%s: guest '%s': key 'source': ", where, decl->group);
            return FALSE;
        }
        return TRUE;
    }
    g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                "%s: guest '%s': unknown key '%s' (forward, address, address6, source)", where,
                decl->group, key);
    return FALSE;
}

static VfwGuestDecl *
get_guest_decl(VfwConfig *config, const char *group, const char *origin)
{
    VfwGuestDecl *decl = g_hash_table_lookup(config->guests, group);

    if (decl)
        return decl;
    decl = g_new0(VfwGuestDecl, 1);
    decl->group = g_strdup(group);
    decl->forwards = g_ptr_array_new_with_free_func(vfw_decl_forward_free);
    decl->origin = g_strdup(origin);
    g_hash_table_insert(config->guests, decl->group, decl);
    return decl;
}

/* Which [GUEST] groups of the drop-ins are parsed: all, or those naming one guest. */
typedef struct {
    gboolean all;
    const char *name; /* a group of this name, or NULL */
    const char *uuid; /* a group of this UUID (in either case), or NULL */
} GroupFilter;

static gboolean
group_wanted(const GroupFilter *filter, const char *group)
{
    return filter->all || (filter->name && strcmp(group, filter->name) == 0) ||
           (filter->uuid && g_ascii_strcasecmp(group, filter->uuid) == 0);
}

static gboolean
load_dropin_data(VfwConfig *config, const char *data, gsize len, const char *origin,
                 const GroupFilter *filter, GError **error)
{
    g_autoptr(GKeyFile) kf = parse_keyfile(data, len, origin, error);
    g_auto(GStrv) groups = NULL;

    if (!kf)
        return FALSE;
    groups = g_key_file_get_groups(kf, NULL);
    for (guint i = 0; groups[i]; i++) {
        if (!group_wanted(filter, groups[i]))
            continue;
        g_autofree char *group_origin = origin_of(origin, data, groups[i], NULL);
        VfwGuestDecl *decl = get_guest_decl(config, groups[i], group_origin);
        g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

        for (guint k = 0; keys && keys[k]; k++) {
            g_autofree char *where = origin_of(origin, data, groups[i], keys[k]);
            /* GKeyFile lists a repeated key (or a repeated [GROUP]) twice but returns only
             * the last value: the first `forward=` line would silently vanish. */
            if (!g_hash_table_add(seen, keys[k])) {
                const char *hint =
                    strcmp(keys[k], "forward") == 0 ? " (separate several forwards with ';')" : "";
                g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                            "%s: guest '%s': key '%s' set more than once in this file%s", where,
                            groups[i], keys[k], hint);
                return FALSE;
            }
            if (!parse_guest_key(decl, kf, keys[k], where, error))
                return FALSE;
        }
    }
    return TRUE;
}

/**
 * vfw_config_load_dropin_data:
 * Parses one forwards drop-in held in memory; @origin names it in errors. The same guest
 * may appear in several drop-ins: forwards add up, addresses may be set once.
 */
gboolean
vfw_config_load_dropin_data(VfwConfig *config, const char *data, gsize len, const char *origin,
                            GError **error)
{
    const GroupFilter all = { .all = TRUE };

    return load_dropin_data(config, data, len, origin, &all, error);
}

static gboolean
load_dropin(VfwConfig *config, const char *path, const GroupFilter *filter, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    data = read_trusted_file(path, &len, error);
    if (!data)
        return FALSE;
    return load_dropin_data(config, data, len, path, filter, error);
}

/**
 * vfw_config_load_dropin:
 * Reads and parses one forwards drop-in file, refusing untrusted files.
 */
gboolean
vfw_config_load_dropin(VfwConfig *config, const char *path, GError **error)
{
    const GroupFilter all = { .all = TRUE };

    return load_dropin(config, path, &all, error);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static VfwConfig *
load_config(const char *confdir, const GroupFilter *filter, GError **error)
{
    g_autoptr(VfwConfig) config = vfw_config_new();
    g_autofree char *main_path = g_build_filename(confdir, "virt-firewalld.conf", NULL);
    g_autofree char *dropdir = g_build_filename(confdir, "forwards.d", NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GDir) dir = NULL;
    const char *name;

    if (!vfw_config_load_main(config, main_path, error))
        return NULL;
    dir = g_dir_open(dropdir, 0, &local_error);
    if (!dir) {
        if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return g_steal_pointer(&config);
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s", local_error->message);
        return NULL;
    }
    while ((name = g_dir_read_name(dir))) {
        if (g_str_has_suffix(name, ".conf") && name[0] != '.')
            g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, compare_strings);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dropdir, g_ptr_array_index(names, i), NULL);
        if (!load_dropin(config, path, filter, error))
            return NULL;
    }
    return g_steal_pointer(&config);
}

/**
 * vfw_config_load:
 * Loads CONFDIR/virt-firewalld.conf and every CONFDIR/forwards.d/ *.conf in name order.
 */
VfwConfig *
vfw_config_load(const char *confdir, GError **error)
{
    const GroupFilter all = { .all = TRUE };

    return load_config(confdir, &all, error);
}

/**
 * vfw_config_load_for_guest:
 * Like vfw_config_load(), but of the drop-ins' [GUEST] groups only those naming the guest
 * @name (or @uuid, in either case) are parsed; with both NULL, none: the main file's
 * settings. A hook needs one guest's forwards, and a host can declare thousands: the
 * others are neither kept in memory nor checked (`virt-firewalld check` does that), so a
 * mistake in one guest's group does not stop another guest.
 */
VfwConfig *
vfw_config_load_for_guest(const char *confdir, const char *name, const char *uuid, GError **error)
{
    const GroupFilter filter = { .name = name, .uuid = uuid };

    return load_config(confdir, &filter, error);
}

/**
 * vfw_config_lookup_guest:
 * The drop-in group for a guest, by name or by UUID. Both at once is ambiguous: an error.
 * Returns NULL without error when the guest has no group.
 */
const VfwGuestDecl *
vfw_config_lookup_guest(const VfwConfig *config, const char *name, const char *uuid, GError **error)
{
    const VfwGuestDecl *by_name = g_hash_table_lookup(config->guests, name);
    const VfwGuestDecl *by_uuid = uuid ? g_hash_table_lookup(config->guests, uuid) : NULL;
    GHashTableIter iter;
    gpointer key, value;

    /* UUIDs compare case-insensitively (libvirt accepts either case, dmidecode prints
     * upper case); the domain parser gives us lower case. */
    g_hash_table_iter_init(&iter, config->guests);
    while (uuid && !by_uuid && g_hash_table_iter_next(&iter, &key, &value)) {
        if (g_ascii_strcasecmp(key, uuid) == 0)
            by_uuid = value;
    }

    if (by_name && by_uuid && by_name != by_uuid) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                    "guest '%s': declared both by name (%s) and by UUID (%s)", name,
                    by_name->origin, by_uuid->origin);
        return NULL;
    }
    return by_name ? by_name : by_uuid;
}
