/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake firewalld: four policies (virtfw-forward, virtfw-host, virtfw-pub,
 * virtfw-pub-host) with a runtime and a permanent list of rich rules and of forward-ports
 * each, the ipsets virtfw-local and virtfw-local6 (runtime
 * entry by entry, permanent as a whole list), zones virtfw / public / block with runtime and
 * permanent interface bindings, and firewalld 1.3's answers: whole-list
 * getPolicySettings / setPolicySettings and config.policy getSettings / update, and the
 * org.fedoraproject.FirewallD1.Exception codes firewalld raises (ZONE_ALREADY_SET,
 * ALREADY_ENABLED, NOT_ENABLED, UNKNOWN_INTERFACE, INVALID_ZONE, INVALID_POLICY).
 *
 * Faults: any method can be made to raise an exception, or to never answer, for one
 * target (policy or zone name) or for all.
 */
#include "fake-firewalld.h"

#include <string.h>

#define FW_NAME      "org.fedoraproject.FirewallD1"
#define FW_PATH      "/org/fedoraproject/FirewallD1"
#define CONFIG_PATH  FW_PATH "/config"
#define FW_EXCEPTION FW_NAME ".Exception"

static const char *const policy_names[] = { "virtfw-forward", "virtfw-host", "virtfw-pub",
                                            "virtfw-pub-host" };
static const char *const zone_names[] = { "virtfw", "public", "block" };
static const char *const ipset_names[] = { "virtfw-local", "virtfw-local6" };

struct FakeFirewalld {
    GMutex lock;
    GPtrArray *rules[FAKE_PLACES]; /* char *, in firewalld's order */
    GPtrArray *ports[FAKE_PLACES]; /* forward-ports, "port=P:proto=X:toport=T:toaddr=A" */
    GHashTable *bindings[2];       /* iface -> zone; [0] runtime, [1] permanent */
    GPtrArray *entries[4];         /* ipset i: [2i] runtime, [2i+1] permanent entries */
    char *fault_method, *fault_target, *fault_message; /* message NULL: hang */
    GPtrArray *held;                                   /* invocations never answered (hang) */
    guint writes;   /* setPolicySettings + update calls that succeeded */
    guint calls;    /* method calls received */
    guint hung_at;  /* @calls when the first call was held back; 0: none */
    char *bad_rule; /* a write carrying it is refused: INVALID_RULE */

    char *address;
    GMainContext *context;
    GMainLoop *loop;
    GThread *thread;
    GDBusConnection *conn;
    GDBusNodeInfo *node;
    GArray *registrations;
    GError *start_error;
    gboolean ready;
    GCond ready_cond;
};

static int
index_of(const char *const *names, guint n, const char *name)
{
    for (guint i = 0; i < n; i++)
        if (g_strcmp0(names[i], name) == 0)
            return (int)i;
    return -1;
}

/* The last path element of a config object path, as an index, or -1. */
static int
path_index(const char *path, const char *prefix, guint n)
{
    guint64 i;

    if (!g_str_has_prefix(path, prefix) ||
        !g_ascii_string_to_unsigned(path + strlen(prefix), 10, 0, n - 1, &i, NULL))
        return -1;
    return (int)i;
}

static GVariant *
policy_settings(FakeFirewalld *fake, guint place)
{
    GVariantBuilder b, ports;
    GPtrArray *rules = fake->rules[place];

    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", "target", g_variant_new_string("CONTINUE"));
    g_variant_builder_add(&b, "{sv}", "priority", g_variant_new_int32(-1));
    g_variant_builder_add(&b, "{sv}", "rich_rules",
                          g_variant_new_strv((const char *const *)rules->pdata, rules->len));
    g_variant_builder_init(&ports, G_VARIANT_TYPE("a(ssss)"));
    for (guint i = 0; i < fake->ports[place]->len; i++) {
        g_auto(GStrv) f = g_strsplit_set(g_ptr_array_index(fake->ports[place], i), ":", 4);
        g_variant_builder_add(&ports, "(ssss)", f[0] + strlen("port="), f[1] + strlen("proto="),
                              f[2] + strlen("toport="), f[3] + strlen("toaddr="));
    }
    g_variant_builder_add(&b, "{sv}", "forward_ports", g_variant_builder_end(&ports));
    return g_variant_new("(@a{sv})", g_variant_builder_end(&b));
}

