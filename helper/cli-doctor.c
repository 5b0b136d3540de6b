/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virt-firewalld doctor`: versions, firewalld's state, every libvirt network's mode,
 * bridge and zone, and for every forward that running guests declare whether a packet
 * would get through, naming the exact blocker and its fix.
 */
#include "cli.h"

#include <string.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "vfw-build-config.h"

#include "firewalld.h"
#include "hostaddr.h"
#include "netzone.h"
#include "vfw-error.h"
#include "virt.h"

typedef struct {
    guint problems;
} Doctor;

static void
verdict(Doctor *doc, gboolean good, const char *what, const char *detail)
{
    g_print("  %-4s %s%s%s\n", good ? "ok" : "FAIL", what, detail ? ": " : "",
            detail ? detail : "");
    if (!good)
        doc->problems++;
}

static VfwFirewalld *
check_firewalld(const VfwContext *ctx, const VfwConfig *config, Doctor *doc)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VfwFirewalld) fw = vfw_firewalld_new(ctx->bus, config->dbus_timeout_ms, &local_error);
    g_autoptr(VfwFirewalldCaps) caps = fw ? vfw_firewalld_probe(fw, &local_error) : NULL;
    g_autofree char *state = NULL;
    const char *bug;

    g_print("firewalld:\n");
    if (!caps) {
        verdict(doc, FALSE, "firewalld", local_error->message);
        g_print("       fix: systemctl start firewalld\n");
        return NULL;
    }
    state = vfw_firewalld_get_property(fw, FALSE, "state", NULL);
    g_print("  version %s, state %s, backend %s\n", caps->version, state ? state : "?",
            caps->backend ? caps->backend : "?");
    verdict(doc, g_strcmp0(state, "RUNNING") == 0, "firewalld is running", state);
    if (caps->strict_forward_ports == VFW_SETTING_ABSENT)
        g_print("  info StrictForwardPorts: not in this firewalld (2.3 and later have it)\n");
    else
        g_print("  info StrictForwardPorts: %s%s\n",
                vfw_setting_to_string(caps->strict_forward_ports),
                caps->strict_forward_ports == VFW_SETTING_YES
                    ? " (DNAT only through forward-ports firewalld knows: ours are such "
                      "forward-ports and rich rules, so they pass)"
                    : "");
    if (caps->nftables_table_owner != VFW_SETTING_ABSENT)
        g_print("  info NftablesTableOwner: %s%s\n",
                vfw_setting_to_string(caps->nftables_table_owner),
                caps->nftables_table_owner == VFW_SETTING_YES
                    ? " (only firewalld changes its nftables table; virt-firewalld writes no "
                      "nft rule)"
                    : "");
    if ((bug = vfw_firewalld_caps_any_dispatch_bug(caps))) {
        verdict(doc, FALSE, "firewalld applies policies from 'ANY' to new interfaces", bug);
        g_print("       fix: upgrade firewalld to 2.0.2 or later\n");
    }
    return g_steal_pointer(&fw);
}

static void
check_policies(VfwFirewalld *fw, Doctor *doc)
{
    const char *ours[] = { VFW_POLICY_PUB, VFW_POLICY_PUB_HOST, VFW_POLICY_FORWARD, VFW_POLICY_HOST,
                           "virtfw-nat" };
    g_autoptr(GError) local_error = NULL;
    g_auto(GStrv) active = vfw_firewalld_active_policies(fw, &local_error);

    for (guint i = 0; i < G_N_ELEMENTS(ours); i++) {
        g_auto(GStrv) rules = NULL;
        gboolean loaded = vfw_firewalld_policy_get_rules(fw, ours[i], TRUE, &rules, NULL);
        g_autofree char *what = g_strdup_printf("policy '%s' loaded", ours[i]);
        verdict(doc, loaded, what,
                loaded ? (active && g_strv_contains((const char *const *)active, ours[i])
                              ? "active"
                              : "inactive (no interface in its ingress zone yet)")
                       : "missing: install virt-firewalld's policies and 'firewall-cmd "
                         "--reload'");
    }
}

/* The host address sets that forwards without a host address match on: loaded, and
 * holding exactly the host's current addresses in runtime and permanent config. */
static void
check_host_sets(VfwFirewalld *fw, Doctor *doc)
{
    const VfwHostSet *sets = vfw_host_sets;

    for (guint i = 0; i < G_N_ELEMENTS(vfw_host_sets); i++) {
        g_auto(GStrv) want = vfw_host_addresses(sets[i].family, NULL);
        g_autofree char *joined = want ? g_strjoinv(" ", want) : g_strdup("?");

        for (int permanent = 0; permanent < 2; permanent++) {
            g_auto(GStrv) have = NULL;
            g_autoptr(GError) local_error = NULL;
            g_autofree char *what =
                g_strdup_printf("ipset '%s' (%s) holds the host's addresses", sets[i].ipset,
                                permanent ? "permanent" : "runtime");
            if (!vfw_firewalld_ipset_get_entries(fw, sets[i].ipset, permanent, &have,
                                                 &local_error)) {
                verdict(doc, FALSE, what, local_error->message);
                g_print(
                    "       fix: install virt-firewalld's ipsets and 'firewall-cmd --reload'\n");
                continue;
            }
            if (want && vfw_host_set_holds((const char *const *)have, (const char *const *)want)) {
                g_autofree char *detail = g_strdup_printf("%s", *joined ? joined : "(none)");
                verdict(doc, TRUE, what, detail);
            } else {
                g_autofree char *have_s = g_strjoinv(" ", have);
                g_autofree char *detail = g_strdup_printf(
                    "stale: holds [%s], the host has [%s]; 'virt-firewalld sync' (or "
                    "virt-firewalld-watch.service) updates it",
                    have_s, joined);
                verdict(doc, FALSE, what, detail);
            }
        }
    }
}

/* Hairpin (guests reaching published ports through the host's address) depends on
 * br_netfilter: with bridge-nf-call-ip(6)tables on, a connection DNATed back onto the
 * bridge it came from is bridged, not routed. Information, not a problem. */
static void
report_hairpin(void)
{
    g_autofree char *v4 = NULL;
    gboolean on;

    g_file_get_contents("/proc/sys/net/bridge/bridge-nf-call-iptables", &v4, NULL, NULL);
    on = v4 && v4[0] == '1';
    g_print("  info hairpin: br_netfilter %s: %s\n", on ? "on" : "off",
            on ? "guests reach published ports of other guests on their bridge through the "
                 "host's address; a guest cannot reach its own"
               : "a guest reaches its own published ports through the host's address; other "
                 "guests on the same bridge cannot (guests on other networks can)");
}

static void
check_networks(const VfwContext *ctx, VfwFirewalld *fw, const VfwConfig *config,
               GHashTable *networks, Doctor *doc)
{
    GHashTableIter iter;
    gpointer value;

    g_print("libvirt networks:\n");
    g_hash_table_iter_init(&iter, networks);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        const VfwNetwork *net = value;
        g_autofree char *zone = NULL;
        const char *wanted = vfw_network_wanted_zone(config, net);
        g_autofree char *what = NULL;

        g_autofree char *status_file = g_strdup_printf("%s.xml", net->name);
        g_autofree char *status_path =
            g_build_filename(ctx->libvirt_rundir, "network", status_file, NULL);
        g_autoptr(VfwNetwork) status = vfw_network_load(status_path, NULL);

        if (net->bridge && fw)
            vfw_firewalld_zone_of_interface(fw, net->bridge, FALSE, &zone, NULL);
        /* libvirt's own rules: 10.4+ records their backend in the network's status */
        g_print("  %-16s mode %-8s bridge %-12s zone %-14s libvirt rules %s\n", net->name,
                vfw_net_mode_to_string(net->mode), net->bridge ? net->bridge : "-",
                zone && *zone ? zone : "-",
                status && status->firewall_backend ? status->firewall_backend : "-");
        if (!wanted || !fw)
            continue;
        what = g_strdup_printf("network '%s': bridge '%s' in zone '%s'", net->name, net->bridge,
                               wanted);
        verdict(doc, g_strcmp0(zone, wanted) == 0, what,
                g_strcmp0(zone, wanted) == 0 ? NULL : "it is not: run 'virt-firewalld sync'");
    }
}

static void
check_forward_rules(Doctor *doc, const VfwDomain *d, const VfwPlan *plan, VfwFirewalld *fw)
{
    GStrv runtime[VFW_PLACES] = { NULL };

    for (guint i = 0; fw && i < VFW_PLACES; i++) {
        if (!vfw_place_is_permanent(i))
            vfw_firewalld_policy_get_rules(fw, vfw_place_policy(i), FALSE, &runtime[i], NULL);
    }
    for (guint w = 0; w < plan->warnings->len; w++)
        verdict(doc, FALSE, d->name, g_ptr_array_index(plan->warnings, w));
    for (guint l = 0; l < plan->leases->len; l++) {
        const VfwLeaseForward *lf = g_ptr_array_index(plan->leases, l);
        g_autofree char *spec = vfw_port_spec_to_string(&lf->spec);
        g_print("  info guest '%s': forward '%s' follows the DHCP lease of %s on network '%s' "
                "(needs virt-firewalld-watch.service)\n",
                d->name, spec, lf->mac, lf->network);
    }
    for (guint r = 0; r < plan->rules->len; r++) {
        const VfwRule *rule = g_ptr_array_index(plan->rules, r);
        if (rule->kind == VFW_RULE_HAIRPIN)
            continue;
        g_autofree char *spec = vfw_port_spec_to_string(&rule->spec);
        g_autofree char *what =
            g_strdup_printf("guest '%s': forward '%s' to %s", d->name, spec, rule->to_addr);
        gboolean live = fw != NULL;
        for (guint i = 0; live && i < VFW_PLACES; i++) {
            const char *entry = vfw_item_in_place(rule->rich_rule, i);
            if (entry && !vfw_place_is_permanent(i))
                live = runtime[i] && g_strv_contains((const char *const *)runtime[i], entry);
        }
        verdict(doc, live, what, live ? NULL : "not in firewalld: run 'virt-firewalld sync'");
    }
    for (guint i = 0; i < VFW_PLACES; i++)
        g_strfreev(runtime[i]);
}

/* When process @pid started, in seconds since the epoch; 0 when unknown. /proc gives it in
 * clock ticks since boot (10 ms); the boot's own time comes from the two clocks now, not
 * from /proc/stat's btime, which is rounded to the second. */
static double
process_start_time(const char *pid)
{
    g_autofree char *path = g_build_filename("/proc", pid, "stat", NULL);
    g_autofree char *stat = NULL;
    g_auto(GStrv) fields = NULL;
    struct timespec real, boot;
    const char *after_comm;

    if (!g_file_get_contents(path, &stat, NULL, NULL) || !(after_comm = strrchr(stat, ')')) ||
        clock_gettime(CLOCK_REALTIME, &real) != 0 || clock_gettime(CLOCK_BOOTTIME, &boot) != 0)
        return 0;
    /* after "(comm) ": field 3 (state) onwards; starttime is field 22 */
    fields = g_strsplit(after_comm + 2, " ", 21);
    if (g_strv_length(fields) < 21)
        return 0;
    return (double)(real.tv_sec - boot.tv_sec) + (real.tv_nsec - boot.tv_nsec) / 1e9 +
           (double)g_ascii_strtoll(fields[19], NULL, 10) / (double)sysconf(_SC_CLK_TCK);
}

/* Whether process @pid shares our network namespace: libvirt daemons of this host, not of
 * a container or test sandbox beside it. */
static gboolean
same_host(const char *pid)
{
    g_autofree char *path = g_build_filename("/proc", pid, "ns", "net", NULL);
    g_autofree char *theirs = g_file_read_link(path, NULL);
    g_autofree char *ours = g_file_read_link("/proc/self/ns/net", NULL);

    return theirs && ours && strcmp(theirs, ours) == 0;
}

/* libvirt looks for hooks when its daemon starts (libvirtd; virtqemud and virtnetworkd on
 * hosts with the modular daemons): a daemon started before our hook link appeared runs
 * it only if another hook of that driver was already there. */
static void
check_hook_daemons(Doctor *doc)
{
    static const struct {
        const char *daemon;
        const char *hooks[2];
    } daemons[] = {
        { "libvirtd", { "qemu.d", "network.d" } },
        { "virtqemud", { "qemu.d", NULL } },
        { "virtnetworkd", { "network.d", NULL } },
    };
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    const char *pid;
    guint found = 0;

    while (proc && (pid = g_dir_read_name(proc))) {
        g_autofree char *comm_path = NULL;
        g_autofree char *comm = NULL;
        if (!g_ascii_isdigit(*pid))
            continue;
        comm_path = g_build_filename("/proc", pid, "comm", NULL);
        if (!g_file_get_contents(comm_path, &comm, NULL, NULL))
            continue;
        g_strchomp(comm);
        if (!same_host(pid))
            continue;
        for (guint d = 0; d < G_N_ELEMENTS(daemons); d++) {
            double started;
            if (strcmp(comm, daemons[d].daemon) != 0)
                continue;
            found++;
            started = process_start_time(pid);
            for (guint h = 0; h < 2 && daemons[d].hooks[h]; h++) {
                g_autofree char *link =
                    g_build_filename(VFW_HOOKSDIR, daemons[d].hooks[h], "virt-firewalld", NULL);
                g_autofree char *what =
                    g_strdup_printf("%s (pid %s) runs our hook %s", comm, pid, link);
                GStatBuf st;
                if (g_lstat(link, &st) != 0) {
                    verdict(doc, FALSE, what, "the hook is not installed");
                    continue;
                }
                /* ctime: when the link was made (dpkg and rpm keep the package's mtime) */
                if (started > 0 && st.st_ctim.tv_sec + st.st_ctim.tv_nsec / 1e9 > started + 0.05) {
                    verdict(doc, FALSE, what,
                            "it started before the hook was installed, and libvirt finds hooks "
                            "only at its start");
                    g_print("       fix: systemctl restart %s\n", comm);
                } else {
                    verdict(doc, TRUE, what, NULL);
                }
            }
        }
    }
    if (!found)
        g_print("  info no libvirtd, virtqemud or virtnetworkd runs here\n");
}

/**
 * vfw_cli_doctor:
 * `doctor`: prints the diagnosis; FALSE (exit 1) if any declared forward cannot work.
 */
gboolean
vfw_cli_doctor(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings, GError **error)
{
    g_autoptr(VfwConfig) config = vfw_config_load(ctx->confdir, error);
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(VfwFirewalld) fw = NULL;
    g_autoptr(GHashTable) networks = NULL;
    g_autoptr(GPtrArray) domains = NULL;
    g_autoptr(GHashTable) unreadable =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTableIter iter;
    gpointer message;
    unsigned long libvirt_version = 0;
    Doctor doc = { 0 };

    if (!config)
        return FALSE;
    fw = check_firewalld(ctx, config, &doc);
    if (fw) {
        check_policies(fw, &doc);
        check_host_sets(fw, &doc);
        report_hairpin();
    }
    conn = vfw_virt_connect(NULL, TRUE, error);
    if (!conn)
        return FALSE;
    virConnectGetLibVersion(conn, &libvirt_version);
    g_print("libvirt: %lu.%lu.%lu\n", libvirt_version / 1000000, libvirt_version / 1000 % 1000,
            libvirt_version % 1000);
    check_hook_daemons(&doc);
    networks = vfw_virt_active_networks(conn, error);
    domains = networks ? vfw_virt_running_domains(conn, unreadable, error) : NULL;
    if (!domains)
        return FALSE;
    check_networks(ctx, fw, config, networks, &doc);
    g_print("forwards of running guests:\n");
    for (guint i = 0; i < domains->len; i++) {
        const VfwDomain *d = g_ptr_array_index(domains, i);
        g_autoptr(GError) local_error = NULL;
        g_autoptr(VfwPlan) plan = vfw_plan_for_domain(config, d, networks, &local_error);
        if (!plan)
            verdict(&doc, FALSE, d->name, local_error->message);
        else
            check_forward_rules(&doc, d, plan, fw);
    }
    g_hash_table_iter_init(&iter, unreadable);
    while (g_hash_table_iter_next(&iter, NULL, &message))
        verdict(&doc, FALSE, "guest", message);
    if (doc.problems) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_NOT_APPLICABLE,
                    "doctor: %u problems found (marked FAIL above)", doc.problems);
        return FALSE;
    }
    g_print("no problems found\n");
    return TRUE;
}
