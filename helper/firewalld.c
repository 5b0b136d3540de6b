/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The only module that talks to firewalld, through the typed proxies generated from
 * dbus/org.fedoraproject.FirewallD1.xml. Short synchronous calls with a timeout: a hook
 * must never hang a guest start.
 *
 * firewalld 1.3 has no per-item methods for policies: runtime changes are
 * getPolicySettings + setPolicySettings and permanent ones config.policy getSettings +
 * update, each replacing a whole list. Callers hold the host-wide lock (state.c) around
 * every edit, or concurrent hooks would drop each other's rules. Those four calls go over a
 * raw connection (wire.c) that reads the lists where they lie in the reply: GDBus's value
 * tree of a 5,000-entry policy took more memory than the rest of a hook run.
 */
#include "firewalld.h"

#include <string.h>

#include "plan.h"
#include "vfw-error.h"
#include "vfw-firewalld-dbus.h"
#include "wire.h"

#define FW_NAME        "org.fedoraproject.FirewallD1"
#define FW_PATH        "/org/fedoraproject/FirewallD1"
#define FW_CONFIG_PATH "/org/fedoraproject/FirewallD1/config"
#define FW_EXCEPTION   "org.fedoraproject.FirewallD1.Exception"

/* One-shot clients: no property cache, no signal subscriptions, and never D-Bus-activate
 * a firewalld the admin stopped. */
#define PROXY_FLAGS                                                                                \
    (G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES | G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS |       \
     G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START)

struct VfwFirewalld {
    GDBusConnection *bus;
    guint timeout_ms;
    VfwDBusFirewallD1 *main;
    VfwDBusFirewallD1Policy *policy;
    VfwDBusFirewallD1Zone *zone;
    VfwDBusFirewallD1Config *config;
    VfwWire *wire; /* policy lists: see read_policy_lists() */
};

/**
 * vfw_firewalld_free:
 * Frees @fw; NULL-safe.
 */
void
vfw_firewalld_free(VfwFirewalld *fw)
{
    if (!fw)
        return;
    g_clear_object(&fw->main);
    g_clear_object(&fw->policy);
    g_clear_object(&fw->zone);
    g_clear_object(&fw->config);
    g_clear_pointer(&fw->wire, vfw_wire_free);
    g_clear_object(&fw->bus);
    g_free(fw);
}

/* Turns a D-Bus failure into our error: no daemon or no answer in time is
 * VFW_ERROR_FIREWALLD_ABSENT (the hook lets the guest start and leaves it to sync);
 * firewalld's own refusals keep firewalld's words ("INVALID_ZONE: ..."). */
static void
map_error(VfwFirewalld *fw, GError **error, GError *dbus_error, const char *what)
{
    gboolean absent = g_error_matches(dbus_error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
                      g_error_matches(dbus_error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
                      g_error_matches(dbus_error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
                      g_error_matches(dbus_error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
                      g_error_matches(dbus_error, G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED) ||
                      g_error_matches(dbus_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
                      g_error_matches(dbus_error, G_IO_ERROR, G_IO_ERROR_CLOSED);

    if (absent) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD_ABSENT,
                    "firewalld is not running or did not answer within %u ms (%s)", fw->timeout_ms,
                    what);
        return;
    }
    if (g_dbus_error_is_remote_error(dbus_error))
        g_dbus_error_strip_remote_error(dbus_error);
    g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD, "firewalld: %s: %s", what,
                dbus_error->message);
}

/* firewalld signals "nothing to do" as errors whose message starts with a code. */
static gboolean
is_firewalld_code(GError *dbus_error, const char *code)
{
    g_autofree char *remote = g_dbus_error_get_remote_error(dbus_error);

    return g_strcmp0(remote, FW_EXCEPTION) == 0 && strstr(dbus_error->message, code) != NULL;
}

static void
set_timeout(gpointer proxy, guint timeout_ms)
{
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), (gint)timeout_ms);
}

/**
 * vfw_firewalld_new:
 * Connects to firewalld on @bus (NULL: the system bus). Every call made through the
 * result times out after @timeout_ms. Does not contact firewalld yet: a missing daemon
 * shows as VFW_ERROR_FIREWALLD_ABSENT on the first call.
 */