/* firewalld's refusals: its exception, the message starting with the code. */
static void
raise_code(GDBusMethodInvocation *inv, const char *code, const char *what)
{
    g_autofree char *message = g_strdup_printf("%s: %s", code, what);

    g_dbus_method_invocation_return_dbus_error(inv, FW_EXCEPTION, message);
}

/* TRUE when the forward-ports @ports (a(ssss)) hold @text, "port=P:proto=X:toport=T:toaddr=A". */
static gboolean
port_listed(GVariant *ports, const char *text)
{
    GVariantIter iter;
    const char *f[4];

    g_variant_iter_init(&iter, ports);
    while (g_variant_iter_next(&iter, "(&s&s&s&s)", &f[0], &f[1], &f[2], &f[3])) {
        g_autofree char *entry =
            g_strdup_printf("port=%s:proto=%s:toport=%s:toaddr=%s", f[0], f[1], f[2], f[3]);
        if (strcmp(entry, text) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Replaces the lists the settings carry, as firewalld does (other keys are kept); refuses
 * the whole write, changing nothing, when it carries the bad rule. */
static void
policy_update(FakeFirewalld *fake, guint place, GVariant *settings, GDBusMethodInvocation *inv)
{
    g_autoptr(GVariant) rules = g_variant_lookup_value(settings, "rich_rules", NULL);
    g_autoptr(GVariant) ports = g_variant_lookup_value(settings, "forward_ports", NULL);
    g_autofree const char **strv = rules ? g_variant_get_strv(rules, NULL) : NULL;

    if (fake->bad_rule && ((strv && g_strv_contains(strv, fake->bad_rule)) ||
                           (ports && port_listed(ports, fake->bad_rule)))) {
        raise_code(inv, "INVALID_RULE", fake->bad_rule);
        return;
    }
    if (strv) {
        g_ptr_array_set_size(fake->rules[place], 0);
        for (guint i = 0; strv[i]; i++)
            g_ptr_array_add(fake->rules[place], g_strdup(strv[i]));
    }
    if (ports) {
        GVariantIter iter;
        const char *f[4];
        g_ptr_array_set_size(fake->ports[place], 0);
        g_variant_iter_init(&iter, ports);
        while (g_variant_iter_next(&iter, "(&s&s&s&s)", &f[0], &f[1], &f[2], &f[3]))
            g_ptr_array_add(
                fake->ports[place],
                g_strdup_printf("port=%s:proto=%s:toport=%s:toaddr=%s", f[0], f[1], f[2], f[3]));
    }
    fake->writes++;
    g_dbus_method_invocation_return_value(inv, NULL);
}

static GVariant *
entries_reply(GPtrArray *entries)
{
    return g_variant_new("(@as)",
                         g_variant_new_strv((const char *const *)entries->pdata, entries->len));
}

/* Runtime ipset methods on the main object: entries one by one, firewalld's codes. */
static void
handle_ipset(FakeFirewalld *fake, const char *method, GVariant *params, GDBusMethodInvocation *inv)
{
    g_autoptr(GVariant) first = g_variant_get_child_value(params, 0);
    const char *name = g_variant_get_string(first, NULL);
    int i = index_of(ipset_names, G_N_ELEMENTS(ipset_names), name);
    const char *entry = NULL;
    GPtrArray *entries;
    guint at;
    gboolean here;

    if (i < 0) {
        raise_code(inv, "INVALID_IPSET", name);
        return;
    }
    entries = fake->entries[2 * i];
    if (strcmp(method, "getEntries") == 0) {
        g_dbus_method_invocation_return_value(inv, entries_reply(entries));
        return;
    }
    g_variant_get(params, "(&s&s)", NULL, &entry);
    here = g_ptr_array_find_with_equal_func(entries, entry, g_str_equal, &at);
    if (strcmp(method, "addEntry") == 0 && here) {
        raise_code(inv, "ALREADY_ENABLED", entry);
    } else if (strcmp(method, "removeEntry") == 0 && !here) {
        raise_code(inv, "NOT_ENABLED", entry);
    } else {
        if (here)
            g_ptr_array_remove_index(entries, at);
        else
            g_ptr_array_add(entries, g_strdup(entry));
        g_dbus_method_invocation_return_value(inv, NULL);
    }
}

static void
handle_config_ipset(FakeFirewalld *fake, int i, const char *method, GVariant *params,
                    GDBusMethodInvocation *inv)
{
    GPtrArray *entries = fake->entries[2 * i + 1];
    g_autofree const char **strv = NULL;

    if (strcmp(method, "getEntries") == 0) {
        g_dbus_method_invocation_return_value(inv, entries_reply(entries));
        return;
    }
    g_variant_get(params, "(^a&s)", &strv);
    g_ptr_array_set_size(entries, 0);
    for (guint k = 0; strv[k]; k++)
        g_ptr_array_add(entries, g_strdup(strv[k]));
    g_dbus_method_invocation_return_value(inv, NULL);
}

/* Runtime zone methods on the main object. */
static void
handle_zone(FakeFirewalld *fake, const char *method, GVariant *params, GDBusMethodInvocation *inv)
{
    GHashTable *bind = fake->bindings[0];
    const char *zone = NULL, *iface = NULL;
    const char *now;

    if (strcmp(method, "getZoneOfInterface") == 0) {
        g_variant_get(params, "(&s)", &iface);
        now = g_hash_table_lookup(bind, iface);
        g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", now ? now : ""));
        return;
    }
    g_variant_get(params, "(&s&s)", &zone, &iface);
    if (index_of(zone_names, G_N_ELEMENTS(zone_names), zone) < 0) {
        raise_code(inv, "INVALID_ZONE", zone);
        return;
    }
    now = g_hash_table_lookup(bind, iface);
    if (strcmp(method, "changeZoneOfInterface") == 0) {
        if (g_strcmp0(now, zone) == 0) {
            raise_code(inv, "ZONE_ALREADY_SET", zone);
            return;
        }
        g_hash_table_insert(bind, g_strdup(iface), g_strdup(zone));
    } else if (g_strcmp0(now, zone) != 0) {
        raise_code(inv, "UNKNOWN_INTERFACE", iface);
        return;
    } else {
        g_hash_table_remove(bind, iface);
    }
    g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", zone));
}

static void
handle_policy(FakeFirewalld *fake, const char *method, GVariant *params, GDBusMethodInvocation *inv)
{
    const char *name = NULL;
    g_autoptr(GVariant) settings = NULL;
    int p;

    if (strcmp(method, "getActivePolicies") == 0) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sa{sas}}"));
        for (guint i = 0; i < G_N_ELEMENTS(policy_names); i++)
            g_variant_builder_add(&b, "{s@a{sas}}", policy_names[i],
                                  g_variant_new_array(G_VARIANT_TYPE("{sas}"), NULL, 0));
        g_dbus_method_invocation_return_value(
            inv, g_variant_new("(@a{sa{sas}})", g_variant_builder_end(&b)));
        return;
    }
    if (strcmp(method, "getPolicySettings") == 0)
        g_variant_get(params, "(&s)", &name);
    else
        g_variant_get(params, "(&s@a{sv})", &name, &settings);
    p = index_of(policy_names, G_N_ELEMENTS(policy_names), name);
    if (p < 0) {
        raise_code(inv, "INVALID_POLICY", name);
        return;
    }
    if (settings) {
        policy_update(fake, (guint)p * 2, settings, inv);
    } else {
        g_dbus_method_invocation_return_value(inv, policy_settings(fake, (guint)p * 2));
    }
}

static void
handle_config(FakeFirewalld *fake, const char *method, GVariant *params, GDBusMethodInvocation *inv)
{
    const char *name = NULL;
    gboolean zone = strcmp(method, "getZoneByName") == 0;
    int i;

    g_variant_get(params, "(&s)", &name);
    if (strcmp(method, "getIPSetByName") == 0) {
        g_autofree char *path = NULL;
        if ((i = index_of(ipset_names, G_N_ELEMENTS(ipset_names), name)) < 0) {
            raise_code(inv, "INVALID_IPSET", name);
            return;
        }
        path = g_strdup_printf("%s/ipset/%d", CONFIG_PATH, i);
        g_dbus_method_invocation_return_value(inv, g_variant_new("(o)", path));
        return;
    }
    if (strcmp(method, "getZoneOfInterface") == 0) {
        const char *now = g_hash_table_lookup(fake->bindings[1], name);
        g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", now ? now : ""));
        return;
    }
    i = zone ? index_of(zone_names, G_N_ELEMENTS(zone_names), name)
             : index_of(policy_names, G_N_ELEMENTS(policy_names), name);
    if (i < 0) {
        raise_code(inv, zone ? "INVALID_ZONE" : "INVALID_POLICY", name);
        return;
    }
    g_autofree char *path = g_strdup_printf("%s/%s/%d", CONFIG_PATH, zone ? "zone" : "policy", i);
    g_dbus_method_invocation_return_value(inv, g_variant_new("(o)", path));
}

static void
handle_config_policy(FakeFirewalld *fake, int p, const char *method, GVariant *params,
                     GDBusMethodInvocation *inv)
{
    g_autoptr(GVariant) settings = NULL;

    if (strcmp(method, "getSettings") == 0) {
        g_dbus_method_invocation_return_value(inv, policy_settings(fake, (guint)p * 2 + 1));
        return;
    }
    g_variant_get(params, "(@a{sv})", &settings);
    policy_update(fake, (guint)p * 2 + 1, settings, inv);
}

static void
handle_config_zone(FakeFirewalld *fake, int z, const char *method, GVariant *params,
                   GDBusMethodInvocation *inv)
{
    GHashTable *bind = fake->bindings[1];
    const char *iface = NULL;
    const char *zone = zone_names[z];
    gboolean here;

    g_variant_get(params, "(&s)", &iface);
    here = g_strcmp0(g_hash_table_lookup(bind, iface), zone) == 0;
    if (strcmp(method, "queryInterface") == 0) {
        g_dbus_method_invocation_return_value(inv, g_variant_new("(b)", here));
        return;
    }
    if (strcmp(method, "addInterface") == 0 && here) {
        raise_code(inv, "ALREADY_ENABLED", iface);
        return;
    }
    if (strcmp(method, "removeInterface") == 0 && !here) {
        raise_code(inv, "NOT_ENABLED", iface);
        return;
    }
    if (here)
        g_hash_table_remove(bind, iface);
    else
        g_hash_table_insert(bind, g_strdup(iface), g_strdup(zone));
    g_dbus_method_invocation_return_value(inv, NULL);
}

/* The policy or zone a call is about, for fault matching. */
static char *
call_target(const char *path, const char *iface, GVariant *params)
{
    int i;

    if ((i = path_index(path, CONFIG_PATH "/policy/", G_N_ELEMENTS(policy_names))) >= 0)
        return g_strdup(policy_names[i]);
    if ((i = path_index(path, CONFIG_PATH "/zone/", G_N_ELEMENTS(zone_names))) >= 0)
        return g_strdup(zone_names[i]);
    if (g_variant_n_children(params) > 0) {
        g_autoptr(GVariant) first = g_variant_get_child_value(params, 0);
        if (g_variant_is_of_type(first, G_VARIANT_TYPE_STRING))
            return g_variant_dup_string(first, NULL);
    }
    return NULL;
}

static gboolean
fault_matches(FakeFirewalld *fake, const char *method, const char *target)
{
    return fake->fault_method && strcmp(fake->fault_method, method) == 0 &&
           (!fake->fault_target || g_strcmp0(fake->fault_target, target) == 0);
}

static void
method_call(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
            const char *method, GVariant *params, GDBusMethodInvocation *inv, gpointer data)
{
    FakeFirewalld *fake = data;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
    g_autofree char *target = call_target(path, iface, params);
    int i;

    fake->calls++;
    if (fault_matches(fake, method, target) && fake->fault_message) {
        g_dbus_method_invocation_return_dbus_error(inv, FW_EXCEPTION, fake->fault_message);
        return;
    }
    if (fault_matches(fake, method, target)) {
        g_ptr_array_add(fake->held, inv); /* with its reference: answered at stop */
        if (fake->hung_at == 0)
            fake->hung_at = fake->calls;
        return;
    }
    if (strcmp(iface, FW_NAME) == 0)
        g_dbus_method_invocation_return_value(
            inv, strcmp(method, "getDefaultZone") == 0 ? g_variant_new("(s)", "public") : NULL);
    else if (strcmp(iface, FW_NAME ".zone") == 0)
        handle_zone(fake, method, params, inv);
    else if (strcmp(iface, FW_NAME ".policy") == 0)
        handle_policy(fake, method, params, inv);
    else if (strcmp(iface, FW_NAME ".ipset") == 0)
        handle_ipset(fake, method, params, inv);
    else if (strcmp(iface, FW_NAME ".config") == 0)
        handle_config(fake, method, params, inv);
    else if ((i = path_index(path, CONFIG_PATH "/policy/", G_N_ELEMENTS(policy_names))) >= 0)
        handle_config_policy(fake, i, method, params, inv);
    else if ((i = path_index(path, CONFIG_PATH "/zone/", G_N_ELEMENTS(zone_names))) >= 0)
        handle_config_zone(fake, i, method, params, inv);
    else if ((i = path_index(path, CONFIG_PATH "/ipset/", G_N_ELEMENTS(ipset_names))) >= 0)
        handle_config_ipset(fake, i, method, params, inv);
    else
        g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                              "fake firewalld: no %s.%s on %s", iface, method,
                                              path);
}

