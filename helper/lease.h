/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hook.h"

GInetAddress *vfw_lease_lookup(const char *path, const char *mac, gint64 now);
gboolean vfw_leases_reconcile(const VfwContext *ctx, guint timeout_ms, guint *changed,
                              GError **error);