VfwFirewalld *
vfw_firewalld_new(GDBusConnection *bus, guint timeout_ms, GError **error)
{
    g_autoptr(VfwFirewalld) fw = g_new0(VfwFirewalld, 1);
    g_autoptr(GError) local_error = NULL;
    const GDBusProxyFlags flags = PROXY_FLAGS;

    fw->timeout_ms = timeout_ms;
    fw->bus = bus ? g_object_ref(bus) : g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &local_error);
    if (!fw->bus) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD_ABSENT,
                    "cannot reach the D-Bus system bus: %s", local_error->message);
        return NULL;
    }
    fw->main =
        vfw_dbus_firewall_d1_proxy_new_sync(fw->bus, flags, FW_NAME, FW_PATH, NULL, &local_error);
    if (fw->main)
        fw->policy = vfw_dbus_firewall_d1_policy_proxy_new_sync(fw->bus, flags, FW_NAME, FW_PATH,
                                                                NULL, &local_error);
    if (fw->policy)
        fw->zone = vfw_dbus_firewall_d1_zone_proxy_new_sync(fw->bus, flags, FW_NAME, FW_PATH, NULL,
                                                            &local_error);
    if (fw->zone)
        fw->config = vfw_dbus_firewall_d1_config_proxy_new_sync(fw->bus, flags, FW_NAME,
                                                                FW_CONFIG_PATH, NULL, &local_error);
    if (!fw->config) {
        map_error(fw, error, local_error, "connecting");
        return NULL;
    }
    /* Calls through a proxy made with DO_NOT_AUTO_START fail locally, with a generic
     * error, while the name has no owner; say "absent" up front instead. (Auto-starting
     * would be worse: D-Bus activation would start a firewalld the admin stopped.) */
    g_autofree char *owner = g_dbus_proxy_get_name_owner(G_DBUS_PROXY(fw->main));
    if (!owner) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD_ABSENT,
                    "firewalld is not running (no owner of %s on the system bus)", FW_NAME);
        return NULL;
    }
    set_timeout(fw->main, timeout_ms);
    set_timeout(fw->policy, timeout_ms);
    set_timeout(fw->zone, timeout_ms);
    set_timeout(fw->config, timeout_ms);
    return g_steal_pointer(&fw);
}

/**
 * vfw_firewalld_get_property:
 * A string property of firewalld's main object ("version", "state") or, with @config,
 * of its config object ("FirewallBackend"), read with an explicit call.
 */
char *
vfw_firewalld_get_property(VfwFirewalld *fw, gboolean config, const char *name, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) value = NULL;

    reply = g_dbus_connection_call_sync(
        fw->bus, FW_NAME, config ? FW_CONFIG_PATH : FW_PATH, "org.freedesktop.DBus.Properties",
        "Get", g_variant_new("(ss)", config ? FW_NAME ".config" : FW_NAME, name),
        G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, (gint)fw->timeout_ms, NULL,
        &local_error);
    if (!reply) {
        map_error(fw, error, local_error, name);
        return NULL;
    }
    g_variant_get(reply, "(v)", &value);
    if (!g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD, "firewalld: property '%s' is no string",
                    name);
        return NULL;
    }
    return g_variant_dup_string(value, NULL);
}

/**
 * vfw_firewalld_get_version:
 * firewalld's version string.
 */
char *
vfw_firewalld_get_version(VfwFirewalld *fw, GError **error)
{
    return vfw_firewalld_get_property(fw, FALSE, "version", error);
}

/**
 * vfw_firewalld_probe:
 * What this firewalld is (caps.c): its version and the settings of its config object.
 * Fails only when the version cannot be read; settings it cannot read are absent.
 */
VfwFirewalldCaps *
vfw_firewalld_probe(VfwFirewalld *fw, GError **error)
{
    g_autofree char *version = vfw_firewalld_get_version(fw, error);
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) props = NULL;

    if (!version)
        return NULL;
    reply = g_dbus_connection_call_sync(
        fw->bus, FW_NAME, FW_CONFIG_PATH, "org.freedesktop.DBus.Properties", "GetAll",
        g_variant_new("(s)", FW_NAME ".config"), G_VARIANT_TYPE("(a{sv})"),
        G_DBUS_CALL_FLAGS_NO_AUTO_START, (gint)fw->timeout_ms, NULL, NULL);
    if (reply)
        props = g_variant_get_child_value(reply, 0);
    return vfw_firewalld_caps_new(version, props);
}

/**
 * vfw_firewalld_active_policies:
 * The names of the policies firewalld currently applies (an inactive policy, e.g. one
 * whose ingress zone has no interface, does nothing).
 */
GStrv
vfw_firewalld_active_policies(VfwFirewalld *fw, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GVariant) active = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    GVariantIter iter;
    const char *name;

    if (!vfw_dbus_firewall_d1_policy_call_get_active_policies_sync(fw->policy, &active, NULL,
                                                                   &local_error)) {
        map_error(fw, error, local_error, "active policies");
        return NULL;
    }
    g_variant_iter_init(&iter, active);
    while (g_variant_iter_next(&iter, "{&s@a{sas}}", &name, NULL))
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_add(names, NULL);
    return (GStrv)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