static GVariant *
get_property(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
             const char *name, GError **error, gpointer data)
{
    if (strcmp(name, "version") == 0)
        return g_variant_new_string("1.3.3");
    if (strcmp(name, "state") == 0)
        return g_variant_new_string("RUNNING");
    g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", name);
    return NULL;
}

static const GDBusInterfaceVTable vtable = { method_call, get_property, NULL, { 0 } };

static gboolean export(FakeFirewalld *fake, const char *path, const char *iface, GError **error)
{
    GDBusInterfaceInfo *info = g_dbus_node_info_lookup_interface(fake->node, iface);
    guint id;

    g_assert_nonnull(info);
    id = g_dbus_connection_register_object(fake->conn, path, info, &vtable, fake, NULL, error);
    if (id)
        g_array_append_val(fake->registrations, id);
    return id != 0;
}

/* Connects, exports every object and takes firewalld's name, in the service thread. */
static gboolean
serve(FakeFirewalld *fake, GError **error)
{
    static const char *const main_ifaces[] = { FW_NAME, FW_NAME ".zone", FW_NAME ".policy",
                                               FW_NAME ".ipset" };
    g_autofree char *xml = NULL;
    g_autoptr(GVariant) reply = NULL;

    if (!g_file_get_contents(VFW_FIREWALLD_XML, &xml, NULL, error) ||
        !(fake->node = g_dbus_node_info_new_for_xml(xml, error)))
        return FALSE;
    fake->conn =
        g_dbus_connection_new_for_address_sync(fake->address,
                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                               NULL, NULL, error);
    if (!fake->conn)
        return FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(main_ifaces); i++)
        if (!export(fake, FW_PATH, main_ifaces[i], error))
            return FALSE;
    if (!export(fake, CONFIG_PATH, FW_NAME ".config", error))
        return FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(policy_names); i++) {
        g_autofree char *path = g_strdup_printf("%s/policy/%u", CONFIG_PATH, i);
        if (!export(fake, path, FW_NAME ".config.policy", error))
            return FALSE;
    }
    for (guint i = 0; i < G_N_ELEMENTS(zone_names); i++) {
        g_autofree char *path = g_strdup_printf("%s/zone/%u", CONFIG_PATH, i);
        if (!export(fake, path, FW_NAME ".config.zone", error))
            return FALSE;
    }
    for (guint i = 0; i < G_N_ELEMENTS(ipset_names); i++) {
        g_autofree char *path = g_strdup_printf("%s/ipset/%u", CONFIG_PATH, i);
        if (!export(fake, path, FW_NAME ".config.ipset", error))
            return FALSE;
    }
    /* DBUS_NAME_FLAG_DO_NOT_QUEUE; 1 = primary owner */
    reply = g_dbus_connection_call_sync(fake->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "RequestName",
                                        g_variant_new("(su)", FW_NAME, 4), G_VARIANT_TYPE("(u)"), 0,
                                        5000, NULL, error);
    return reply != NULL;
}

