/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's hooks. libvirtd runs every executable in hooks/qemu.d and hooks/network.d as
 *   qemu.d/X    DOMAIN OPERATION SUB-OPERATION EXTRA   (stdin: the full domain XML)
 *   network.d/X NETWORK OPERATION SUB-OPERATION EXTRA  (stdin: <hookData><network>...)
 * with a scrubbed environment, and waits for it. So a hook never calls back into libvirt
 * (deadlock), reads network facts from libvirt's status files or our cache, and never
 * writes to stdout (for migrate/restore libvirt takes stdout as the new domain XML).
 */
#include "vfw-build-config.h"

#include "hook.h"

#include <string.h>

#include "config.h"
#include "hostaddr.h"
#include "netzone.h"
#include "state.h"
#include "vfw-error.h"
#include "xml.h"

#define DEFAULT_LOCK_TIMEOUT_MS 30000

/**
 * vfw_context_init:
 * Fills @ctx with the built-in paths.
 */
void
vfw_context_init(VfwContext *ctx)
{
    ctx->confdir = VFW_CONFDIR;
    ctx->statedir = VFW_STATEDIR;
    ctx->ledgerdir = VFW_LEDGERDIR;
    ctx->dnsmasq_dir = VFW_DNSMASQ_DIR;
    ctx->libvirt_rundir = VFW_LIBVIRT_RUNDIR;
    ctx->bus = NULL;
    ctx->lock_timeout_ms = DEFAULT_LOCK_TIMEOUT_MS;
}

/**
 * vfw_context_open_state:
 * Opens the state directory with its lock, and the persistent ledger when configured.
 */
VfwState *
vfw_context_open_state(const VfwContext *ctx, GError **error)
{
    g_autoptr(VfwState) state = vfw_state_open(ctx->statedir, ctx->lock_timeout_ms, error);

    if (!state || (ctx->ledgerdir && !vfw_state_open_ledger(state, ctx->ledgerdir, error)))
        return NULL;
    return g_steal_pointer(&state);
}

/**
 * vfw_load_network:
 * A network's definition: libvirt's own status file first (always current while the
 * network runs), else what our network hook cached. @state: the caller's open state
 * directory when it holds the lock already (NULL: opened here).
 */
VfwNetwork *
vfw_load_network(const VfwContext *ctx, VfwState *state, const char *name, GError **error)
{
    g_autofree char *file = g_strdup_printf("%s.xml", name);
    g_autofree char *status = g_build_filename(ctx->libvirt_rundir, "network", file, NULL);
    g_autoptr(VfwState) own = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;

    if (strchr(name, '/') || name[0] == '.') {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "network '%s': odd name", name);
        return NULL;
    }
    if (g_file_test(status, G_FILE_TEST_IS_REGULAR))
        return vfw_network_load(status, error);
    if (!state && !(state = own = vfw_state_open(ctx->statedir, ctx->lock_timeout_ms, error)))
        return NULL;
    data = vfw_state_load_file(state, "networks", file, &len, error);
    if (!data) {
        if (error && !*error)
            g_set_error(error, VFW_ERROR, VFW_ERROR_XML,
                        "network '%s': neither %s nor a cached definition exists", name, status);
        return NULL;
    }
    return vfw_network_parse(data, len, error);
}

/**
 * vfw_load_guest_networks:
 * name -> VfwNetwork for every libvirt network the guest has a NIC on. Networks whose
 * definition cannot be read are left out with a warning (the plan then reports them).
 */
GHashTable *
vfw_load_guest_networks(const VfwContext *ctx, const VfwDomain *domain, GPtrArray *warnings)
{
    GHashTable *networks =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)vfw_network_free);

    for (guint i = 0; i < domain->interfaces->len; i++) {
        const VfwInterface *iface = g_ptr_array_index(domain->interfaces, i);
        g_autoptr(GError) local_error = NULL;
        VfwNetwork *net;

        if (!iface->network || g_hash_table_contains(networks, iface->network))
            continue;
        net = vfw_load_network(ctx, NULL, iface->network, &local_error);
        if (net)
            g_hash_table_insert(networks, g_strdup(iface->network), net);
        else
            g_ptr_array_add(warnings,
                            g_strdup_printf("guest '%s': %s", domain->name, local_error->message));
    }
    return networks;
}

