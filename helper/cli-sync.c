/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virt-firewalld sync [--dry-run|--offline]`: the running guests and networks (from
 * libvirt) against our records and firewalld, made to agree.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "firewalld.h"
#include "hostaddr.h"
#include "netzone.h"
#include "state.h"
#include "survey.h"
#include "vfw-error.h"

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
print_dry_run(const VfwSurvey *sv)
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
        for (guint r = 0; !vfw_survey_is_running(sv, gs->uuid) && r < gs->rules->len; r++)
            g_print("remove %s: %s\n", gs->name,
                    ((VfwRule *)g_ptr_array_index(gs->rules, r))->rich_rule);
    }
}

static guint
sync_networks(const VfwContext *ctx, const VfwSurvey *sv, GPtrArray *warnings)
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

/* TRUE when every rule of @rules is live in every place it lives in. */
static gboolean
all_live(GPtrArray *rules, const VfwLiveRules *live)
{
    for (guint r = 0; r < rules->len; r++) {
        const char *item = ((const VfwRule *)g_ptr_array_index(rules, r))->rich_rule;
        if (!vfw_live_rules_has(live, item, FALSE) || !vfw_live_rules_has(live, item, TRUE))
            return FALSE;
    }
    return TRUE;
}

/* The UUIDs (borrowed from @sv) of running guests with nothing to do: their record lists
 * exactly their plan's rules, is neither pending nor stopped, and every rule is live in
 * every place it lives in. One read of each place for all guests, instead of some per guest in
 * vfw_apply_guest(). Guests following DHCP leases are left to vfw_apply_guest(). Empty
 * when firewalld or the state directory cannot tell. */
static GHashTable *
settled_guests(const VfwContext *ctx, const VfwSurvey *sv)
{
    GHashTable *settled = g_hash_table_new(g_str_hash, g_str_equal);
    g_auto(VfwLiveRules) live = { { NULL } };
    g_autoptr(VfwState) state = NULL;

    if (!vfw_live_rules_load(ctx, sv->config, &live, NULL) ||
        !(state = vfw_state_open(ctx->statedir, ctx->lock_timeout_ms, NULL)))
        return settled;
    for (guint i = 0; i < sv->domains->len; i++) {
        const VfwDomain *d = g_ptr_array_index(sv->domains, i);
        const VfwPlan *plan = g_ptr_array_index(sv->plans, i);
        g_autoptr(VfwGuestState) gs = NULL;

        if (!plan || plan->leases->len > 0 || !vfw_state_load_guest(state, d->uuid, &gs, NULL) ||
            !gs || gs->pending || gs->stopped || gs->leases->len > 0)
            continue;
        if (vfw_rules_same_text(gs->rules, plan->rules) && all_live(plan->rules, &live))
            g_hash_table_add(settled, d->uuid);
    }
    return settled;
}

/* Running guests whose live XML did not parse: an error each, and nothing touched. */
static guint
report_unreadable(const VfwSurvey *sv, GPtrArray *warnings)
{
    GHashTableIter iter;
    gpointer message;

    g_hash_table_iter_init(&iter, sv->unreadable);
    while (g_hash_table_iter_next(&iter, NULL, &message))
        g_ptr_array_add(warnings, g_strdup(message));
    return g_hash_table_size(sv->unreadable);
}

/**
 * vfw_cli_sync:
 * `sync [--dry-run|--offline]`: publishes what running guests declare (runtime and
 * permanent), binds open networks' bridges, and removes the rules we recorded for guests
 * that no longer run. Never touches a rule we did not record. --offline does not ask
 * libvirt (see vfw_reassert_recorded()): what the boot-time unit runs.
 */
gboolean
vfw_cli_sync(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings, GError **error)
{
    gboolean dry_run = args->dry_run;
    gboolean offline = args->offline;
    g_autoptr(VfwSurvey) sv = NULL;
    g_autoptr(GHashTable) settled = NULL;
    guint failed = 0;
    guint removed = 0;

    if (dry_run && offline) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE,
                    "sync: --dry-run and --offline do not go together");
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
    sv = vfw_survey_new(ctx, error);
    if (!sv)
        return FALSE;
    if (dry_run) {
        print_dry_run(sv);
        return TRUE;
    }
    if (!firewalld_up(ctx, sv->config, error))
        return FALSE;
    if (!vfw_host_sets_update(ctx, sv->config->dbus_timeout_ms, NULL, warnings))
        failed++;
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
    failed += report_unreadable(sv, warnings);
    for (guint i = 0; i < sv->recorded->len; i++) {
        const VfwGuestState *gs = g_ptr_array_index(sv->recorded, i);
        g_autoptr(GError) local_error = NULL;
        if (vfw_survey_is_running(sv, gs->uuid))
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