/* The object path of config object @name (a zone or a policy) of the permanent config. */
static char *
config_path(VfwFirewalld *fw, gboolean zone, const char *name, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    char *path = NULL;
    gboolean ok;

    if (zone)
        ok = vfw_dbus_firewall_d1_config_call_get_zone_by_name_sync(fw->config, name, &path, NULL,
                                                                    &local_error);
    else
        ok = vfw_dbus_firewall_d1_config_call_get_policy_by_name_sync(fw->config, name, &path, NULL,
                                                                      &local_error);
    if (!ok)
        map_error(fw, error, local_error, name);
    return ok ? path : NULL;
}

/* The raw connection for the calls that carry whole policy lists, opened on first use. */
static VfwWire *
wire_of(VfwFirewalld *fw, GError **error)
{
    g_autoptr(GError) local_error = NULL;

    if (!fw->wire)
        fw->wire = vfw_wire_open(fw->bus, fw->timeout_ms, &local_error);
    if (!fw->wire)
        map_error(fw, error, local_error, "connecting");
    return fw->wire;
}

/* One call to firewalld over the raw connection, its failure mapped as every other call's
 * (@what names the object). After a timeout or a broken connection the connection may be
 * out of step (a late reply) or dead: the next call opens a new one. firewalld's refusals
 * keep it. */
static gboolean
wire_call(VfwFirewalld *fw, const char *path, const char *iface, const char *member,
          const char *signature, GByteArray *body, VfwWireReply *reply, const char *what,
          GError **error)
{
    g_autoptr(GError) local_error = NULL;
    VfwWire *wire = wire_of(fw, error);

    if (!wire)
        return FALSE;
    if (vfw_wire_call(wire, FW_NAME, path, iface, member, signature, body, reply, &local_error))
        return TRUE;
    if (!g_dbus_error_is_remote_error(local_error))
        g_clear_pointer(&fw->wire, vfw_wire_free);
    map_error(fw, error, local_error, what);
    return FALSE;
}

/* A policy's lists as firewalld sent them, read in place from its reply (wire.c): at 5,000
 * forward-ports, GDBus's tree of the same reply was most of the hook's peak memory. */
typedef struct {
    VfwWireReply reply;
    char *config_path; /* permanent: the config object, which the write goes to */
    GPtrArray *rich;   /* borrowed from the reply */
    GPtrArray *ports;  /* borrowed from the reply, 4 strings per forward-port */
} PolicyLists;

/* Frees the reply and the lists read from it; config_path stays, for the write. */
static void
policy_lists_drop_reply(PolicyLists *lists)
{
    vfw_wire_reply_clear(&lists->reply);
    g_clear_pointer(&lists->rich, g_ptr_array_unref);
    g_clear_pointer(&lists->ports, g_ptr_array_unref);
}

static void
policy_lists_clear(PolicyLists *lists)
{
    policy_lists_drop_reply(lists);
    g_clear_pointer(&lists->config_path, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PolicyLists, policy_lists_clear)

#define FW_POLICY_IFACE        FW_NAME ".policy"
#define FW_CONFIG_POLICY_IFACE FW_NAME ".config.policy"

/* Reads the rich rules and forward-ports of @policy, runtime (getPolicySettings) or
 * permanent (config.policy getSettings). */
static gboolean
read_policy_lists(VfwFirewalld *fw, const char *policy, gboolean permanent, PolicyLists *out,
                  GError **error)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GError) local_error = NULL;
    gboolean ok;

    out->reply.signature = "";
    if (permanent) {
        out->config_path = config_path(fw, FALSE, policy, error);
        ok = out->config_path && wire_call(fw, out->config_path, FW_CONFIG_POLICY_IFACE,
                                           "getSettings", NULL, NULL, &out->reply, policy, error);
    } else {
        vfw_wire_put_string(body, policy);
        ok = wire_call(fw, FW_PATH, FW_POLICY_IFACE, "getPolicySettings", "s", body, &out->reply,
                       policy, error);
    }
    if (!ok)
        return FALSE;
    out->rich = g_ptr_array_new();
    out->ports = g_ptr_array_new();
    if (!vfw_wire_read_settings(out->reply.body, out->reply.body_len, out->reply.big_endian,
                                out->reply.signature, out->rich, out->ports, &local_error)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD, "firewalld: %s: %s", policy,
                    local_error->message);
        return FALSE;
    }
    return TRUE;
}

/* A forward-port entry as text, "port=P:proto=X:toport=T:toaddr=A" (firewall-cmd's
 * spelling); toaddr comes last, so an IPv6 address needs no escaping. */
static char *
forward_port_text(const char *port, const char *proto, const char *toport, const char *toaddr)
{
    return g_strdup_printf("port=%s:proto=%s:toport=%s:toaddr=%s", port, proto, toport, toaddr);
}

static gboolean
is_forward_port_text(const char *entry)
{
    return g_str_has_prefix(entry, "port=");
}

