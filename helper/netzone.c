/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Zone bindings for the bridges of networks whose firewall is firewalld's.
 *
 * libvirt 9.0 puts the bridges of nat/route/isolated networks into its 'libvirt' or
 * 'libvirt-routed' zone itself, and re-adds them after every firewalld reload; it leaves
 * 'open' networks (and host bridges behind 'bridge' networks) in no zone at all, so
 * firewalld treats their traffic with the default zone, or not at all. For those we bind
 * the bridge, at runtime (now) and permanently (a reload drops runtime bindings made by
 * a tool, and nobody re-adds ours), and record what we did in STATEDIR/networks/NAME.zone
 * so that stopping the network undoes exactly that. A bridge the admin bound permanently
 * to another zone is theirs: we leave it and say so.
 */
#include "netzone.h"

#include <string.h>

#include "firewalld.h"
#include "state.h"
#include "vfw-error.h"

/**
 * vfw_network_wanted_zone:
 * The zone virt-firewalld binds @network's bridge to, or NULL when the bridge is libvirt's
 * business (nat, route, isolated) or the network has no bridge of its own to bind.
 */
const char *
vfw_network_wanted_zone(const VfwConfig *config, const VfwNetwork *network)
{
    const char *configured = g_hash_table_lookup(config->network_zones, network->name);

    if (!network->bridge)
        return NULL;
    if (network->mode == VFW_NET_MODE_OPEN)
        return network->zone ? network->zone : configured ? configured : VFW_DEFAULT_ZONE;
    if (network->mode == VFW_NET_MODE_BRIDGE)
        return configured; /* a host bridge: only when the admin asks */
    return NULL;
}

static char *
record_name(const char *network)
{
    return g_strdup_printf("%s.zone", network);
}

static gboolean
save_record(VfwState *state, const char *network, const char *bridge, const char *zone,
            gboolean permanent_ours, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *name = record_name(network);
    g_autofree char *data = NULL;
    gsize len = 0;

    g_key_file_set_string(kf, "binding", "bridge", bridge);
    g_key_file_set_string(kf, "binding", "zone", zone);
    g_key_file_set_boolean(kf, "binding", "permanent", permanent_ours);
    data = g_key_file_to_data(kf, &len, NULL);
    return vfw_state_save_file(state, "networks", name, data, len, error);
}

/**
 * vfw_network_bind:
 * Puts the bridge of @network into its zone (see vfw_network_wanted_zone()), runtime and
 * permanent. firewalld absent: a warning; `virt-firewalld sync` binds it later.
 */
gboolean
vfw_network_bind(const VfwContext *ctx, const VfwConfig *config, const VfwNetwork *network,
                 GPtrArray *warnings, GError **error)
{
    const char *zone = vfw_network_wanted_zone(config, network);
    g_autoptr(VfwState) state = NULL;
    g_autoptr(VfwFirewalld) fw = NULL;
    g_autoptr(GError) fw_error = NULL;
    g_autofree char *permanent_zone = NULL;
    gboolean permanent_ours;

    if (!zone)
        return TRUE;
    state = vfw_state_open(ctx->statedir, ctx->lock_timeout_ms, error);
    if (!state)
        return FALSE;
    fw = vfw_firewalld_new(ctx->bus, config->dbus_timeout_ms, &fw_error);
    if (fw &&
        vfw_firewalld_zone_of_interface(fw, network->bridge, TRUE, &permanent_zone, &fw_error)) {
        if (*permanent_zone && strcmp(permanent_zone, zone) != 0) {
            g_ptr_array_add(warnings,
                            g_strdup_printf("network '%s': bridge '%s' is bound permanently "
                                            "to zone '%s', not '%s': leaving it there",
                                            network->name, network->bridge, permanent_zone, zone));
            return TRUE;
        }
        /* Bound already (by the admin, or by us before a crash): ours only if recorded. */
        permanent_ours = *permanent_zone == '\0';
        if (!permanent_ours) {
            g_autofree char *name = record_name(network->name);
            g_autofree char *old =
                vfw_state_load_file(state, "networks", name, &(gsize){ 0 }, NULL);
            permanent_ours = old && strstr(old, "permanent=true") != NULL;
        }
        if (!save_record(state, network->name, network->bridge, zone, permanent_ours, error))
            return FALSE;
        if (vfw_firewalld_bind_interface(fw, zone, network->bridge, FALSE, &fw_error) &&
            (!permanent_ours ||
             vfw_firewalld_bind_interface(fw, zone, network->bridge, TRUE, &fw_error)))
            return TRUE;
    }
    g_ptr_array_add(warnings,
                    g_strdup_printf("network '%s': bridge '%s' not put into zone "
                                    "'%s': %s",
                                    network->name, network->bridge, zone, fw_error->message));
    return TRUE;
}

/**
 * vfw_network_unbind:
 * Undoes what vfw_network_bind() recorded for network @name; nothing recorded, nothing
 * done. Keeps the record when firewalld cannot be reached.
 */
gboolean
vfw_network_unbind(const VfwContext *ctx, const char *name, guint timeout_ms, GPtrArray *warnings,
                   GError **error)
{
    g_autofree char *file = record_name(name);
    g_autoptr(VfwState) state = NULL;
    g_autoptr(VfwFirewalld) fw = NULL;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) fw_error = NULL;
    g_autofree char *data = NULL;
    g_autofree char *bridge = NULL;
    g_autofree char *zone = NULL;
    gsize len = 0;

    state = vfw_state_open(ctx->statedir, ctx->lock_timeout_ms, error);
    if (!state)
        return FALSE;
    data = vfw_state_load_file(state, "networks", file, &len, error);
    if (!data)
        return error == NULL || *error == NULL;
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, NULL) ||
        !(bridge = g_key_file_get_string(kf, "binding", "bridge", NULL)) ||
        !(zone = g_key_file_get_string(kf, "binding", "zone", NULL))) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "network '%s': unreadable record %s", name,
                    file);
        return FALSE;
    }
    fw = vfw_firewalld_new(ctx->bus, timeout_ms, &fw_error);
    if (fw && vfw_firewalld_unbind_interface(fw, zone, bridge, FALSE, &fw_error) &&
        (!g_key_file_get_boolean(kf, "binding", "permanent", NULL) ||
         vfw_firewalld_unbind_interface(fw, zone, bridge, TRUE, &fw_error)))
        return vfw_state_remove_file(state, "networks", file, error);
    g_ptr_array_add(warnings, g_strdup_printf("network '%s': bridge '%s' not taken out of "
                                              "zone '%s': %s",
                                              name, bridge, zone, fw_error->message));
    return TRUE;
}