static gpointer
service_thread(gpointer data)
{
    FakeFirewalld *fake = data;
    GError *error = NULL;
    gboolean ok;

    g_main_context_push_thread_default(fake->context);
    ok = serve(fake, &error);
    g_mutex_lock(&fake->lock);
    fake->start_error = error;
    fake->ready = TRUE;
    g_cond_signal(&fake->ready_cond);
    g_mutex_unlock(&fake->lock);
    if (ok)
        g_main_loop_run(fake->loop);
    for (guint i = 0; fake->conn && i < fake->registrations->len; i++)
        g_dbus_connection_unregister_object(fake->conn,
                                            g_array_index(fake->registrations, guint, i));
    if (fake->conn)
        g_dbus_connection_close_sync(fake->conn, NULL, NULL);
    g_clear_object(&fake->conn);
    /* let queued callbacks of the connection run and drop their references */
    while (g_main_context_iteration(fake->context, FALSE))
        ;
    g_main_context_pop_thread_default(fake->context);
    return NULL;
}

/**
 * fake_firewalld_start:
 * Serves a fake firewalld on the bus at @bus_address, with empty policies and no
 * interface bound; returns once its name is owned.
 */
FakeFirewalld *
fake_firewalld_start(const char *bus_address, GError **error)
{
    FakeFirewalld *fake = g_new0(FakeFirewalld, 1);

    g_mutex_init(&fake->lock);
    g_cond_init(&fake->ready_cond);
    for (guint i = 0; i < FAKE_PLACES; i++) {
        fake->rules[i] = g_ptr_array_new_with_free_func(g_free);
        fake->ports[i] = g_ptr_array_new_with_free_func(g_free);
    }
    for (guint i = 0; i < 2; i++)
        fake->bindings[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i < G_N_ELEMENTS(fake->entries); i++)
        fake->entries[i] = g_ptr_array_new_with_free_func(g_free);
    fake->held = g_ptr_array_new();
    fake->registrations = g_array_new(FALSE, FALSE, sizeof(guint));
    fake->address = g_strdup(bus_address);
    fake->context = g_main_context_new();
    fake->loop = g_main_loop_new(fake->context, FALSE);
    fake->thread = g_thread_new("fake-firewalld", service_thread, fake);

    g_mutex_lock(&fake->lock);
    while (!fake->ready)
        g_cond_wait(&fake->ready_cond, &fake->lock);
    g_mutex_unlock(&fake->lock);
    if (fake->start_error) {
        g_propagate_error(error, g_steal_pointer(&fake->start_error));
        fake_firewalld_stop(fake);
        return NULL;
    }
    return fake;
}