/* Splits forward_port_text() back into its 4 fields (new strings in @out); FALSE when
 * @text has not that shape. */
static gboolean
forward_port_fields(const char *text, char *out[4])
{
    static const char *const keys[] = { "port=", ":proto=", ":toport=", ":toaddr=" };
    const char *at = text;

    for (guint i = 0; i < 4; i++) {
        const char *next = i < 3 ? strstr(at + strlen(keys[i]), keys[i + 1]) : NULL;
        if (!g_str_has_prefix(at, keys[i]) || (i < 3 && !next)) {
            for (guint j = 0; j < i; j++)
                g_clear_pointer(&out[j], g_free);
            return FALSE;
        }
        at += strlen(keys[i]);
        out[i] = next ? g_strndup(at, next - at) : g_strdup(at);
        at = next;
    }
    return TRUE;
}

/* The entries we manage in @lists: the rich rules, then the forward-ports as
 * forward_port_text(). */
static GStrv
entries_of(PolicyLists *lists)
{
    GStrv out = g_new0(char *, lists->rich->len + lists->ports->len / 4 + 1);
    guint n = 0;

    for (guint i = 0; i < lists->rich->len; i++)
        out[n++] = g_strdup(g_ptr_array_index(lists->rich, i));
    for (guint i = 0; i + 3 < lists->ports->len; i += 4) {
        const char **f = (const char **)&lists->ports->pdata[i];
        out[n++] = forward_port_text(f[0], f[1], f[2], f[3]);
    }
    return out;
}

/**
 * vfw_firewalld_policy_get_rules:
 * The rich rules of @policy in the runtime or the permanent configuration, followed by its
 * forward-ports as "port=P:proto=X:toport=T:toaddr=A".
 */
gboolean
vfw_firewalld_policy_get_rules(VfwFirewalld *fw, const char *policy, gboolean permanent,
                               GStrv *rules, GError **error)
{
    g_auto(PolicyLists) lists = { 0 };

    if (!read_policy_lists(fw, policy, permanent, &lists, error))
        return FALSE;
    *rules = entries_of(&lists);
    return TRUE;
}

/* The body of a write that leaves exactly @entries in the policy: both lists, so that
 * either kind can go; for the runtime call (@policy not NULL) after the policy's name. */
static GByteArray *
settings_body(const char *policy, GPtrArray *entries, const char *what, GError **error)
{
    g_autoptr(GByteArray) body = NULL;
    gsize dict, list, size = 256;

    /* sized once: doubling would hold up to twice the body at scale */
    for (guint i = 0; i < entries->len; i++)
        size += strlen(g_ptr_array_index(entries, i)) + 16;
    body = g_byte_array_sized_new((guint)size);

    if (policy)
        vfw_wire_put_string(body, policy);
    dict = vfw_wire_open_array(body, 8);
    vfw_wire_put_string(body, "rich_rules");
    vfw_wire_put_signature(body, "as");
    list = vfw_wire_open_array(body, 4);
    for (guint i = 0; i < entries->len; i++) {
        const char *entry = g_ptr_array_index(entries, i);
        if (!is_forward_port_text(entry))
            vfw_wire_put_string(body, entry);
    }
    vfw_wire_close_array(body, list, 4);
    vfw_wire_align(body, 8);
    vfw_wire_put_string(body, "forward_ports");
    vfw_wire_put_signature(body, "a(ssss)");
    list = vfw_wire_open_array(body, 8);
    for (guint i = 0; i < entries->len; i++) {
        const char *entry = g_ptr_array_index(entries, i);
        char *f[4] = { NULL };
        if (!is_forward_port_text(entry))
            continue;
        if (!forward_port_fields(entry, f)) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD,
                        "firewalld: %s: malformed forward-port '%s'", what, entry);
            return NULL;
        }
        vfw_wire_align(body, 8);
        for (guint k = 0; k < 4; k++) {
            vfw_wire_put_string(body, f[k]);
            g_free(f[k]);
        }
    }
    vfw_wire_close_array(body, list, 8);
    vfw_wire_close_array(body, dict, 8);
    return g_steal_pointer(&body);
}

/* Writes @entries as the whole lists of @policy, where read_policy_lists() read them. */
static gboolean
write_policy_lists(VfwFirewalld *fw, const char *policy, PolicyLists *lists, GPtrArray *entries,
                   GError **error)
{
    g_autoptr(GByteArray) body = NULL;
    VfwWireReply reply = { .signature = "" };
    gboolean ok;

    body = settings_body(lists->config_path ? NULL : policy, entries, policy, error);
    if (!body)
        return FALSE;
    if (lists->config_path)
        ok = wire_call(fw, lists->config_path, FW_CONFIG_POLICY_IFACE, "update", "a{sv}", body,
                       &reply, policy, error);
    else
        ok = wire_call(fw, FW_PATH, FW_POLICY_IFACE, "setPolicySettings", "sa{sv}", body, &reply,
                       policy, error);
    vfw_wire_reply_clear(&reply);
    return ok;
}