/* The plan's own lookup (vfw_config_lookup_guest: UUIDs in either case); a group that is
 * ambiguous counts, for the plan to report. */
static gboolean
has_any_forward(const VfwConfig *config, const VfwDomain *domain)
{
    g_autoptr(GError) ambiguous = NULL;

    return domain->meta_forwards->len > 0 ||
           vfw_config_lookup_guest(config, domain->name, domain->uuid, &ambiguous) || ambiguous;
}

/* prepare/start/reconnect/attach: make firewalld match what the guest declares. */
static gboolean
hook_apply(const VfwContext *ctx, const VfwDomain *domain, const char *op, gboolean strict,
           GPtrArray *warnings, GError **error)
{
    g_autoptr(VfwConfig) config = NULL;
    g_autoptr(GHashTable) networks = NULL;
    g_autoptr(VfwPlan) plan = NULL;
    g_autoptr(VfwState) probe = NULL;
    g_autoptr(GError) local_error = NULL;

    config = vfw_config_load_for_guest(ctx->confdir, domain->name, domain->uuid, &local_error);
    if (config && !has_any_forward(config, domain)) {
        /* Nothing declared: only a record left by an earlier run can need work. */
        g_autoptr(VfwGuestState) old = NULL;
        probe = vfw_state_open(ctx->statedir, ctx->lock_timeout_ms, &local_error);
        if (probe && vfw_state_load_guest(probe, domain->uuid, &old, &local_error) && !old)
            return TRUE;
        g_clear_pointer(&probe, vfw_state_close);
    }
    if (config && !local_error) {
        networks = vfw_load_guest_networks(ctx, domain, warnings);
        plan = vfw_plan_for_domain(config, domain, networks, &local_error);
    }
    if (plan) {
        /* 'start' follows 'prepare' within milliseconds: nothing to redo if it applied. */
        if (strcmp(op, "start") == 0 && vfw_guest_record_matches(ctx, domain, plan))
            return TRUE;
        for (guint i = 0; i < plan->warnings->len; i++)
            g_ptr_array_add(warnings, g_strdup(g_ptr_array_index(plan->warnings, i)));
        if (vfw_apply_guest(ctx, config, domain, plan, warnings, &local_error))
            return TRUE;
    }
    if (strict && (!config || config->on_error == VFW_ON_ERROR_FAIL)) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    g_ptr_array_add(warnings, g_strdup_printf("%s, ignoring", local_error->message));
    return TRUE;
}

static guint
dbus_timeout(const VfwContext *ctx)
{
    /* the main file's setting: of the drop-ins no guest group is parsed */
    g_autoptr(VfwConfig) config = vfw_config_load_for_guest(ctx->confdir, NULL, NULL, NULL);

    return config ? config->dbus_timeout_ms : 5000;
}

/**
 * vfw_hook_qemu:
 * The qemu hook: @args are libvirt's arguments (DOMAIN OP SUBOP EXTRA), @in_fd its stdin.
 * Returns FALSE only when the guest must not start (prepare/start with a configuration
 * error or a port conflict and on-error=fail); everything else becomes @warnings.
 */
