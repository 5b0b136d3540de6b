/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The survey the sync and status verbs share: running guests and active networks from
 * libvirt, our records, the plans, and the rules live in firewalld.
 */
#include "survey.h"

#include <string.h>

#include "firewalld.h"
#include "state.h"
#include "vfw-error.h"
#include "virt.h"

/**
 * vfw_survey_free:
 * Frees @sv; NULL-safe.
 */
void
vfw_survey_free(VfwSurvey *sv)
{
    if (!sv)
        return;
    vfw_config_free(sv->config);
    g_clear_pointer(&sv->domains, g_ptr_array_unref);
    g_clear_pointer(&sv->networks, g_hash_table_unref);
    g_clear_pointer(&sv->plans, g_ptr_array_unref);
    g_clear_pointer(&sv->plan_errors, g_ptr_array_unref);
    g_clear_pointer(&sv->recorded, g_ptr_array_unref);
    g_clear_pointer(&sv->unreadable, g_hash_table_unref);
    g_free(sv);
}

/**
 * vfw_survey_is_running:
 * TRUE when guest @uuid runs, as libvirt said (also when its live XML did not parse).
 */
gboolean
vfw_survey_is_running(const VfwSurvey *sv, const char *uuid)
{
    if (g_hash_table_contains(sv->unreadable, uuid))
        return TRUE;
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
        !(ledger = vfw_state_list_ledger(state, list, error)))
        return NULL;
    g_ptr_array_extend_and_steal(list, g_steal_pointer(&ledger));
    return g_steal_pointer(&list);
}

/**
 * vfw_survey_new:
 * Asks libvirt (read-only) what runs, loads the configuration and our records, and plans
 * every running guest.
 */
VfwSurvey *
vfw_survey_new(const VfwContext *ctx, GError **error)
{
    g_autoptr(VfwSurvey) sv = g_new0(VfwSurvey, 1);
    g_autoptr(virConnect) conn = vfw_virt_connect(NULL, TRUE, error);

    if (!conn)
        return NULL;
    sv->config = vfw_config_load(ctx->confdir, error);
    sv->unreadable = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (!sv->config || !(sv->domains = vfw_virt_running_domains(conn, sv->unreadable, error)) ||
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

/**
 * vfw_live_rules_clear:
 * Frees the sets of @live.
 */
void
vfw_live_rules_clear(VfwLiveRules *live)
{
    for (guint i = 0; i < VFW_PLACES; i++)
        g_clear_pointer(&live->sets[i], g_hash_table_unref);
}

/**
 * vfw_live_rules_load:
 * Reads the entries of our forward policies, runtime and permanent, from firewalld.
 */
gboolean
vfw_live_rules_load(const VfwContext *ctx, const VfwConfig *config, VfwLiveRules *live,
                    GError **error)
{
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(ctx->bus, config->dbus_timeout_ms, error);

    if (!fw)
        return FALSE;
    for (guint i = 0; i < VFW_PLACES; i++) {
        g_auto(GStrv) rules = NULL;
        g_autoptr(GError) local_error = NULL;

        live->sets[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        if (vfw_firewalld_policy_get_rules(fw, vfw_place_policy(i), vfw_place_is_permanent(i),
                                           &rules, &local_error)) {
            for (guint r = 0; rules[r]; r++)
                g_hash_table_add(live->sets[i], g_strdup(rules[r]));
        } else if (!g_error_matches(local_error, VFW_ERROR, VFW_ERROR_FIREWALLD) ||
                   !strstr(local_error->message, "INVALID_POLICY")) {
            g_propagate_error(error, g_steal_pointer(&local_error));
            return FALSE;
        }
        /* a policy firewalld has not loaded holds nothing: its forwards show as missing */
    }
    return TRUE;
}

/**
 * vfw_live_rules_has:
 * TRUE when published item @item is in every runtime (or, with @permanent, permanent) place
 * it lives in.
 */
gboolean
vfw_live_rules_has(const VfwLiveRules *live, const char *item, gboolean permanent)
{
    for (guint i = 0; i < VFW_PLACES; i++) {
        const char *entry = vfw_item_in_place(item, i);
        if (entry && vfw_place_is_permanent(i) == permanent &&
            !g_hash_table_contains(live->sets[i], entry))
            return FALSE;
    }
    return TRUE;
}