/**
 * vfw_firewalld_policy_edit:
 * Removes the entries in @remove from @policy and adds those in @add that are missing
 * (rich rules, or forward-ports written "port=P:proto=X:toport=T:toaddr=A"),
 * in one read-modify-write of the runtime or permanent configuration. Rules already
 * present or already gone are fine (idempotent); nothing is written when nothing changes.
 * On success, copies of the rules this call really added and removed are appended to
 * @added and @removed (each may be NULL): exactly what an undo must take back.
 * The caller holds the host-wide lock.
 */
gboolean
vfw_firewalld_policy_edit(VfwFirewalld *fw, const char *policy, gboolean permanent, GPtrArray *add,
                          GPtrArray *remove, GPtrArray *added, GPtrArray *removed, GError **error)
{
    g_auto(PolicyLists) lists = { 0 };
    g_auto(GStrv) current = NULL;
    g_autoptr(GPtrArray) wanted = g_ptr_array_new();
    /* Sets beside the ordered list: a policy holds thousands of rules at scale, and
     * nested scans made this quadratic (bench/results: 58% of a hook run at 1,000). */
    g_autoptr(GHashTable) wanted_set = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) remove_set = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) gone_set = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) gone = g_ptr_array_new();  /* borrowed from current */
    g_autoptr(GPtrArray) fresh = g_ptr_array_new(); /* borrowed from add */
    g_autoptr(GError) local_error = NULL;
    gboolean changed = FALSE;

    if (!read_policy_lists(fw, policy, permanent, &lists, &local_error) &&
        g_error_matches(local_error, VFW_ERROR, VFW_ERROR_FIREWALLD) &&
        strstr(local_error->message, "INVALID_POLICY")) {
        /* a policy firewalld does not have holds nothing of ours to remove */
        if (!add || add->len == 0)
            return TRUE;
        g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD,
                    "%s (virt-firewalld's policies are not loaded: 'firewall-cmd --reload')",
                    local_error->message);
        return FALSE;
    }
    if (local_error) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    current = entries_of(&lists);
    /* the entries are copies: the reply goes before the new body is built (at 5,000
     * forward-ports both are ~300 KB, the hook's peak memory) */
    policy_lists_drop_reply(&lists);
    for (guint i = 0; remove && i < remove->len; i++)
        g_hash_table_add(remove_set, g_ptr_array_index(remove, i));
    for (guint i = 0; current[i]; i++) {
        if (g_hash_table_contains(remove_set, current[i])) {
            if (g_hash_table_add(gone_set, current[i]))
                g_ptr_array_add(gone, current[i]);
            changed = TRUE;
        } else if (!g_hash_table_add(wanted_set, current[i])) {
            changed = TRUE; /* a duplicate firewalld kept */
        } else {
            g_ptr_array_add(wanted, current[i]);
        }
    }
    for (guint i = 0; add && i < add->len; i++) {
        char *rule = g_ptr_array_index(add, i);
        if (!g_hash_table_add(wanted_set, rule))
            continue;
        g_ptr_array_add(wanted, rule);
        changed = TRUE;
        /* in both lists: it stays, as it was */
        if (!g_hash_table_contains(gone_set, rule))
            g_ptr_array_add(fresh, rule);
        else
            g_ptr_array_remove(gone, rule);
    }
    if (!changed)
        return TRUE;
    if (!write_policy_lists(fw, policy, &lists, wanted, error))
        return FALSE;
    for (guint i = 0; added && i < fresh->len; i++)
        g_ptr_array_add(added, g_strdup(g_ptr_array_index(fresh, i)));
    for (guint i = 0; removed && i < gone->len; i++)
        g_ptr_array_add(removed, g_strdup(g_ptr_array_index(gone, i)));
    return TRUE;
}

/**
 * vfw_firewalld_zone_of_interface:
 * The zone @iface is bound to in the runtime or permanent config; "" when none.
 */
gboolean
vfw_firewalld_zone_of_interface(VfwFirewalld *fw, const char *iface, gboolean permanent,
                                char **zone, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    gboolean ok;

    if (permanent)
        ok = vfw_dbus_firewall_d1_config_call_get_zone_of_interface_sync(fw->config, iface, zone,
                                                                         NULL, &local_error);
    else
        ok = vfw_dbus_firewall_d1_zone_call_get_zone_of_interface_sync(fw->zone, iface, zone, NULL,
                                                                       &local_error);
    if (!ok) {
        map_error(fw, error, local_error, iface);
        return FALSE;
    }
    return TRUE;
}

