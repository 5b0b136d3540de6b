/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt client helpers for the operator commands (sync, status, doctor, forward,
 * network convert). Errors carry libvirt's own last message.
 */
#include "virt.h"

#include <libvirt/virterror.h>

#include "vfw-error.h"

static void
quiet_libvirt(void *data, virErrorPtr err)
{
}

/**
 * vfw_virt_set_error:
 * Sets a VFW_ERROR_LIBVIRT error: the formatted context, then libvirt's last message.
 */
void
vfw_virt_set_error(GError **error, const char *fmt, ...)
{
    g_autofree char *what = NULL;
    const char *msg = virGetLastErrorMessage();
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VFW_ERROR, VFW_ERROR_LIBVIRT, "%s: %s", what,
                msg ? msg : "unknown libvirt error");
}

/**
 * vfw_virt_connect:
 * Connects to @uri (NULL: qemu:///system), read-only when @read_only.
 */
virConnectPtr
vfw_virt_connect(const char *uri, gboolean read_only, GError **error)
{
    virConnectPtr conn;

    virSetErrorFunc(NULL, quiet_libvirt);
    if (!uri)
        uri = "qemu:///system";
    conn = read_only ? virConnectOpenReadOnly(uri) : virConnectOpen(uri);
    if (!conn)
        vfw_virt_set_error(error, "cannot connect to libvirt at '%s'", uri);
    return conn;
}

/**
 * vfw_virt_domain:
 * The parsed XML (metadata included) of @dom: its live definition, or with @inactive its
 * persistent one.
 */
VfwDomain *
vfw_virt_domain(virDomainPtr dom, gboolean inactive, GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);

    if (!xml) {
        vfw_virt_set_error(error, "guest '%s'", virDomainGetName(dom));
        return NULL;
    }
    return vfw_domain_parse(xml, strlen(xml), error);
}

/* The guests virConnectListAllDomains() lists with @flags, each parsed from its live XML
 * (@inactive FALSE) or its persistent one. One whose XML does not parse is left out; when
 * it runs and @unreadable is given, it goes there (UUID -> message). */
static GPtrArray *
list_domains(virConnectPtr conn, unsigned int flags, gboolean inactive, GHashTable *unreadable,
             GError **error)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)vfw_domain_free);
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, flags);

    if (n < 0) {
        vfw_virt_set_error(error, "listing guests");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        g_autoptr(GError) local_error = NULL;
        VfwDomain *domain = vfw_virt_domain(doms[i], inactive, &local_error);
        char uuid[VIR_UUID_STRING_BUFLEN];

        /* A guest gone between list and dumpxml is simply not running any more. */
        if (domain)
            g_ptr_array_add(out, domain);
        else if (unreadable && virDomainIsActive(doms[i]) == 1 &&
                 virDomainGetUUIDString(doms[i], uuid) == 0)
            g_hash_table_replace(
                unreadable, g_ascii_strdown(uuid, -1),
                g_strdup_printf("guest '%s' runs, but its live XML cannot be read (%s): its "
                                "forwards are left as they are",
                                virDomainGetName(doms[i]), local_error->message));
        virDomainFree(doms[i]);
    }
    free(doms);
    return g_steal_pointer(&out);
}

/**
 * vfw_virt_running_domains:
 * Every running guest, parsed from its live XML. A guest that still runs but whose live
 * XML does not parse goes into @unreadable (UUID -> message; may be NULL), not away: it
 * has not stopped, and what we published for it must stay.
 */
GPtrArray *
vfw_virt_running_domains(virConnectPtr conn, GHashTable *unreadable, GError **error)
{
    return list_domains(conn, VIR_CONNECT_LIST_DOMAINS_ACTIVE, FALSE, unreadable, error);
}

/**
 * vfw_virt_inactive_domains:
 * Every defined guest that does not run, parsed from its persistent XML. One whose XML
 * does not parse is left out: nothing of ours is live for it.
 */
GPtrArray *
vfw_virt_inactive_domains(virConnectPtr conn, GError **error)
{
    return list_domains(conn, VIR_CONNECT_LIST_DOMAINS_INACTIVE, TRUE, NULL, error);
}

/**
 * vfw_virt_active_networks:
 * name -> VfwNetwork for every active libvirt network.
 */
GHashTable *
vfw_virt_active_networks(virConnectPtr conn, GError **error)
{
    g_autoptr(GHashTable) out =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)vfw_network_free);
    virNetworkPtr *nets = NULL;
    int n = virConnectListAllNetworks(conn, &nets, VIR_CONNECT_LIST_NETWORKS_ACTIVE);

    if (n < 0) {
        vfw_virt_set_error(error, "listing networks");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        g_autofree char *xml = virNetworkGetXMLDesc(nets[i], 0);
        VfwNetwork *net = xml ? vfw_network_parse(xml, strlen(xml), NULL) : NULL;
        if (net)
            g_hash_table_replace(out, g_strdup(net->name), net);
        virNetworkFree(nets[i]);
    }
    free(nets);
    return g_steal_pointer(&out);
}
