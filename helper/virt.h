/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "domain.h"
#include "network.h"

/* The libvirt client: used only by verbs that never run inside a hook (a hook calling
 * back into libvirtd, which is waiting for it, deadlocks). */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virNetwork, virNetworkFree)

virConnectPtr vfw_virt_connect(const char *uri, gboolean read_only, GError **error);
GPtrArray *vfw_virt_running_domains(virConnectPtr conn, GHashTable *unreadable, GError **error);
GPtrArray *vfw_virt_inactive_domains(virConnectPtr conn, GError **error);
GHashTable *vfw_virt_active_networks(virConnectPtr conn, GError **error);
VfwDomain *vfw_virt_domain(virDomainPtr dom, gboolean inactive, GError **error);
void vfw_virt_set_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
