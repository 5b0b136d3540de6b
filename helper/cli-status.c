/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virt-firewalld status [GUEST...] [--json]`: one row per forward, live or not in
 * firewalld's runtime and permanent configuration; bridges and their zones.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "firewalld.h"
#include "hostaddr.h"
#include "lease.h"
#include "netzone.h"
#include "state.h"
#include "survey.h"
#include "vfw-error.h"
#include "virt.h"

typedef struct {
    const char *guest;
    const char *uuid;
    const VfwRule *rule;
    gboolean runtime;
    gboolean permanent;
    const char *state; /* "ok", "missing", "stale: guest not running",
                        * "stale: no longer declared" */
} StatusRow;

/* The host address sets: what each holds in firewalld (runtime) against the host's
 * addresses now. */
typedef struct {
    const char *ipset;
    char *entries; /* space-separated, as firewalld holds them; NULL: unreadable */
    char *host;    /* the host's addresses of that family */
    gboolean stale;
} HostSet;

static char *
host_side(const VfwRule *rule)
{
    g_autofree char *ports =
        vfw_port_range_to_string(rule->spec.host_port, rule->spec.host_port_end);
    if (rule->spec.host_family == G_SOCKET_FAMILY_IPV6)
        return g_strdup_printf("[%s]:%s", rule->spec.host_addr, ports);
    if (rule->spec.host_family == G_SOCKET_FAMILY_IPV4)
        return g_strdup_printf("%s:%s", rule->spec.host_addr, ports);
    return g_strdup_printf("*:%s", ports);
}

static char *
guest_side(const VfwRule *rule)
{
    g_autofree char *ports =
        vfw_port_range_to_string(rule->spec.guest_port, rule->spec.guest_port_end);
    if (rule->family == G_SOCKET_FAMILY_IPV6)
        return g_strdup_printf("[%s]:%s", rule->to_addr, ports);
    return g_strdup_printf("%s:%s", rule->to_addr, ports);
}

static void
add_rows(GArray *rows, const char *guest, const char *uuid, GPtrArray *rules,
         const VfwLiveRules *live, gboolean running, const char *stale)
{
    for (guint r = 0; r < rules->len; r++) {
        const VfwRule *rule = g_ptr_array_index(rules, r);
        StatusRow row = { .guest = guest, .uuid = uuid, .rule = rule };

        if (rule->kind != VFW_RULE_FORWARD)
            continue; /* hairpin: part of the guest's forwards; replaced: on its way out */
        row.runtime = vfw_live_rules_has(live, rule->rich_rule, FALSE);
        row.permanent = vfw_live_rules_has(live, rule->rich_rule, TRUE);
        if (!running)
            row.state = "stale: guest not running";
        else if (stale)
            row.state = stale;
        else
            row.state = row.runtime && row.permanent ? "ok" : "missing";
        g_array_append_val(rows, row);
    }
}

/* What the record of a running guest holds beyond its plan: the forwards it publishes
 * from DHCP leases (`watch` keeps them in the record), and forwards it no longer declares
 * (the configuration changed since it started) that may still be open: stale, and for
 * `sync` to remove. */
static void
add_recorded_rows(GArray *rows, const VfwSurvey *sv, const VfwDomain *d, const VfwPlan *plan,
                  const VfwLiveRules *live)
{
    g_autoptr(GHashTable) planned = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint r = 0; r < plan->rules->len; r++)
        g_hash_table_add(planned, ((VfwRule *)g_ptr_array_index(plan->rules, r))->rich_rule);
    for (guint i = 0; i < sv->recorded->len; i++) {
        const VfwGuestState *gs = g_ptr_array_index(sv->recorded, i);
        g_autoptr(GPtrArray) from_lease = NULL;
        g_autoptr(GPtrArray) undeclared = NULL;

        if (strcmp(gs->uuid, d->uuid) != 0)
            continue;
        from_lease = g_ptr_array_new();
        undeclared = g_ptr_array_new();
        for (guint r = 0; r < gs->rules->len; r++) {
            VfwRule *rule = g_ptr_array_index(gs->rules, r);
            if (rule->origin && g_str_has_prefix(rule->origin, "lease "))
                g_ptr_array_add(from_lease, rule);
            else if (!g_hash_table_contains(planned, rule->rich_rule))
                g_ptr_array_add(undeclared, rule);
        }
        add_rows(rows, d->name, d->uuid, from_lease, live, TRUE, NULL);
        add_rows(rows, d->name, d->uuid, undeclared, live, TRUE, "stale: no longer declared");
    }
}

static gboolean
wanted(char **names, const char *guest)
{
    return !names[0] || g_strv_contains((const char *const *)names, guest);
}

static void
print_status_text(GArray *rows, const VfwSurvey *sv, GPtrArray *bridges, const HostSet sets[2])
{
    g_print("%-16s %-5s %-26s %-30s %-3s %-4s %s\n", "GUEST", "PROTO", "HOST", "GUEST ADDRESS",
            "RT", "PERM", "STATE");
    for (guint i = 0; i < rows->len; i++) {
        const StatusRow *row = &g_array_index(rows, StatusRow, i);
        g_autofree char *host = host_side(row->rule);
        g_autofree char *dest = guest_side(row->rule);
        g_print("%-16s %-5s %-26s %-30s %-3s %-4s %s\n", row->guest,
                vfw_proto_to_string(row->rule->spec.proto), host, dest, row->runtime ? "yes" : "no",
                row->permanent ? "yes" : "no", row->state);
    }
    if (bridges->len)
        g_print("\n%-16s %-8s %-16s %s\n", "NETWORK", "MODE", "BRIDGE", "ZONE");
    for (guint i = 0; i < bridges->len; i += 4)
        g_print("%-16s %-8s %-16s %s\n", (char *)bridges->pdata[i], (char *)bridges->pdata[i + 1],
                (char *)bridges->pdata[i + 2], (char *)bridges->pdata[i + 3]);
    g_print("\nHOST ADDRESSES (forwards without a host address answer on them)\n");
    for (guint i = 0; i < 2; i++) {
        if (!sets[i].entries)
            g_print("%-16s unreadable (firewalld down, or the ipset not loaded)\n", sets[i].ipset);
        else if (sets[i].stale)
            g_print("%-16s stale: holds [%s], the host has [%s]: run 'virt-firewalld sync'\n",
                    sets[i].ipset, sets[i].entries, sets[i].host);
        else
            g_print("%-16s %s\n", sets[i].ipset, *sets[i].entries ? sets[i].entries : "(none)");
    }
}

/* The policy a forward's entry lives in (its first place: runtime). */
static const char *
policy_of(const VfwRule *rule)
{
    for (guint p = 0; p < VFW_PLACES; p++) {
        if (vfw_item_in_place(rule->rich_rule, p))
            return vfw_place_policy(p);
    }
    return "";
}

/* Member @name of the object being built: @value, or null when it is NULL. */
static void
member_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
add_address(JsonBuilder *b, GInetAddress *addr, const char *how)
{
    g_autofree char *text = g_inet_address_to_string(addr);

    json_builder_begin_object(b);
    member_string(b, "address", text);
    member_string(b, "family",
                  g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6 ? "ipv6" : "ipv4");
    member_string(b, "from", how);
    json_builder_end_object(b);
}

/* One NIC: its network (mode and subnets when the network is active) and the addresses
 * a forward could be published to: the DHCP reservations for its MAC, its live lease. */
static void
add_interface(JsonBuilder *b, const VfwContext *ctx, const VfwSurvey *sv, const VfwInterface *iface)
{
    const VfwNetwork *net =
        iface->network ? g_hash_table_lookup(sv->networks, iface->network) : NULL;

    json_builder_begin_object(b);
    member_string(b, "network", iface->network);
    member_string(b, "mac", iface->mac);
    member_string(b, "mode", net ? vfw_net_mode_to_string(net->mode) : NULL);
    json_builder_set_member_name(b, "subnets");
    json_builder_begin_array(b);
    for (guint i = 0; net && i < net->ips->len; i++) {
        const VfwNetIp *ip = g_ptr_array_index(net->ips, i);
        g_autofree char *text = g_inet_address_mask_to_string(ip->subnet);
        json_builder_add_string_value(b, text);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "addresses");
    json_builder_begin_array(b);
    if (net && iface->mac) {
        static const GSocketFamily families[] = { G_SOCKET_FAMILY_IPV4, G_SOCKET_FAMILY_IPV6 };
        GInetAddress *reserved[2] = { NULL };
        for (guint f = 0; f < G_N_ELEMENTS(families); f++) {
            reserved[f] = vfw_network_reserved_address(net, iface->mac, families[f]);
            if (reserved[f])
                add_address(b, reserved[f], "reservation");
        }
        if (net->bridge) {
            g_autofree char *path = g_strdup_printf("%s/%s.status", ctx->dnsmasq_dir, net->bridge);
            g_autoptr(GInetAddress) leased =
                vfw_lease_lookup(path, iface->mac, g_get_real_time() / G_USEC_PER_SEC);
            if (leased && !(reserved[0] && g_inet_address_equal(leased, reserved[0])))
                add_address(b, leased, "lease");
        }
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

/* One guest: whether it runs, its NICs, the forwards it declares (with where: only those
 * of its metadata are for `forward remove`), and why any of them is not published. */
static void
add_guest(JsonBuilder *b, const VfwContext *ctx, const VfwSurvey *sv, const VfwDomain *d,
          const VfwPlan *plan, const char *plan_error)
{
    const VfwGuestDecl *decl = NULL;
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GPtrArray) forwards = NULL;

    json_builder_begin_object(b);
    member_string(b, "name", d->name);
    member_string(b, "uuid", d->uuid);
    json_builder_set_member_name(b, "running");
    json_builder_add_boolean_value(b, vfw_survey_is_running(sv, d->uuid));
    json_builder_set_member_name(b, "interfaces");
    json_builder_begin_array(b);
    for (guint i = 0; i < d->interfaces->len; i++)
        add_interface(b, ctx, sv, g_ptr_array_index(d->interfaces, i));
    json_builder_end_array(b);
    decl = vfw_config_lookup_guest(sv->config, d->name, d->uuid, &local_error);
    if (!local_error)
        forwards = vfw_collect_forwards(decl, d, &local_error);
    json_builder_set_member_name(b, "declared");
    json_builder_begin_array(b);
    for (guint i = 0; forwards && i < forwards->len; i++) {
        const VfwDeclForward *f = g_ptr_array_index(forwards, i);
        g_autofree char *spec = vfw_port_spec_to_string(&f->spec);
        json_builder_begin_object(b);
        member_string(b, "spec", spec);
        member_string(b, "address", f->address);
        member_string(b, "origin", f->origin);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "problems");
    json_builder_begin_array(b);
    if (local_error)
        json_builder_add_string_value(b, local_error->message);
    else if (plan_error)
        json_builder_add_string_value(b, plan_error);
    for (guint i = 0; plan && i < plan->warnings->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(plan->warnings, i));
    json_builder_end_array(b);
    json_builder_end_object(b);
}

/* "guests": every defined guest, running ones first (what the Cockpit page's form
 * offers). Guests that do not run come from libvirt's persistent definitions. */
static void
add_guests(JsonBuilder *b, const VfwContext *ctx, const VfwSurvey *sv)
{
    g_autoptr(virConnect) conn = vfw_virt_connect(NULL, TRUE, NULL);
    g_autoptr(GPtrArray) inactive = conn ? vfw_virt_inactive_domains(conn, NULL) : NULL;

    json_builder_set_member_name(b, "guests");
    json_builder_begin_array(b);
    for (guint i = 0; i < sv->domains->len; i++)
        add_guest(b, ctx, sv, g_ptr_array_index(sv->domains, i), g_ptr_array_index(sv->plans, i),
                  g_ptr_array_index(sv->plan_errors, i));
    for (guint i = 0; inactive && i < inactive->len; i++) {
        const VfwDomain *d = g_ptr_array_index(inactive, i);
        if (!vfw_survey_is_running(sv, d->uuid))
            add_guest(b, ctx, sv, d, NULL, NULL);
    }
    json_builder_end_array(b);
}

/* `status --json`, schema version 1 (virt-firewalld(8)): keys are only ever added. */
static void
print_status_json(const VfwContext *ctx, const VfwSurvey *sv, GArray *rows, GPtrArray *bridges,
                  const HostSet sets[2])
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, 1);
    json_builder_set_member_name(b, "forwards");
    json_builder_begin_array(b);
    for (guint i = 0; i < rows->len; i++) {
        const StatusRow *row = &g_array_index(rows, StatusRow, i);
        g_autofree char *host = host_side(row->rule);
        g_autofree char *dest = guest_side(row->rule);
        json_builder_begin_object(b);
        member_string(b, "guest", row->guest);
        member_string(b, "uuid", row->uuid);
        member_string(b, "protocol", vfw_proto_to_string(row->rule->spec.proto));
        member_string(b, "family", row->rule->family == G_SOCKET_FAMILY_IPV6 ? "ipv6" : "ipv4");
        member_string(b, "host", host);
        member_string(b, "guest_address", dest);
        member_string(b, "policy", policy_of(row->rule));
        json_builder_set_member_name(b, "runtime");
        json_builder_add_boolean_value(b, row->runtime);
        json_builder_set_member_name(b, "permanent");
        json_builder_add_boolean_value(b, row->permanent);
        member_string(b, "state", row->state);
        member_string(b, "rich_rule", row->rule->rich_rule);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "bridges");
    json_builder_begin_array(b);
    for (guint i = 0; i + 3 < bridges->len; i += 4) {
        static const char *const keys[] = { "network", "mode", "bridge", "zone" };
        g_autofree char *orig = vfw_network_orig_path(ctx, bridges->pdata[i]);
        json_builder_begin_object(b);
        for (guint k = 0; k < 4; k++)
            member_string(b, keys[k], bridges->pdata[i + k]);
        json_builder_set_member_name(b, "converted");
        json_builder_add_boolean_value(b, g_file_test(orig, G_FILE_TEST_EXISTS));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "host_addresses");
    json_builder_begin_array(b);
    for (guint i = 0; i < 2; i++) {
        g_auto(GStrv) have = sets[i].entries ? g_strsplit(sets[i].entries, " ", -1) : NULL;
        json_builder_begin_object(b);
        member_string(b, "ipset", sets[i].ipset);
        json_builder_set_member_name(b, "stale");
        json_builder_add_boolean_value(b, sets[i].stale);
        json_builder_set_member_name(b, "entries");
        json_builder_begin_array(b);
        for (guint k = 0; have && have[k]; k++) {
            if (*have[k])
                json_builder_add_string_value(b, have[k]);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    add_guests(b, ctx, sv);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    g_print("%s\n", text);
}

static void
load_host_sets(const VfwContext *ctx, const VfwSurvey *sv, HostSet sets[2])
{
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(ctx->bus, sv->config->dbus_timeout_ms, NULL);

    for (guint i = 0; i < G_N_ELEMENTS(vfw_host_sets); i++) {
        g_auto(GStrv) want = vfw_host_addresses(vfw_host_sets[i].family, NULL);
        g_auto(GStrv) have = NULL;

        sets[i].ipset = vfw_host_sets[i].ipset;
        sets[i].host = want ? g_strjoinv(" ", want) : g_strdup("");
        if (!fw || !vfw_firewalld_ipset_get_entries(fw, sets[i].ipset, FALSE, &have, NULL)) {
            sets[i].stale = TRUE;
            continue;
        }
        sets[i].entries = g_strjoinv(" ", have);
        sets[i].stale =
            !want || !vfw_host_set_holds((const char *const *)have, (const char *const *)want);
    }
}

static void
clear_host_sets(HostSet sets[2])
{
    for (guint i = 0; i < 2; i++) {
        g_free(sets[i].entries);
        g_free(sets[i].host);
    }
}

/* network, mode, bridge, runtime zone: four strings per active network with a bridge. */
static GPtrArray *
bridge_rows(const VfwContext *ctx, const VfwSurvey *sv)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(ctx->bus, sv->config->dbus_timeout_ms, NULL);
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, sv->networks);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        const VfwNetwork *net = value;
        char *zone = NULL;
        if (!net->bridge)
            continue;
        if (!fw || !vfw_firewalld_zone_of_interface(fw, net->bridge, FALSE, &zone, NULL))
            zone = g_strdup("?");
        g_ptr_array_add(out, g_strdup(net->name));
        g_ptr_array_add(out, g_strdup(vfw_net_mode_to_string(net->mode)));
        g_ptr_array_add(out, g_strdup(net->bridge));
        g_ptr_array_add(out, *zone ? zone : (g_free(zone), g_strdup("-")));
    }
    return out;
}

/**
 * vfw_cli_status:
 * `status [GUEST...] [--json]`: one row per forward, whether it is live in firewalld's
 * runtime and permanent configuration; bridges and their zones. FALSE (exit 1) when
 * anything is missing or stale.
 */
gboolean
vfw_cli_status(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(VfwSurvey) sv = NULL;
    g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(StatusRow));
    g_autoptr(GPtrArray) bridges = NULL;
    HostSet sets[2] = { { NULL } };
    g_auto(VfwLiveRules) live = { { NULL } };
    GHashTableIter unreadable;
    gpointer message;
    gboolean json = FALSE;
    guint bad = 0;

    json = args->json;
    for (int i = 1; i < args->argc; i++)
        g_ptr_array_add(names, args->argv[i]);
    g_ptr_array_add(names, NULL);
    sv = vfw_survey_new(ctx, error);
    if (!sv || !vfw_live_rules_load(ctx, sv->config, &live, error))
        return FALSE;
    for (guint i = 0; i < sv->domains->len; i++) {
        const VfwDomain *d = g_ptr_array_index(sv->domains, i);
        const VfwPlan *plan = g_ptr_array_index(sv->plans, i);
        if (!wanted((char **)names->pdata, d->name))
            continue;
        if (plan) {
            add_rows(rows, d->name, d->uuid, plan->rules, &live, TRUE, NULL);
            add_recorded_rows(rows, sv, d, plan, &live);
        } else
            g_ptr_array_add(warnings, g_strdup(g_ptr_array_index(sv->plan_errors, i)));
        bad += plan ? 0 : 1;
    }
    for (guint i = 0; i < sv->recorded->len; i++) {
        const VfwGuestState *gs = g_ptr_array_index(sv->recorded, i);
        if (!vfw_survey_is_running(sv, gs->uuid) && wanted((char **)names->pdata, gs->name))
            add_rows(rows, gs->name, gs->uuid, gs->rules, &live, FALSE, NULL);
    }
    g_hash_table_iter_init(&unreadable, sv->unreadable);
    while (g_hash_table_iter_next(&unreadable, NULL, &message)) {
        g_ptr_array_add(warnings, g_strdup(message));
        bad++;
    }
    bridges = bridge_rows(ctx, sv);
    load_host_sets(ctx, sv, sets);
    if (json)
        print_status_json(ctx, sv, rows, bridges, sets);
    else
        print_status_text(rows, sv, bridges, sets);
    bad += sets[0].stale + sets[1].stale;
    clear_host_sets(sets);
    for (guint i = 0; i < rows->len; i++)
        bad += strcmp(g_array_index(rows, StatusRow, i).state, "ok") != 0;
    if (bad) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD,
                    "status: %u forwards missing or stale ('virt-firewalld sync' repairs them)",
                    bad);
        return FALSE;
    }
    return TRUE;
}
