/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "firewalld.h"

#include "hook.h"

/* What libvirt says runs, what we recorded, and what we would publish: what the sync and
 * status verbs compare. CLI only (it asks libvirt). */
typedef struct {
    VfwConfig *config;
    GPtrArray *domains;     /* VfwDomain, running */
    GHashTable *networks;   /* name -> VfwNetwork, active */
    GPtrArray *plans;       /* VfwPlan or NULL, parallel to domains */
    GPtrArray *plan_errors; /* char* or NULL, parallel to domains */
    GPtrArray *recorded;    /* VfwGuestState: state directory and ledger */
    GHashTable *unreadable; /* UUID -> message: running guests whose live XML did not parse */
} VfwSurvey;

VfwSurvey *vfw_survey_new(const VfwContext *ctx, GError **error);
void vfw_survey_free(VfwSurvey *sv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwSurvey, vfw_survey_free)
gboolean vfw_survey_is_running(const VfwSurvey *sv, const char *uuid);

/* The rich rules live in firewalld, one set per place. */
typedef struct {
    GHashTable *sets[VFW_PLACES]; /* the entries of each place (vfw_place_policy()) */
} VfwLiveRules;

gboolean vfw_live_rules_has(const VfwLiveRules *live, const char *item, gboolean permanent);

gboolean vfw_live_rules_load(const VfwContext *ctx, const VfwConfig *config, VfwLiveRules *live,
                             GError **error);
void vfw_live_rules_clear(VfwLiveRules *live);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VfwLiveRules, vfw_live_rules_clear)