/* In the service thread: answer what was held back, then end the loop. */
static gboolean
stop_in_thread(gpointer data)
{
    FakeFirewalld *fake = data;

    g_mutex_lock(&fake->lock);
    for (guint i = 0; i < fake->held->len; i++)
        g_dbus_method_invocation_return_dbus_error(g_ptr_array_index(fake->held, i), FW_EXCEPTION,
                                                   "fake firewalld stopped");
    g_ptr_array_set_size(fake->held, 0);
    g_mutex_unlock(&fake->lock);
    g_main_loop_quit(fake->loop);
    return G_SOURCE_REMOVE;
}

/**
 * fake_firewalld_stop:
 * Releases the name, ends the service thread and frees @fake; NULL-safe.
 */
void
fake_firewalld_stop(FakeFirewalld *fake)
{
    if (!fake)
        return;
    g_main_context_invoke(fake->context, stop_in_thread, fake);
    g_thread_join(fake->thread);
    for (guint i = 0; i < FAKE_PLACES; i++) {
        g_ptr_array_unref(fake->rules[i]);
        g_ptr_array_unref(fake->ports[i]);
    }
    for (guint i = 0; i < 2; i++)
        g_hash_table_unref(fake->bindings[i]);
    for (guint i = 0; i < G_N_ELEMENTS(fake->entries); i++)
        g_ptr_array_unref(fake->entries[i]);
    g_ptr_array_unref(fake->held);
    g_array_unref(fake->registrations);
    g_clear_pointer(&fake->node, g_dbus_node_info_unref);
    g_main_loop_unref(fake->loop);
    g_main_context_unref(fake->context);
    g_clear_error(&fake->start_error);
    g_free(fake->fault_method);
    g_free(fake->fault_target);
    g_free(fake->fault_message);
    g_free(fake->bad_rule);
    g_free(fake->address);
    g_mutex_clear(&fake->lock);
    g_cond_clear(&fake->ready_cond);
    g_free(fake);
}