gboolean
vfw_hook_qemu(const VfwContext *ctx, const char *const *args, int in_fd, GPtrArray *warnings,
              GError **error)
{
    g_autoptr(VfwDomain) domain = NULL;
    g_autoptr(GError) local_error = NULL;
    g_autofree char *xml = NULL;
    const char *op;
    gboolean apply;
    gboolean strict;
    gsize len = 0;

    if (!args[0] || !args[1]) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE, "qemu hook: expected DOMAIN OPERATION");
        return FALSE;
    }
    op = args[1];
    strict = strcmp(op, "prepare") == 0 || strcmp(op, "start") == 0;
    apply = strict || strcmp(op, "reconnect") == 0 || strcmp(op, "attach") == 0;
    if (!apply && strcmp(op, "stopped") != 0 && strcmp(op, "release") != 0)
        return TRUE; /* started, migrate, restore, unknown: nothing to do, nothing on stdout */

    xml = vfw_xml_read_stream(in_fd, &len, &local_error);
    if (xml)
        domain = vfw_domain_parse(xml, len, &local_error);
    if (!domain) {
        if (!g_str_has_prefix(local_error->message, "guest '"))
            g_prefix_error(&local_error, "guest '%s': ", args[0]);
        if (strict) {
            g_propagate_error(error, g_steal_pointer(&local_error));
            return FALSE;
        }
        g_ptr_array_add(warnings, g_strdup_printf("%s, ignoring", local_error->message));
        return TRUE;
    }
    if (apply)
        return hook_apply(ctx, domain, op, strict, warnings, error);
    if (!vfw_remove_guest(ctx, domain->uuid, domain->name, dbus_timeout(ctx), warnings,
                          &local_error))
        g_ptr_array_add(warnings, g_strdup_printf("%s, ignoring", local_error->message));
    return TRUE;
}

static gboolean
cache_network(const VfwContext *ctx, const VfwNetwork *network, const char *xml, gsize len,
              gboolean drop, GError **error)
{
    g_autofree char *file = g_strdup_printf("%s.xml", network->name);
    g_autoptr(VfwState) state = vfw_state_open(ctx->statedir, ctx->lock_timeout_ms, error);

    if (!state)
        return FALSE;
    if (drop)
        return vfw_state_remove_file(state, "networks", file, error);
    return vfw_state_save_file(state, "networks", file, xml, len, error);
}

/**
 * vfw_hook_network:
 * The network hook: caches the definition libvirt passes (the qemu hook resolves guest
 * addresses from it), puts the bridges libvirt leaves in no zone into theirs once they
 * exist (started), and undoes both on stopped. Only 'start' can fail, and only on input
 * that is not a network: a firewalld problem never stops a network.
 */
gboolean
vfw_hook_network(const VfwContext *ctx, const char *const *args, int in_fd, GPtrArray *warnings,
                 GError **error)
{
    g_autoptr(VfwNetwork) network = NULL;
    g_autoptr(VfwConfig) config = NULL;
    g_autoptr(GError) local_error = NULL;
    g_autofree char *xml = NULL;
    const char *op;
    gboolean stopped;
    gsize len = 0;

    if (!args[0] || !args[1]) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE, "network hook: expected NETWORK OPERATION");
        return FALSE;
    }
    op = args[1];
    stopped = strcmp(op, "stopped") == 0;
    if (strcmp(op, "start") != 0 && strcmp(op, "started") != 0 && strcmp(op, "updated") != 0 &&
        !stopped)
        return TRUE; /* port-created, port-deleted, unknown */
    xml = vfw_xml_read_stream(in_fd, &len, error);
    if (!xml || !(network = vfw_network_parse(xml, len, error))) {
        g_prefix_error(error, "network '%s': ", args[0]);
        return FALSE;
    }
    if (strchr(network->name, '/') || network->name[0] == '.') {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML, "network '%s': odd name", network->name);
        return FALSE;
    }
    if (!cache_network(ctx, network, xml, len, stopped, error))
        return FALSE;
    if (stopped) {
        if (!vfw_network_unbind(ctx, network->name, dbus_timeout(ctx), warnings, &local_error))
            g_ptr_array_add(warnings, g_strdup_printf("%s, ignoring", local_error->message));
        /* the bridge's addresses are gone: published ports no longer answer there */
        vfw_host_sets_update(ctx, dbus_timeout(ctx), NULL, warnings);
        return TRUE;
    }
    if (strcmp(op, "started") != 0)
        return TRUE; /* the bridge does not exist before 'started' */
    config = vfw_config_load_for_guest(ctx->confdir, NULL, NULL, &local_error);
    if (!config || !vfw_network_bind(ctx, config, network, warnings, &local_error))
        g_ptr_array_add(warnings, g_strdup_printf("network '%s': %s, ignoring", network->name,
                                                  local_error->message));
    /* the bridge's addresses are the host's too: guests reach published ports there */
    vfw_host_sets_update(ctx, dbus_timeout(ctx), NULL, warnings);
    return TRUE;
}
