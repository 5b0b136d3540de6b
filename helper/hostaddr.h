/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "firewalld.h"
#include "hook.h"

/* The two host address sets, IPv4 then IPv6. */
typedef struct {
    const char *ipset;
    GSocketFamily family;
} VfwHostSet;
extern const VfwHostSet vfw_host_sets[2];

GStrv vfw_host_addresses(GSocketFamily family, GError **error);
gboolean vfw_host_set_holds(const char *const *have, const char *const *want);
gboolean vfw_host_address_is_listed(GInetAddress *addr);
gboolean vfw_host_sets_refresh(VfwFirewalld *fw, gboolean prune, gboolean *changed, GError **error);
gboolean vfw_host_sets_update(const VfwContext *ctx, guint timeout_ms, gboolean *changed,
                              GPtrArray *warnings);