/**
 * fake_firewalld_set_rules:
 * Replaces the rich rules of @place (see FAKE_PLACES) with @rules.
 */
void
fake_firewalld_set_rules(FakeFirewalld *fake, guint place, const char *const *rules)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

    g_ptr_array_set_size(fake->rules[place], 0);
    for (guint i = 0; rules && rules[i]; i++)
        g_ptr_array_add(fake->rules[place], g_strdup(rules[i]));
}

/**
 * fake_firewalld_get_rules:
 * A copy of the rich rules of @place, in order, then its forward-ports as
 * "port=P:proto=X:toport=T:toaddr=A".
 */
GStrv
fake_firewalld_get_rules(FakeFirewalld *fake, guint place)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
    GPtrArray *rules = fake->rules[place];
    GPtrArray *ports = fake->ports[place];
    GStrv out = g_new0(char *, rules->len + ports->len + 1);

    for (guint i = 0; i < rules->len; i++)
        out[i] = g_strdup(g_ptr_array_index(rules, i));
    for (guint i = 0; i < ports->len; i++)
        out[rules->len + i] = g_strdup(g_ptr_array_index(ports, i));
    return out;
}

/**
 * fake_firewalld_zone_of:
 * The zone @iface is bound to (runtime or @permanent), or NULL.
 */
