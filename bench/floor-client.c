/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The floor for bench/run: the least a qemu hook must do to publish a guest's forwards in
 * firewalld 1.3 policies, runtime and permanent, over D-Bus. No configuration, no state,
 * no lock, no libvirt, no refresh of the host address sets: the items come ready-made
 * from a file.
 *
 *   floor-client ITEMS_DIR DOMAIN OPERATION SUBOP EXTRA      (domain XML on stdin)
 *
 * prepare: adds the items in ITEMS_DIR/DOMAIN (one a line, as our hook records them);
 * stopped: removes them; every other operation: nothing. An item lives where our hook
 * puts it (helper/firewalld.c, vfw_item_in_place):
 *
 *   pub port=P:proto=X:toport=T:toaddr=A   forward-port of virtfw-pub and virtfw-pub-host
 *   pub rule ...                           rich rule of virtfw-pub and virtfw-pub-host
 *   rule ... masquerade                    rich rule of virtfw-forward (the hairpin)
 *   rule ...                               rich rule of virtfw-forward and virtfw-host
 *
 * (bench/run's "old design" is the last kind alone: the rich rules the hook published
 * before forward-ports.) Per policy that holds any of the items it makes the calls our hook
 * makes: runtime policy.getPolicySettings + setPolicySettings, permanent
 * config.getPolicyByName + config.policy.getSettings + update; a policy none of the items
 * lives in is not touched, and only the lists that change are written.
 */
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FW_NAME   "org.fedoraproject.FirewallD1"
#define FW_PATH   "/org/fedoraproject/FirewallD1"
#define FW_CONFIG "/org/fedoraproject/FirewallD1/config"
#define TIMEOUT   120000
#define PUB       "pub "

enum { FORWARD, HOST, PUB_ANY, PUB_HOST, N_POLICIES };
static const char *const policies[N_POLICIES] = { "virtfw-forward", "virtfw-host", "virtfw-pub",
                                                  "virtfw-pub-host" };

/* what one policy gets: rich rules and forward-ports (as "port=P:proto=X:toport=T:toaddr=A") */
typedef struct {
    GPtrArray *rich;
    GPtrArray *ports;
} Items;

static GVariant *
call(GDBusConnection *bus, const char *path, const char *iface, const char *method, GVariant *args,
     const char *reply_type)
{
    g_autoptr(GError) error = NULL;
    GVariant *reply = g_dbus_connection_call_sync(
        bus, FW_NAME, path, iface, method, args, reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
        G_DBUS_CALL_FLAGS_NO_AUTO_START, TIMEOUT, NULL, &error);

    if (!reply) {
        fprintf(stderr, "floor-client: %s: %s\n", method, error->message);
        exit(1);
    }
    return reply;
}

static void
place(Items *items, const char *line)
{
    gboolean pub = g_str_has_prefix(line, PUB);
    const char *entry = pub ? line + strlen(PUB) : line;
    gboolean port = g_str_has_prefix(entry, "port=");

    if (pub) {
        for (int p = PUB_ANY; p <= PUB_HOST; p++)
            g_ptr_array_add(port ? items[p].ports : items[p].rich, (gpointer)entry);
        return;
    }
    g_ptr_array_add(items[FORWARD].rich, (gpointer)entry);
    if (!g_str_has_suffix(entry, " masquerade")) /* firewalld: no masquerade from HOST */
        g_ptr_array_add(items[HOST].rich, (gpointer)entry);
}

/* The list @current (entries as text, borrowed) edited by @items, as a new array of
 * borrowed strings, or NULL when nothing changes. */
static GPtrArray *
edited(GPtrArray *current, GPtrArray *items, gboolean add)
{
    g_autoptr(GHashTable) drop = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) have = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *out = g_ptr_array_new();
    gboolean changed = FALSE;

    for (guint i = 0; !add && i < items->len; i++)
        g_hash_table_add(drop, g_ptr_array_index(items, i));
    for (guint i = 0; i < current->len; i++) {
        char *entry = g_ptr_array_index(current, i);
        if (g_hash_table_contains(drop, entry)) {
            changed = TRUE;
            continue;
        }
        g_hash_table_add(have, entry);
        g_ptr_array_add(out, entry);
    }
    for (guint i = 0; add && i < items->len; i++) {
        char *entry = g_ptr_array_index(items, i);
        if (g_hash_table_add(have, entry)) {
            g_ptr_array_add(out, entry);
            changed = TRUE;
        }
    }
    if (changed)
        return out;
    g_ptr_array_unref(out);
    return NULL;
}

/* "port=P:proto=X:toport=T:toaddr=A" -> (ssss); toaddr comes last, so an IPv6 address needs
 * no escaping */
static GVariant *
port_tuple(const char *text)
{
    const char *proto = strstr(text, ":proto=");
    const char *toport = proto ? strstr(proto, ":toport=") : NULL;
    const char *toaddr = toport ? strstr(toport, ":toaddr=") : NULL;
    g_autofree char *port = NULL;
    g_autofree char *p = NULL;
    g_autofree char *t = NULL;

    if (!g_str_has_prefix(text, "port=") || !toaddr) {
        fprintf(stderr, "floor-client: malformed forward-port '%s'\n", text);
        exit(1);
    }
    port = g_strndup(text + 5, proto - text - 5);
    p = g_strndup(proto + 7, toport - proto - 7);
    t = g_strndup(toport + 8, toaddr - toport - 8);
    return g_variant_new("(ssss)", port, p, t, toaddr + 8);
}

