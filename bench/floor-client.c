/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The floor for bench/run: the least a qemu hook must do to publish a guest's forwards in
 * firewalld 1.3 policies, runtime and permanent, over D-Bus. No configuration, no state,
 * no lock, no libvirt: the rich rule texts come ready-made from a file.
 *
 *   floor-client [--permanent-only] RULES_DIR DOMAIN OPERATION SUBOP EXTRA
 *                                                        (domain XML on stdin)
 *
 * prepare: adds the rules in RULES_DIR/DOMAIN (one rich rule per line); stopped: removes
 * them; every other operation: nothing. Per policy (virtfw-forward, virtfw-host) it makes
 * exactly the calls our hook makes: runtime policy.getPolicySettings + setPolicySettings,
 * permanent config.getPolicyByName + config.policy.getSettings + update.
 * --permanent-only (bench/run's seeding of large rule sets, followed by a reload that
 * applies them in one pass): skips the runtime calls.
 */
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FW_NAME   "org.fedoraproject.FirewallD1"
#define FW_PATH   "/org/fedoraproject/FirewallD1"
#define FW_CONFIG "/org/fedoraproject/FirewallD1/config"
#define TIMEOUT   30000

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

/* settings (a{sv}) -> the new rich_rules list as a{sv}, or NULL when nothing changes */
static GVariant *
edited(GVariant *settings, char **rules, gboolean add)
{
    g_autoptr(GVariant) current =
        g_variant_lookup_value(settings, "rich_rules", G_VARIANT_TYPE_STRING_ARRAY);
    g_autoptr(GHashTable) drop = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) have = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    g_autofree const char **cur = current ? g_variant_get_strv(current, NULL) : NULL;
    gboolean changed = FALSE;
    GVariantBuilder b;

    for (guint i = 0; !add && rules[i]; i++)
        if (rules[i][0])
            g_hash_table_add(drop, rules[i]);
    for (guint i = 0; cur && cur[i]; i++) {
        if (g_hash_table_contains(drop, cur[i])) {
            changed = TRUE;
            continue;
        }
        g_hash_table_add(have, (gpointer)cur[i]);
        g_ptr_array_add(out, (gpointer)cur[i]);
    }
    for (guint i = 0; add && rules[i]; i++) {
        if (rules[i][0] && !g_hash_table_contains(have, rules[i])) {
            g_hash_table_add(have, rules[i]);
            g_ptr_array_add(out, rules[i]);
            changed = TRUE;
        }
    }
    if (!changed)
        return NULL;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", "rich_rules",
                          g_variant_new_strv((const char *const *)out->pdata, out->len));
    return g_variant_builder_end(&b);
}

int
main(int argc, char **argv)
{
    static const char *const policies[] = { "virtfw-forward", "virtfw-host" };
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) bus = NULL;
    g_autofree char *file = NULL;
    g_autofree char *text = NULL;
    g_auto(GStrv) rules = NULL;
    char buf[65536];
    gboolean add;
    gboolean permanent_only = argc > 1 && strcmp(argv[1], "--permanent-only") == 0;

    if (permanent_only) {
        argv++;
        argc--;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: floor-client RULES_DIR DOMAIN OPERATION [SUBOP EXTRA]\n");
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
    rules = g_strsplit(text, "\n", -1);

    bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
    if (!bus) {
        fprintf(stderr, "floor-client: %s\n", error->message);
        return 1;
    }
    for (guint p = 0; p < G_N_ELEMENTS(policies); p++) {
        g_autoptr(GVariant) r = NULL;
        g_autoptr(GVariant) settings = NULL;
        g_autoptr(GVariant) path_reply = NULL;
        GVariant *change;
        const char *path;

        /* runtime */
        if (permanent_only)
            goto permanent;
        r = call(bus, FW_PATH, FW_NAME ".policy", "getPolicySettings",
                 g_variant_new("(s)", policies[p]), "(a{sv})");
        settings = g_variant_get_child_value(r, 0);
        change = edited(settings, rules, add);
        if (change)
            g_variant_unref(call(bus, FW_PATH, FW_NAME ".policy", "setPolicySettings",
                                 g_variant_new("(s@a{sv})", policies[p], change), NULL));
        g_clear_pointer(&r, g_variant_unref);
        g_clear_pointer(&settings, g_variant_unref);

    permanent:
        /* permanent */
        path_reply = call(bus, FW_CONFIG, FW_NAME ".config", "getPolicyByName",
                          g_variant_new("(s)", policies[p]), "(o)");
        g_variant_get(path_reply, "(&o)", &path);
        r = call(bus, path, FW_NAME ".config.policy", "getSettings", NULL, "(a{sv})");
        settings = g_variant_get_child_value(r, 0);
        change = edited(settings, rules, add);
        if (change)
            g_variant_unref(call(bus, path, FW_NAME ".config.policy", "update",
                                 g_variant_new("(@a{sv})", change), NULL));
    }
    return 0;
}