static VfwDBusFirewallD1ConfigZone *
config_zone_proxy(VfwFirewalld *fw, const char *zone, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autofree char *path = config_path(fw, TRUE, zone, error);
    VfwDBusFirewallD1ConfigZone *proxy = NULL;

    if (path)
        proxy = vfw_dbus_firewall_d1_config_zone_proxy_new_sync(fw->bus, PROXY_FLAGS, FW_NAME, path,
                                                                NULL, &local_error);
    if (path && !proxy)
        map_error(fw, error, local_error, zone);
    if (proxy)
        set_timeout(proxy, fw->timeout_ms);
    return proxy;
}

/* Binds (@bind) or unbinds @iface and @zone, runtime or permanent. firewalld's "nothing
 * to do" answers are success: ZONE_ALREADY_SET / ALREADY_ENABLED on add, NOT_ENABLED /
 * UNKNOWN_INTERFACE on remove (the bridge may be gone already). */
static gboolean
set_interface(VfwFirewalld *fw, const char *zone, const char *iface, gboolean permanent,
              gboolean bind, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VfwDBusFirewallD1ConfigZone) proxy = NULL;
    g_autofree char *unused = NULL;
    gboolean ok;

    if (permanent && !(proxy = config_zone_proxy(fw, zone, error)))
        return FALSE;
    if (permanent && bind)
        ok = vfw_dbus_firewall_d1_config_zone_call_add_interface_sync(proxy, iface, NULL,
                                                                      &local_error);
    else if (permanent)
        ok = vfw_dbus_firewall_d1_config_zone_call_remove_interface_sync(proxy, iface, NULL,
                                                                         &local_error);
    else if (bind)
        ok = vfw_dbus_firewall_d1_zone_call_change_zone_of_interface_sync(
            fw->zone, zone, iface, &unused, NULL, &local_error);
    else
        ok = vfw_dbus_firewall_d1_zone_call_remove_interface_sync(fw->zone, zone, iface, &unused,
                                                                  NULL, &local_error);
    if (ok)
        return TRUE;
    if (bind ? is_firewalld_code(local_error, "ZONE_ALREADY_SET") ||
                   is_firewalld_code(local_error, "ALREADY_ENABLED")
             : is_firewalld_code(local_error, "NOT_ENABLED") ||
                   is_firewalld_code(local_error, "UNKNOWN_INTERFACE"))
        return TRUE;
    map_error(fw, error, local_error, zone);
    return FALSE;
}

/**
 * vfw_firewalld_bind_interface:
 * Puts @iface into @zone, at runtime (moving it from any other zone) or permanently.
 * Already there is success.
 */
gboolean
vfw_firewalld_bind_interface(VfwFirewalld *fw, const char *zone, const char *iface,
                             gboolean permanent, GError **error)
{
    return set_interface(fw, zone, iface, permanent, TRUE, error);
}

/**
 * vfw_firewalld_unbind_interface:
 * Takes @iface out of @zone (runtime or permanent). Not there is success.
 */
gboolean
vfw_firewalld_unbind_interface(VfwFirewalld *fw, const char *zone, const char *iface,
                               gboolean permanent, GError **error)
{
    return set_interface(fw, zone, iface, permanent, FALSE, error);
}

/* Where published items live: 4 policies x (runtime, permanent). The first four places
 * hold rich rules of forwards bound to a host address and the hairpin masquerades
 * (virtfw-forward only: firewalld refuses masquerade with ingress HOST); the last four the
 * items prefixed VFW_ITEM_PUB. */
static const struct {
    const char *policy;
    gboolean permanent;
} places[VFW_PLACES] = {
    { VFW_POLICY_FORWARD, FALSE },  { VFW_POLICY_FORWARD, TRUE },  { VFW_POLICY_HOST, FALSE },
    { VFW_POLICY_HOST, TRUE },      { VFW_POLICY_PUB, FALSE },     { VFW_POLICY_PUB, TRUE },
    { VFW_POLICY_PUB_HOST, FALSE }, { VFW_POLICY_PUB_HOST, TRUE },
};

/**
 * vfw_place_policy:
 * The policy of @place (< VFW_PLACES).
 */
const char *
vfw_place_policy(guint place)
{
    return places[place].policy;
}

/**
 * vfw_place_is_permanent:
 * TRUE when @place (< VFW_PLACES) is in the permanent configuration.
 */
gboolean
vfw_place_is_permanent(guint place)
{
    return places[place].permanent;
}

/**
 * vfw_item_in_place:
 * The entry that published item @item is in @place, as the policy lists it (a rich rule, or
 * "port=P:proto=X:toport=T:toaddr=A"), or NULL when @item does not live there. Points into
 * @item.
 */
