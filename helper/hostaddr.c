/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's own addresses, as firewalld's ipsets virtfw-local (IPv4) and virtfw-local6
 * (IPv6): forwards without a host address match connections to these addresses only.
 * Every run that changes forwards, sync, the network hook and `watch` (on every address
 * change) bring the sets up to date, runtime and permanent, so that they are right again
 * after a reload, a restart or a reboot. The caller holds the host-wide lock.
 */
#include "hostaddr.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "hook.h"
#include "plan.h"
#include "state.h"
#include "vfw-error.h"

const VfwHostSet vfw_host_sets[2] = {
    { VFW_IPSET_LOCAL, G_SOCKET_FAMILY_IPV4 },
    { VFW_IPSET_LOCAL6, G_SOCKET_FAMILY_IPV6 },
};

/**
 * vfw_host_set_holds:
 * TRUE when @have (a set's entries) are exactly the addresses @want (no duplicates in
 * either, as vfw_host_addresses() and firewalld give them).
 */
gboolean
vfw_host_set_holds(const char *const *have, const char *const *want)
{
    if (g_strv_length((char **)have) != g_strv_length((char **)want))
        return FALSE;
    for (guint i = 0; want[i]; i++) {
        if (!g_strv_contains(have, want[i]))
            return FALSE;
    }
    return TRUE;
}

/**
 * vfw_host_address_is_listed:
 * TRUE for an address a published port should answer on: not loopback (DNAT to a guest
 * cannot come back through lo), not link-local (scoped to one link), not multicast.
 */
gboolean
vfw_host_address_is_listed(GInetAddress *addr)
{
    return !g_inet_address_get_is_loopback(addr) && !g_inet_address_get_is_link_local(addr) &&
           !g_inet_address_get_is_multicast(addr) && !g_inet_address_get_is_any(addr);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/**
 * vfw_host_addresses:
 * The addresses of @family on every interface of this host (network namespace), in
 * canonical text, sorted, without duplicates.
 */
GStrv
vfw_host_addresses(GSocketFamily family, GError **error)
{
    struct ifaddrs *list = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) out = g_ptr_array_new();

    if (getifaddrs(&list) < 0) {
        int saved = errno;
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "reading the host's addresses: %s",
                    g_strerror(saved));
        return NULL;
    }
    for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
        g_autoptr(GSocketAddress) sa = NULL;
        GInetAddress *addr;
        gsize len;

        if (!ifa->ifa_addr || (ifa->ifa_flags & IFF_LOOPBACK))
            continue;
        if (ifa->ifa_addr->sa_family != (family == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET))
            continue;
        len = family == G_SOCKET_FAMILY_IPV6 ? sizeof(struct sockaddr_in6)
                                             : sizeof(struct sockaddr_in);
        sa = g_socket_address_new_from_native(ifa->ifa_addr, len);
        if (!sa || !G_IS_INET_SOCKET_ADDRESS(sa))
            continue;
        addr = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa));
        if (!vfw_host_address_is_listed(addr))
            continue;
        char *text = g_inet_address_to_string(addr);
        if (g_hash_table_add(seen, text))
            g_ptr_array_add(out, g_strdup(text));
    }
    freeifaddrs(list);
    g_ptr_array_sort(out, compare_strings);
    g_ptr_array_add(out, NULL);
    return (GStrv)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/**
 * vfw_host_sets_refresh:
 * Brings both ipsets, runtime and permanent, to the host's current addresses; without
 * @prune it only adds (at boot, when firewalld starts before the network is up, the
 * addresses of the last boot are more likely right than none). @changed (nullable) is set
 * to TRUE when anything had to change.
 */
gboolean
vfw_host_sets_refresh(VfwFirewalld *fw, gboolean prune, gboolean *changed, GError **error)
{
    const VfwHostSet *sets = vfw_host_sets;

    for (guint i = 0; i < G_N_ELEMENTS(vfw_host_sets); i++) {
        g_auto(GStrv) addrs = vfw_host_addresses(sets[i].family, error);

        if (!addrs)
            return FALSE;
        /* runtime first: that is what answers now */
        for (int permanent = 0; permanent < 2; permanent++) {
            if (!vfw_firewalld_ipset_set_entries(fw, sets[i].ipset, permanent,
                                                 (const char *const *)addrs, prune, changed,
                                                 error)) {
                g_prefix_error(error, "the host address set '%s': ", sets[i].ipset);
                return FALSE;
            }
        }
    }
    return TRUE;
}

/**
 * vfw_host_sets_update:
 * vfw_host_sets_refresh() on its own connection, under the host-wide lock: for the network
 * hook (a bridge and its address came or went) and `watch`. Problems become @warnings; a
 * firewalld that does not run is none (the next run that contacts it sets the addresses).
 * Returns FALSE when the sets could not be brought up to date.
 */
gboolean
vfw_host_sets_update(const VfwContext *ctx, guint timeout_ms, gboolean *changed,
                     GPtrArray *warnings)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VfwState) state = vfw_context_open_state(ctx, &local_error);
    g_autoptr(VfwFirewalld) fw = NULL;

    if (state)
        fw = vfw_firewalld_new(ctx->bus, timeout_ms, &local_error);
    if (fw && vfw_host_sets_refresh(fw, TRUE, changed, &local_error))
        return TRUE;
    if (!g_error_matches(local_error, VFW_ERROR, VFW_ERROR_FIREWALLD_ABSENT))
        g_ptr_array_add(warnings, g_strdup(local_error->message));
    return FALSE;
}
