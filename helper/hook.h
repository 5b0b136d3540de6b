/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "config.h"
#include "domain.h"
#include "network.h"
#include "plan.h"

/* Where things are; the defaults come from meson, tests and the CLI may override them. */
typedef struct {
    const char *confdir;
    const char *statedir;
    const char *ledgerdir;   /* persistent mirror of guest records; NULL: none */
    const char *dnsmasq_dir; /* libvirt's lease status files (BRIDGE.status) */
    const char *libvirt_rundir;
    GDBusConnection *bus; /* NULL: the system bus */
    guint lock_timeout_ms;
} VfwContext;

void vfw_context_init(VfwContext *ctx);
struct VfwState *vfw_context_open_state(const VfwContext *ctx, GError **error);

gboolean vfw_hook_qemu(const VfwContext *ctx, const char *const *args, int in_fd,
                       GPtrArray *warnings, GError **error);
gboolean vfw_hook_network(const VfwContext *ctx, const char *const *args, int in_fd,
                          GPtrArray *warnings, GError **error);

VfwNetwork *vfw_load_network(const VfwContext *ctx, struct VfwState *state, const char *name,
                             GError **error);
GHashTable *vfw_load_guest_networks(const VfwContext *ctx, const VfwDomain *domain,
                                    GPtrArray *warnings);
gboolean vfw_apply_guest(const VfwContext *ctx, const VfwConfig *config, const VfwDomain *domain,
                         const VfwPlan *plan, GPtrArray *warnings, GError **error);
gboolean vfw_reassert_recorded(const VfwContext *ctx, guint timeout_ms, guint *applied,
                               guint *removed, GPtrArray *warnings, GError **error);
gboolean vfw_guest_record_matches(const VfwContext *ctx, const VfwDomain *domain,
                                  const VfwPlan *plan);
gboolean vfw_remove_guest(const VfwContext *ctx, const char *uuid, const char *name,
                          guint timeout_ms, GPtrArray *warnings, GError **error);
