/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hook.h"

/* Our shipped zone (zones/virtfw.xml) for bridges whose firewall is firewalld's. */
#define VFW_DEFAULT_ZONE "virtfw"

const char *vfw_network_wanted_zone(const VfwConfig *config, const VfwNetwork *network);
gboolean vfw_network_bind(const VfwContext *ctx, const VfwConfig *config, const VfwNetwork *network,
                          GPtrArray *warnings, GError **error);
gboolean vfw_network_unbind(const VfwContext *ctx, const char *name, guint timeout_ms,
                            GPtrArray *warnings, GError **error);