const char *
vfw_item_in_place(const char *item, guint place)
{
    gboolean pub = g_str_has_prefix(item, VFW_ITEM_PUB);

    if (pub != (place >= 4))
        return NULL;
    if (pub)
        return item + strlen(VFW_ITEM_PUB);
    if ((place == 2 || place == 3) && g_str_has_suffix(item, " masquerade"))
        return NULL;
    return item;
}

/* The entries of @items (borrowed) that live in @place, as vfw_item_in_place() gives them. */
static GPtrArray *
items_in_place(GPtrArray *items, guint place)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < items->len; i++) {
        const char *entry = vfw_item_in_place(g_ptr_array_index(items, i), place);
        if (entry)
            g_ptr_array_add(out, (gpointer)entry);
    }
    return out;
}

/**
 * vfw_firewalld_edit_everywhere:
 * Applies @add/@remove (published items, see vfw_item_in_place()) to the places they live
 * in: our forward policies, runtime and permanent. A place with nothing to do is not read.
 * When firewalld refuses a change, undoes in the places already changed exactly what this
 * call changed there (a rule that was present before stays; one it removed comes back), so
 * that firewalld is left as it was; @undone (may be NULL) then says whether that worked:
 * FALSE when firewalld refused an undo too, and the error names it, so that the caller
 * keeps a record of every rule that may still be in firewalld. When firewalld does not
 * answer (VFW_ERROR_FIREWALLD_ABSENT) it stops at once (@undone FALSE): every undo call
 * would wait one more timeout on a frozen daemon, and the caller's record of what may be
 * in firewalld lets `virt-firewalld sync` finish the job. The caller holds the lock.
 */
gboolean
vfw_firewalld_edit_everywhere(VfwFirewalld *fw, GPtrArray *add, GPtrArray *remove, gboolean *undone,
                              GError **error)
{
    GPtrArray *added[VFW_PLACES] = { NULL };
    GPtrArray *removed[VFW_PLACES] = { NULL };
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GString) undo_failures = NULL;
    gboolean undo;
    guint p;

    if (undone)
        *undone = TRUE;
    if (add->len == 0 && remove->len == 0)
        return TRUE;
    for (p = 0; p < VFW_PLACES && !local_error; p++) {
        g_autoptr(GPtrArray) place_add = items_in_place(add, p);
        g_autoptr(GPtrArray) place_remove = items_in_place(remove, p);

        added[p] = g_ptr_array_new_with_free_func(g_free);
        removed[p] = g_ptr_array_new_with_free_func(g_free);
        if (place_add->len == 0 && place_remove->len == 0)
            continue;
        vfw_firewalld_policy_edit(fw, places[p].policy, places[p].permanent, place_add,
                                  place_remove, added[p], removed[p], &local_error);
    }
    undo = local_error && !g_error_matches(local_error, VFW_ERROR, VFW_ERROR_FIREWALLD_ABSENT);
    /* newest first; the place that failed changed nothing, its lists are empty */
    while (p-- > 0) {
        g_autoptr(GError) undo_error = NULL;
        if (undo && (added[p]->len > 0 || removed[p]->len > 0) &&
            !vfw_firewalld_policy_edit(fw, places[p].policy, places[p].permanent, removed[p],
                                       added[p], NULL, NULL, &undo_error)) {
            if (!undo_failures)
                undo_failures = g_string_new(NULL);
            g_string_append_printf(undo_failures, "; undoing it in %s (%s) failed too: %s",
                                   places[p].policy, places[p].permanent ? "permanent" : "runtime",
                                   undo_error->message);
        }
        g_ptr_array_unref(added[p]);
        g_ptr_array_unref(removed[p]);
    }
    if (!local_error)
        return TRUE;
    if (undone)
        *undone = undo && !undo_failures;
    if (undo_failures) {
        g_set_error(error, local_error->domain, local_error->code, "%s%s", local_error->message,
                    undo_failures->str);
        return FALSE;
    }
    g_propagate_error(error, g_steal_pointer(&local_error));
    return FALSE;
}

/* One call to firewalld outside the generated proxies (the ipset interfaces). */
static GVariant *
call(VfwFirewalld *fw, const char *path, const char *iface, const char *method, GVariant *params,
     const GVariantType *reply_type, const char *what, GError **dbus_error_out, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    GVariant *reply;

    reply = g_dbus_connection_call_sync(fw->bus, FW_NAME, path, iface, method, params, reply_type,
                                        G_DBUS_CALL_FLAGS_NO_AUTO_START, (gint)fw->timeout_ms, NULL,
                                        &local_error);
    if (reply)
        return reply;
    if (dbus_error_out && g_dbus_error_is_remote_error(local_error)) {
        *dbus_error_out = g_steal_pointer(&local_error);
        return NULL;
    }
    map_error(fw, error, local_error, what);
    return NULL;
}