/* The settings that change @settings by @items (both lists edited), or NULL when nothing
 * changes. @keep collects the strings built here. */
static GVariant *
change_of(GVariant *settings, const Items *items, gboolean add, GPtrArray *keep)
{
    g_autoptr(GPtrArray) rich = g_ptr_array_new();
    g_autoptr(GPtrArray) ports = g_ptr_array_new();
    g_autoptr(GPtrArray) new_rich = NULL;
    g_autoptr(GPtrArray) new_ports = NULL;
    GVariantBuilder b;

    if (items->rich->len > 0) {
        g_autoptr(GVariant) v =
            g_variant_lookup_value(settings, "rich_rules", G_VARIANT_TYPE_STRING_ARRAY);
        for (gsize i = 0; v && i < g_variant_n_children(v); i++) {
            char *rule = NULL;
            g_variant_get_child(v, i, "s", &rule);
            g_ptr_array_add(keep, rule);
            g_ptr_array_add(rich, rule);
        }
        new_rich = edited(rich, items->rich, add);
    }
    if (items->ports->len > 0) {
        g_autoptr(GVariant) v =
            g_variant_lookup_value(settings, "forward_ports", G_VARIANT_TYPE("a(ssss)"));
        GVariantIter iter;
        const char *f[4];
        if (v) {
            g_variant_iter_init(&iter, v);
            while (g_variant_iter_next(&iter, "(&s&s&s&s)", &f[0], &f[1], &f[2], &f[3])) {
                char *text =
                    g_strdup_printf("port=%s:proto=%s:toport=%s:toaddr=%s", f[0], f[1], f[2], f[3]);
                g_ptr_array_add(keep, text);
                g_ptr_array_add(ports, text);
            }
        }
        new_ports = edited(ports, items->ports, add);
    }
    if (!new_rich && !new_ports)
        return NULL;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    if (new_rich)
        g_variant_builder_add(
            &b, "{sv}", "rich_rules",
            g_variant_new_strv((const char *const *)new_rich->pdata, new_rich->len));
    if (new_ports) {
        GVariantBuilder pb;
        g_variant_builder_init(&pb, G_VARIANT_TYPE("a(ssss)"));
        for (guint i = 0; i < new_ports->len; i++)
            g_variant_builder_add_value(&pb, port_tuple(g_ptr_array_index(new_ports, i)));
        g_variant_builder_add(&b, "{sv}", "forward_ports", g_variant_builder_end(&pb));
    }
    return g_variant_builder_end(&b);
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) bus = NULL;
    g_autofree char *file = NULL;
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    Items items[N_POLICIES];
    char buf[65536];
    gboolean add;

    if (argc < 4) {
        fprintf(stderr, "usage: floor-client ITEMS_DIR DOMAIN OPERATION [SUBOP EXTRA]\n");
        return 2;
    }
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) /* the domain XML, as a hook gets it */
        ;
    add = strcmp(argv[3], "prepare") == 0;
    if (!add && strcmp(argv[3], "stopped") != 0)
        return 0;
    file = g_build_filename(argv[1], argv[2], NULL);
    if (!g_file_get_contents(file, &text, NULL, NULL))
        return 0; /* no forwards for this guest */
    lines = g_strsplit(text, "\n", -1);
    for (int p = 0; p < N_POLICIES; p++) {
        items[p].rich = g_ptr_array_new();
        items[p].ports = g_ptr_array_new();
    }
    for (guint i = 0; lines[i]; i++)
        if (lines[i][0])
            place(items, lines[i]);

    bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
    if (!bus) {
        fprintf(stderr, "floor-client: %s\n", error->message);
        return 1;
    }
    for (int p = 0; p < N_POLICIES; p++) {
        g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GVariant) r = NULL;
        g_autoptr(GVariant) settings = NULL;
        g_autoptr(GVariant) path_reply = NULL;
        GVariant *change;
        const char *path;

        if (items[p].rich->len == 0 && items[p].ports->len == 0)
            continue;
        /* runtime */
        r = call(bus, FW_PATH, FW_NAME ".policy", "getPolicySettings",
                 g_variant_new("(s)", policies[p]), "(a{sv})");
        settings = g_variant_get_child_value(r, 0);
        change = change_of(settings, &items[p], add, keep);
        if (change)
            g_variant_unref(call(bus, FW_PATH, FW_NAME ".policy", "setPolicySettings",
                                 g_variant_new("(s@a{sv})", policies[p], change), NULL));
        g_clear_pointer(&r, g_variant_unref);
        g_clear_pointer(&settings, g_variant_unref);

        /* permanent */
        path_reply = call(bus, FW_CONFIG, FW_NAME ".config", "getPolicyByName",
                          g_variant_new("(s)", policies[p]), "(o)");
        g_variant_get(path_reply, "(&o)", &path);
        r = call(bus, path, FW_NAME ".config.policy", "getSettings", NULL, "(a{sv})");
        settings = g_variant_get_child_value(r, 0);
        change = change_of(settings, &items[p], add, keep);
        if (change)
            g_variant_unref(call(bus, path, FW_NAME ".config.policy", "update",
                                 g_variant_new("(@a{sv})", change), NULL));
    }
    for (int p = 0; p < N_POLICIES; p++) {
        g_ptr_array_unref(items[p].rich);
        g_ptr_array_unref(items[p].ports);
    }
    return 0;
}
