/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virt-firewalld sync [--dry-run]` and `virt-firewalld status [GUEST...] [--json]`: the
 * running guests and networks (from libvirt) against our records and firewalld.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "firewalld.h"
#include "netzone.h"
#include "state.h"
#include "vfw-error.h"
#include "virt.h"

/* What libvirt says runs, what we recorded, and what we would publish. */
typedef struct {
    VfwConfig *config;
    GPtrArray *domains;     /* VfwDomain, running */
    GHashTable *networks;   /* name -> VfwNetwork, active */
    GPtrArray *plans;       /* VfwPlan or NULL, parallel to domains */
    GPtrArray *plan_errors; /* char* or NULL, parallel to domains */
    GPtrArray *recorded;    /* VfwGuestState: state directory and ledger */
} Survey;

static void
survey_free(Survey *sv)
{
    vfw_config_free(sv->config);
    g_clear_pointer(&sv->domains, g_ptr_array_unref);
    g_clear_pointer(&sv->networks, g_hash_table_unref);
    g_clear_pointer(&sv->plans, g_ptr_array_unref);
    g_clear_pointer(&sv->plan_errors, g_ptr_array_unref);
    g_clear_pointer(&sv->recorded, g_ptr_array_unref);
    g_free(sv);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Survey, survey_free)

static gboolean
is_running(const Survey *sv, const char *uuid)
{
    for (guint i = 0; i < sv->domains->len; i++) {
        if (strcmp(((VfwDomain *)g_ptr_array_index(sv->domains, i))->uuid, uuid) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Records of the state directory, plus ledger records for guests it does not have. */
static GPtrArray *
list_recorded(const VfwContext *ctx, GError **error)
{
    g_autoptr(VfwState) state = vfw_context_open_state(ctx, error);
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GPtrArray) ledger = NULL;

    if (!state || !(list = vfw_state_list_guests(state, error)) ||
        !(ledger = vfw_state_list_ledger(state, error)))
        return NULL;
    for (guint i = 0; i < ledger->len; i++) {
        VfwGuestState *gs = g_ptr_array_index(ledger, i);
        gboolean known = FALSE;
        for (guint j = 0; j < list->len && !known; j++)
            known = strcmp(((VfwGuestState *)g_ptr_array_index(list, j))->uuid, gs->uuid) == 0;
        if (!known)
            g_ptr_array_add(list, g_ptr_array_steal_index(ledger, i--));
    }
    return g_steal_pointer(&list);
}

static Survey *
survey_new(const VfwContext *ctx, GError **error)
{
    g_autoptr(Survey) sv = g_new0(Survey, 1);
    g_autoptr(virConnect) conn = vfw_virt_connect(NULL, TRUE, error);

    if (!conn)
        return NULL;
    sv->config = vfw_config_load(ctx->confdir, error);
    if (!sv->config || !(sv->domains = vfw_virt_running_domains(conn, error)) ||
        !(sv->networks = vfw_virt_active_networks(conn, error)) ||
        !(sv->recorded = list_recorded(ctx, error)))
        return NULL;
    sv->plans = g_ptr_array_new_with_free_func((GDestroyNotify)vfw_plan_free);
    sv->plan_errors = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < sv->domains->len; i++) {
        g_autoptr(GError) local_error = NULL;
        VfwPlan *plan = vfw_plan_for_domain(sv->config, g_ptr_array_index(sv->domains, i),
                                            sv->networks, &local_error);
        g_ptr_array_add(sv->plans, plan);
        g_ptr_array_add(sv->plan_errors, plan ? NULL : g_strdup(local_error->message));
    }
    return g_steal_pointer(&sv);
}

static void
progress(guint done, guint total)
{
    if (!isatty(STDERR_FILENO) || total == 0)
        return;
    fprintf(stderr, "\rsync: %u/%u guests", done, total);
    if (done == total)
        fputc('\n', stderr);
}

static gboolean
firewalld_up(const VfwContext *ctx, const VfwConfig *config, GError **error)
{
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(ctx->bus, config->dbus_timeout_ms, error);
    g_autofree char *version = fw ? vfw_firewalld_get_version(fw, error) : NULL;

    return version != NULL;
}

static void
print_dry_run(const Survey *sv)
{
    for (guint i = 0; i < sv->domains->len; i++) {
        const VfwDomain *d = g_ptr_array_index(sv->domains, i);
        const VfwPlan *plan = g_ptr_array_index(sv->plans, i);
        for (guint r = 0; plan && r < plan->rules->len; r++)
            g_print("publish %s: %s\n", d->name,
                    ((VfwRule *)g_ptr_array_index(plan->rules, r))->rich_rule);
        if (!plan)
            g_print("error %s: %s\n", d->name, (char *)g_ptr_array_index(sv->plan_errors, i));
    }
    for (guint i = 0; i < sv->recorded->len; i++) {
        const VfwGuestState *gs = g_ptr_array_index(sv->recorded, i);
        for (guint r = 0; !is_running(sv, gs->uuid) && r < gs->rules->len; r++)
            g_print("remove %s: %s\n", gs->name,
                    ((VfwRule *)g_ptr_array_index(gs->rules, r))->rich_rule);
    }
}

static guint
sync_networks(const VfwContext *ctx, const Survey *sv, GPtrArray *warnings)
{
    GHashTableIter iter;
    gpointer value;
    guint failed = 0;

    g_hash_table_iter_init(&iter, sv->networks);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        g_autoptr(GError) local_error = NULL;
        if (!vfw_network_bind(ctx, sv->config, value, warnings, &local_error)) {
            g_ptr_array_add(warnings, g_strdup(local_error->message));
            failed++;
        }
    }
    return failed;
}

typedef struct {
    GHashTable *sets[4]; /* forward runtime, forward permanent, host runtime, host permanent */
} LiveRules;

static void
live_rules_clear(LiveRules *live)
{
    for (int i = 0; i < 4; i++)
        g_clear_pointer(&live->sets[i], g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(LiveRules, live_rules_clear)

static gboolean
live_rules_load(const VfwContext *ctx, const VfwConfig *config, LiveRules *live, GError **error)
{
    const char *policies[] = { VFW_POLICY_FORWARD, VFW_POLICY_HOST };
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(ctx->bus, config->dbus_timeout_ms, error);

    if (!fw)
        return FALSE;
    for (int i = 0; i < 4; i++) {
        g_auto(GStrv) rules = NULL;
        if (!vfw_firewalld_policy_get_rules(fw, policies[i / 2], i % 2, &rules, error))
            return FALSE;
        live->sets[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (guint r = 0; rules[r]; r++)
            g_hash_table_add(live->sets[i], g_strdup(rules[r]));
    }
    return TRUE;
}

/* TRUE when every rule of @rules is live in all four places. */
static gboolean
all_live(GPtrArray *rules, const LiveRules *live)
{
    for (guint r = 0; r < rules->len; r++) {
        const char *rich = ((VfwRule *)g_ptr_array_index(rules, r))->rich_rule;
        for (int i = 0; i < 4; i++) {
            if (!g_hash_table_contains(live->sets[i], rich))
                return FALSE;
        }
    }
    return TRUE;
}

/* TRUE when @a and @b hold the same rich rules. */
static gboolean
same_rules(GPtrArray *a, GPtrArray *b)
{
    g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < a->len; i++)
        g_hash_table_add(set, ((VfwRule *)g_ptr_array_index(a, i))->rich_rule);
    if (g_hash_table_size(set) != b->len)
        return FALSE;
    for (guint i = 0; i < b->len; i++) {
        if (!g_hash_table_contains(set, ((VfwRule *)g_ptr_array_index(b, i))->rich_rule))
            return FALSE;
    }
    return TRUE;
}

/* The UUIDs (borrowed from @sv) of running guests with nothing to do: their record lists
 * exactly their plan's rules, is neither pending nor stopped, and every rule is live in all
 * four places. One read of each place for all guests, instead of four per guest in
 * vfw_apply_guest(). Guests following DHCP leases are left to vfw_apply_guest(). Empty
 * when firewalld or the state directory cannot tell. */
static GHashTable *
settled_guests(const VfwContext *ctx, const Survey *sv)
{
    GHashTable *settled = g_hash_table_new(g_str_hash, g_str_equal);
    g_auto(LiveRules) live = { { NULL } };
    g_autoptr(VfwState) state = NULL;

    if (!live_rules_load(ctx, sv->config, &live, NULL) ||
        !(state = vfw_state_open(ctx->statedir, ctx->lock_timeout_ms, NULL)))
        return settled;
    for (guint i = 0; i < sv->domains->len; i++) {
        const VfwDomain *d = g_ptr_array_index(sv->domains, i);
        const VfwPlan *plan = g_ptr_array_index(sv->plans, i);
        g_autoptr(VfwGuestState) gs = NULL;

        if (!plan || plan->leases->len > 0 || !vfw_state_load_guest(state, d->uuid, &gs, NULL) ||
            !gs || gs->pending || gs->stopped || gs->leases->len > 0)
            continue;
        if (same_rules(gs->rules, plan->rules) && all_live(plan->rules, &live))
            g_hash_table_add(settled, d->uuid);
    }
    return settled;
}

/**
 * vfw_cli_sync:
 * `sync [--dry-run|--offline]`: publishes what running guests declare (runtime and
 * permanent), binds open networks' bridges, and removes the rules we recorded for guests
 * that no longer run. Never touches a rule we did not record. --offline does not ask
 * libvirt (see vfw_reassert_recorded()): what the boot-time unit runs.
 */
gboolean
vfw_cli_sync(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings, GError **error)
{
    gboolean dry_run = argc == 2 && strcmp(argv[1], "--dry-run") == 0;
    gboolean offline = argc == 2 && strcmp(argv[1], "--offline") == 0;
    g_autoptr(Survey) sv = NULL;
    g_autoptr(GHashTable) settled = NULL;
    guint failed = 0;
    guint removed = 0;

    if (argc > 2 || (argc == 2 && !dry_run && !offline)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE, "sync: expected [--dry-run|--offline]");
        return FALSE;
    }
    if (offline) {
        g_autoptr(VfwConfig) config = vfw_config_load(ctx->confdir, NULL);
        guint applied = 0;
        if (!vfw_reassert_recorded(ctx, config ? config->dbus_timeout_ms : 5000, &applied, &removed,
                                   warnings, error))
            return FALSE;
        g_print("sync: %u recorded guests re-asserted, %u stopped guests cleaned up\n", applied,
                removed);
        return TRUE;
    }
    sv = survey_new(ctx, error);
    if (!sv)
        return FALSE;
    if (dry_run) {
        print_dry_run(sv);
        return TRUE;
    }
    if (!firewalld_up(ctx, sv->config, error))
        return FALSE;
    settled = settled_guests(ctx, sv);
    for (guint i = 0; i < sv->domains->len; i++) {
        const VfwDomain *d = g_ptr_array_index(sv->domains, i);
        const VfwPlan *plan = g_ptr_array_index(sv->plans, i);
        g_autoptr(GError) local_error = NULL;

        progress(i, sv->domains->len);
        for (guint w = 0; plan && w < plan->warnings->len; w++)
            g_ptr_array_add(warnings, g_strdup(g_ptr_array_index(plan->warnings, w)));
        if (g_hash_table_contains(settled, d->uuid))
            continue;
        if (!plan) {
            g_ptr_array_add(warnings, g_strdup(g_ptr_array_index(sv->plan_errors, i)));
            failed++;
        } else if (!vfw_apply_guest(ctx, sv->config, d, plan, warnings, &local_error)) {
            g_ptr_array_add(warnings, g_strdup(local_error->message));
            failed++;
        }
    }
    progress(sv->domains->len, sv->domains->len);
    for (guint i = 0; i < sv->recorded->len; i++) {
        const VfwGuestState *gs = g_ptr_array_index(sv->recorded, i);
        g_autoptr(GError) local_error = NULL;
        if (is_running(sv, gs->uuid))
            continue;
        if (!vfw_remove_guest(ctx, gs->uuid, gs->name, sv->config->dbus_timeout_ms, warnings,
                              &local_error)) {
            g_ptr_array_add(warnings, g_strdup(local_error->message));
            failed++;
        } else {
            removed++;
        }
    }
    failed += sync_networks(ctx, sv, warnings);
    g_print("sync: %u running guests, %u stopped guests cleaned up\n", sv->domains->len, removed);
    if (failed) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD,
                    "sync: %u problems (see the warnings above)", failed);
        return FALSE;
    }
    return TRUE;
}

/* ---- status ---------------------------------------------------------------------- */

typedef struct {
    const char *guest;
    const char *uuid;
    const VfwRule *rule;
    gboolean runtime;
    gboolean permanent;
    const char *state; /* "ok", "missing", "stale: guest not running" */
} StatusRow;

static char *
json_string(const char *s)
{
    GString *out = g_string_new("\"");

    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(out, "\\%c", *p);
        else if (*p < 0x20)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
    return g_string_free(out, FALSE);
}

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
add_rows(GArray *rows, const char *guest, const char *uuid, GPtrArray *rules, const LiveRules *live,
         gboolean running)
{
    for (guint r = 0; r < rules->len; r++) {
        const VfwRule *rule = g_ptr_array_index(rules, r);
        StatusRow row = { .guest = guest, .uuid = uuid, .rule = rule };
        row.runtime = g_hash_table_contains(live->sets[0], rule->rich_rule) &&
                      g_hash_table_contains(live->sets[2], rule->rich_rule);
        row.permanent = g_hash_table_contains(live->sets[1], rule->rich_rule) &&
                        g_hash_table_contains(live->sets[3], rule->rich_rule);
        if (!running)
            row.state = "stale: guest not running";
        else
            row.state = row.runtime && row.permanent ? "ok" : "missing";
        g_array_append_val(rows, row);
    }
}

/* Rules a running guest publishes from DHCP leases (`watch` keeps them in its record). */
static void
add_lease_rows(GArray *rows, const Survey *sv, const VfwDomain *d, const LiveRules *live)
{
    for (guint i = 0; i < sv->recorded->len; i++) {
        const VfwGuestState *gs = g_ptr_array_index(sv->recorded, i);
        g_autoptr(GPtrArray) from_lease = NULL;

        if (strcmp(gs->uuid, d->uuid) != 0)
            continue;
        from_lease = g_ptr_array_new();
        for (guint r = 0; r < gs->rules->len; r++) {
            VfwRule *rule = g_ptr_array_index(gs->rules, r);
            if (rule->origin && g_str_has_prefix(rule->origin, "lease "))
                g_ptr_array_add(from_lease, rule);
        }
        add_rows(rows, d->name, d->uuid, from_lease, live, TRUE);
    }
}

static gboolean
wanted(char **names, const char *guest)
{
    return !names[0] || g_strv_contains((const char *const *)names, guest);
}

static void
print_status_text(GArray *rows, const Survey *sv, GPtrArray *bridges)
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
}

static void
print_status_json(GArray *rows, GPtrArray *bridges)
{
    g_print("{\"version\": 1, \"forwards\": [");
    for (guint i = 0; i < rows->len; i++) {
        const StatusRow *row = &g_array_index(rows, StatusRow, i);
        g_autofree char *guest = json_string(row->guest);
        g_autofree char *host = host_side(row->rule);
        g_autofree char *dest = guest_side(row->rule);
        g_autofree char *rule = json_string(row->rule->rich_rule);
        g_print("%s\n  {\"guest\": %s, \"uuid\": \"%s\", \"protocol\": \"%s\", "
                "\"family\": \"%s\", \"host\": \"%s\", \"guest_address\": \"%s\", "
                "\"policy\": \"%s\", \"runtime\": %s, \"permanent\": %s, \"state\": \"%s\", "
                "\"rich_rule\": %s}",
                i ? "," : "", guest, row->uuid, vfw_proto_to_string(row->rule->spec.proto),
                row->rule->family == G_SOCKET_FAMILY_IPV6 ? "ipv6" : "ipv4", host, dest,
                VFW_POLICY_FORWARD, row->runtime ? "true" : "false",
                row->permanent ? "true" : "false", row->state, rule);
    }
    g_print("\n], \"bridges\": [");
    for (guint i = 0; i < bridges->len; i += 4) {
        g_autofree char *net = json_string(bridges->pdata[i]);
        g_print("%s\n  {\"network\": %s, \"mode\": \"%s\", \"bridge\": \"%s\", \"zone\": \"%s\"}",
                i ? "," : "", net, (char *)bridges->pdata[i + 1], (char *)bridges->pdata[i + 2],
                (char *)bridges->pdata[i + 3]);
    }
    g_print("\n]}\n");
}

/* network, mode, bridge, runtime zone: four strings per active network with a bridge. */
static GPtrArray *
bridge_rows(const VfwContext *ctx, const Survey *sv)
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
vfw_cli_status(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(Survey) sv = NULL;
    g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(StatusRow));
    g_autoptr(GPtrArray) bridges = NULL;
    g_auto(LiveRules) live = { { NULL } };
    gboolean json = FALSE;
    guint bad = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = TRUE;
        else
            g_ptr_array_add(names, argv[i]);
    }
    g_ptr_array_add(names, NULL);
    sv = survey_new(ctx, error);
    if (!sv || !live_rules_load(ctx, sv->config, &live, error))
        return FALSE;
    for (guint i = 0; i < sv->domains->len; i++) {
        const VfwDomain *d = g_ptr_array_index(sv->domains, i);
        const VfwPlan *plan = g_ptr_array_index(sv->plans, i);
        if (!wanted((char **)names->pdata, d->name))
            continue;
        if (plan) {
            add_rows(rows, d->name, d->uuid, plan->rules, &live, TRUE);
            add_lease_rows(rows, sv, d, &live);
        } else
            g_ptr_array_add(warnings, g_strdup(g_ptr_array_index(sv->plan_errors, i)));
        bad += plan ? 0 : 1;
    }
    for (guint i = 0; i < sv->recorded->len; i++) {
        const VfwGuestState *gs = g_ptr_array_index(sv->recorded, i);
        if (!is_running(sv, gs->uuid) && wanted((char **)names->pdata, gs->name))
            add_rows(rows, gs->name, gs->uuid, gs->rules, &live, FALSE);
    }
    bridges = bridge_rows(ctx, sv);
    if (json)
        print_status_json(rows, bridges);
    else
        print_status_text(rows, sv, bridges);
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
