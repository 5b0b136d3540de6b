/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "caps.h"

/* Our shipped policies (policies/virtfw-*.xml). */
#define VFW_POLICY_FORWARD "virtfw-forward" /* ANY -> ANY: inbound published ports */
#define VFW_POLICY_HOST    "virtfw-host"    /* HOST -> ANY: the host reaching its own ports */
/* ANY / HOST -> virtfw-local (the zone of the host's own addresses): forwards without a
 * host address */
#define VFW_POLICY_PUB      "virtfw-pub"
#define VFW_POLICY_PUB_HOST "virtfw-pub-host"

/* Where published items live: see vfw_item_in_place(). */
#define VFW_PLACES 8
const char *vfw_place_policy(guint place);
gboolean vfw_place_is_permanent(guint place);
const char *vfw_item_in_place(const char *item, guint place);

typedef struct VfwFirewalld VfwFirewalld;

VfwFirewalld *vfw_firewalld_new(GDBusConnection *bus, guint timeout_ms, GError **error);
void vfw_firewalld_free(VfwFirewalld *fw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwFirewalld, vfw_firewalld_free)

char *vfw_firewalld_get_version(VfwFirewalld *fw, GError **error);
VfwFirewalldCaps *vfw_firewalld_probe(VfwFirewalld *fw, GError **error);
char *vfw_firewalld_get_property(VfwFirewalld *fw, gboolean config, const char *name,
                                 GError **error);
GStrv vfw_firewalld_active_policies(VfwFirewalld *fw, GError **error);
gboolean vfw_firewalld_policy_get_rules(VfwFirewalld *fw, const char *policy, gboolean permanent,
                                        GStrv *rules, GError **error);
gboolean vfw_firewalld_policy_edit(VfwFirewalld *fw, const char *policy, gboolean permanent,
                                   GPtrArray *add, GPtrArray *remove, GPtrArray *added,
                                   GPtrArray *removed, GError **error);
gboolean vfw_firewalld_edit_everywhere(VfwFirewalld *fw, GPtrArray *add, GPtrArray *remove,
                                       gboolean *undone, GError **error);
gboolean vfw_firewalld_zone_of_interface(VfwFirewalld *fw, const char *iface, gboolean permanent,
                                         char **zone, GError **error);
gboolean vfw_firewalld_bind_interface(VfwFirewalld *fw, const char *zone, const char *iface,
                                      gboolean permanent, GError **error);
gboolean vfw_firewalld_unbind_interface(VfwFirewalld *fw, const char *zone, const char *iface,
                                        gboolean permanent, GError **error);
gboolean vfw_firewalld_ipset_get_entries(VfwFirewalld *fw, const char *ipset, gboolean permanent,
                                         GStrv *entries, GError **error);
gboolean vfw_firewalld_ipset_set_entries(VfwFirewalld *fw, const char *ipset, gboolean permanent,
                                         const char *const *entries, gboolean prune,
                                         gboolean *changed, GError **error);