static char *
config_ipset_path(VfwFirewalld *fw, const char *ipset, GError **error)
{
    g_autoptr(GVariant) reply =
        call(fw, FW_CONFIG_PATH, FW_NAME ".config", "getIPSetByName", g_variant_new("(s)", ipset),
             G_VARIANT_TYPE("(o)"), ipset, NULL, error);
    char *path = NULL;

    if (reply)
        g_variant_get(reply, "(o)", &path);
    return path;
}

/**
 * vfw_firewalld_ipset_get_entries:
 * The entries of @ipset in the runtime or the permanent configuration.
 */
gboolean
vfw_firewalld_ipset_get_entries(VfwFirewalld *fw, const char *ipset, gboolean permanent,
                                GStrv *entries, GError **error)
{
    g_autoptr(GVariant) reply = NULL;
    g_autofree char *path = NULL;

    if (permanent) {
        if (!(path = config_ipset_path(fw, ipset, error)))
            return FALSE;
        reply = call(fw, path, FW_NAME ".config.ipset", "getEntries", NULL, G_VARIANT_TYPE("(as)"),
                     ipset, NULL, error);
    } else {
        reply = call(fw, FW_PATH, FW_NAME ".ipset", "getEntries", g_variant_new("(s)", ipset),
                     G_VARIANT_TYPE("(as)"), ipset, NULL, error);
    }
    if (!reply)
        return FALSE;
    g_variant_get(reply, "(^as)", entries);
    return TRUE;
}

/**
 * vfw_firewalld_ipset_set_entries:
 * Makes @ipset hold exactly @entries (without @prune: at least @entries, removing none).
 * The runtime set is changed entry by entry (firewalld's setEntries flushes the set first:
 * connections in between would miss it); the permanent one is written once, and only when
 * it differs.
 */
gboolean
vfw_firewalld_ipset_set_entries(VfwFirewalld *fw, const char *ipset, gboolean permanent,
                                const char *const *entries, gboolean prune, gboolean *changed,
                                GError **error)
{
    g_autoptr(GPtrArray) merged = g_ptr_array_new();
    g_auto(GStrv) current = NULL;
    g_autoptr(GHashTable) want = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) have = g_hash_table_new(g_str_hash, g_str_equal);

    if (!vfw_firewalld_ipset_get_entries(fw, ipset, permanent, &current, error))
        return FALSE;
    for (guint i = 0; entries[i]; i++)
        g_hash_table_add(want, (gpointer)entries[i]);
    for (guint i = 0; current[i]; i++) {
        g_hash_table_add(have, current[i]);
        if (!prune && g_hash_table_add(want, current[i]))
            g_ptr_array_add(merged, current[i]);
    }
    for (guint i = 0; entries[i]; i++)
        g_ptr_array_add(merged, (gpointer)entries[i]);
    g_ptr_array_add(merged, NULL);
    if (g_hash_table_size(want) == g_hash_table_size(have)) {
        gboolean same = TRUE;
        for (guint i = 0; entries[i] && same; i++)
            same = g_hash_table_contains(have, entries[i]);
        if (same)
            return TRUE;
    }
    if (!prune)
        entries = (const char *const *)merged->pdata;
    if (changed)
        *changed = TRUE;
    if (permanent) {
        g_autofree char *path = config_ipset_path(fw, ipset, error);
        g_autoptr(GVariant) reply = NULL;
        if (!path)
            return FALSE;
        reply = call(fw, path, FW_NAME ".config.ipset", "setEntries",
                     g_variant_new("(^as)", (char **)entries), NULL, ipset, NULL, error);
        return reply != NULL;
    }
    for (guint pass = 0; pass < 2; pass++) {
        /* additions first: an address that moves is never missing */
        GHashTable *from = pass == 0 ? want : have;
        GHashTable *other = pass == 0 ? have : want;
        GHashTableIter iter;
        gpointer entry;

        g_hash_table_iter_init(&iter, from);
        while (g_hash_table_iter_next(&iter, &entry, NULL)) {
            g_autoptr(GVariant) reply = NULL;
            g_autoptr(GError) refused = NULL;
            if (g_hash_table_contains(other, entry))
                continue;
            reply = call(fw, FW_PATH, FW_NAME ".ipset", pass == 0 ? "addEntry" : "removeEntry",
                         g_variant_new("(ss)", ipset, (const char *)entry), NULL, ipset, &refused,
                         error);
            if (reply)
                continue;
            if (!refused)
                return FALSE;
            /* someone else got there first */
            if (is_firewalld_code(refused, pass == 0 ? "ALREADY_ENABLED" : "NOT_ENABLED"))
                continue;
            map_error(fw, error, refused, ipset);
            return FALSE;
        }
    }
    return TRUE;
}