char *
fake_firewalld_zone_of(FakeFirewalld *fake, const char *iface, gboolean permanent)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

    return g_strdup(g_hash_table_lookup(fake->bindings[permanent ? 1 : 0], iface));
}

static void
set_fault(FakeFirewalld *fake, const char *method, const char *target, const char *message)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

    g_free(fake->fault_method);
    g_free(fake->fault_target);
    g_free(fake->fault_message);
    fake->fault_method = g_strdup(method);
    fake->fault_target = g_strdup(target);
    fake->fault_message = g_strdup(message);
}

/**
 * fake_firewalld_fail:
 * From now on, calls of @method about @target (a policy or zone; NULL: any) raise
 * firewalld's exception with @message, e.g. "INVALID_RULE: ...".
 */
void
fake_firewalld_fail(FakeFirewalld *fake, const char *method, const char *target,
                    const char *message)
{
    set_fault(fake, method, target, message);
}

/**
 * fake_firewalld_hang:
 * From now on, calls of @method about @target are never answered (a frozen firewalld).
 */
void
fake_firewalld_hang(FakeFirewalld *fake, const char *method, const char *target)
{
    set_fault(fake, method, target, NULL);
}

/**
 * fake_firewalld_clear_faults:
 * Every call is answered normally again.
 */
void
fake_firewalld_clear_faults(FakeFirewalld *fake)
{
    set_fault(fake, NULL, NULL, NULL);
}

/**
 * fake_firewalld_writes:
 * How many policy writes (setPolicySettings, config.policy update) succeeded so far.
 */
guint
fake_firewalld_writes(FakeFirewalld *fake)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

    return fake->writes;
}

/**
 * fake_firewalld_calls_since_hang:
 * How many calls arrived after the first one it never answered (0 when none was held).
 */
guint
fake_firewalld_calls_since_hang(FakeFirewalld *fake)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

    return fake->hung_at ? fake->calls - fake->hung_at : 0;
}

/**
 * fake_firewalld_refuse_rule:
 * From now on, every policy write that carries @rule is refused with INVALID_RULE, as
 * firewalld refuses a rule it cannot parse (NULL: none).
 */
void
fake_firewalld_refuse_rule(FakeFirewalld *fake, const char *rule)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

    g_free(fake->bad_rule);
    fake->bad_rule = g_strdup(rule);
}
