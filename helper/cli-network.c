/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virt-firewalld network convert|revert NAME [--restart] [--dry-run]`.
 *
 * libvirt's nat-mode networks reject every DNATed inbound connection in their own
 * iptables table (LIBVIRT_FWI ... -j REJECT, measured with libvirt 9.0), which no
 * firewalld rule can override. Converting such a network to mode 'open' keeps its bridge,
 * addresses, DHCP, DNS and domain, but takes the firewall away from libvirt: our network
 * hook binds the bridge to the zone 'virtfw' and the policy 'virtfw-nat' masquerades it.
 * The original definition is kept in the ledger directory for `network revert`.
 */
#include "cli.h"

#include <errno.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vfw-error.h"
#include "virt.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

typedef struct {
    const char *name;
    gboolean restart;
    gboolean dry_run;
} NetArgs;

/**
 * vfw_network_orig_path:
 * Where `network convert` keeps network @name's original definition for `network revert`
 * (present: the network is a converted one).
 */
char *
vfw_network_orig_path(const VfwContext *ctx, const char *name)
{
    g_autofree char *file = g_strdup_printf("%s.orig.xml", name);

    return g_build_filename(ctx->ledgerdir ? ctx->ledgerdir : ctx->statedir, "networks", file,
                            NULL);
}

static void
silent_error(void *ctx, const char *msg, ...)
{
}

/* libvirt's own definition of network @name, to edit and hand back (libxml2 here, unlike
 * the hook's parser in xml.c: this edits and writes the document, and libvirt's client
 * library loads libxml2 anyway). Never loads anything, substitutes no entities. */
static xmlDoc *
parse_definition(const char *name, const char *xml, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;

    xmlSetGenericErrorFunc(NULL, silent_error);
    doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc || doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_XML,
                    "network '%s': libvirt's definition is not XML this can edit", name);
        return NULL;
    }
    return g_steal_pointer(&doc);
}

/* The first element child of @parent named @name, or NULL. */
static xmlNode *
child_named(xmlNode *parent, const char *name)
{
    for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && !n->ns && strcmp((const char *)n->name, name) == 0)
            return n;
    }
    return NULL;
}

/* The nat definition rewritten as mode 'open'; NULL with an error if it is not nat. */
static char *
convert_xml(const char *name, const char *xml, GError **error)
{
    g_autoptr(xmlDoc) doc = parse_definition(name, xml, error);
    xmlNode *root;
    xmlNode *forward;
    xmlNode *bridge;
    g_autofree char *mode = NULL;
    xmlChar *out = NULL;
    int len = 0;

    if (!doc)
        return NULL;
    root = xmlDocGetRootElement(doc);
    forward = child_named(root, "forward");
    if (forward) {
        xmlChar *value = xmlGetNoNsProp(forward, (const xmlChar *)"mode");
        mode = g_strdup((const char *)value);
        xmlFree(value);
    }
    if (!forward || (mode && strcmp(mode, "nat") != 0)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE,
                    "network '%s' is in %s mode, not nat: nothing to convert", name,
                    forward ? mode : "isolated");
        return NULL;
    }
    /* <forward mode='open'/>: no <nat> ranges, no dev= (firewalld masquerades by zone). */
    while (forward->children) {
        xmlNode *child = forward->children;
        xmlUnlinkNode(child);
        xmlFreeNode(child);
    }
    while (forward->properties)
        xmlRemoveProp(forward->properties);
    xmlSetProp(forward, (const xmlChar *)"mode", (const xmlChar *)"open");
    /* libvirt's zone for a nat bridge is not ours: the bridge goes to virtfw instead. */
    bridge = child_named(root, "bridge");
    if (bridge)
        xmlUnsetProp(bridge, (const xmlChar *)"zone");
    xmlDocDumpFormatMemory(doc, &out, &len, 1);
    char *copy = g_strndup((const char *)out, len);
    xmlFree(out);
    return copy;
}

/* After a network restart libvirt leaves running guests' taps off the new bridge (it
 * reattaches them only when its daemon restarts): put them back. */
static void
reattach_taps(virConnectPtr conn, const char *network, const char *bridge, GPtrArray *warnings)
{
    g_autoptr(GPtrArray) domains = vfw_virt_running_domains(conn, NULL, NULL);
    unsigned int br_index = if_nametoindex(bridge);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    for (guint i = 0; domains && fd >= 0 && i < domains->len; i++) {
        const VfwDomain *d = g_ptr_array_index(domains, i);
        for (guint j = 0; j < d->interfaces->len; j++) {
            const VfwInterface *iface = g_ptr_array_index(d->interfaces, j);
            struct ifreq ifr = { 0 };
            if (g_strcmp0(iface->network, network) != 0 || !iface->target)
                continue;
            g_strlcpy(ifr.ifr_name, bridge, IFNAMSIZ);
            ifr.ifr_ifindex = (int)if_nametoindex(iface->target);
            if (!br_index || !ifr.ifr_ifindex || ioctl(fd, SIOCBRADDIF, &ifr) < 0)
                g_ptr_array_add(warnings,
                                g_strdup_printf("guest '%s': tap '%s' not reattached to '%s': "
                                                "%s",
                                                d->name, iface->target, bridge, g_strerror(errno)));
        }
    }
    if (fd >= 0)
        close(fd);
}

static gboolean
redefine(virConnectPtr conn, virNetworkPtr net, const char *name, const char *xml, gboolean restart,
         GPtrArray *warnings, GError **error)
{
    g_autoptr(virNetwork) defined = virNetworkDefineXML(conn, xml);
    g_autofree char *live = NULL;
    g_autoptr(VfwNetwork) parsed = NULL;

    if (!defined) {
        vfw_virt_set_error(error, "network '%s': redefining", name);
        return FALSE;
    }
    if (virNetworkIsActive(net) != 1)
        return TRUE;
    if (!restart) {
        g_ptr_array_add(warnings, g_strdup_printf("network '%s' is running: the new definition "
                                                  "applies when it restarts (--restart)",
                                                  name));
        return TRUE;
    }
    if (virNetworkDestroy(net) < 0 || virNetworkCreate(net) < 0) {
        vfw_virt_set_error(error, "network '%s': restarting", name);
        return FALSE;
    }
    live = virNetworkGetXMLDesc(net, 0);
    parsed = live ? vfw_network_parse(live, strlen(live), NULL) : NULL;
    if (parsed && parsed->bridge)
        reattach_taps(conn, name, parsed->bridge, warnings);
    return TRUE;
}

/* Whether @d has an interface on libvirt network @name. */
static gboolean
on_network(const VfwDomain *d, const char *name)
{
    for (guint j = 0; j < d->interfaces->len; j++) {
        if (g_strcmp0(((VfwInterface *)g_ptr_array_index(d->interfaces, j))->network, name) == 0)
            return TRUE;
    }
    return FALSE;
}

/* The forwards of @plan on network @name, as "8080:80/tcp, 8443:443/tcp" (once per spec:
 * IPv4 and IPv6 are one rule each), or NULL for none. */
static char *
forwards_on(const VfwPlan *plan, const char *name)
{
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) out = g_string_new(NULL);

    for (guint r = 0; r < plan->rules->len; r++) {
        const VfwRule *rule = g_ptr_array_index(plan->rules, r);
        g_autofree char *text = NULL;
        if (rule->kind != VFW_RULE_FORWARD || g_strcmp0(rule->network, name) != 0)
            continue;
        text = vfw_port_spec_to_string(&rule->spec);
        if (g_ptr_array_find_with_equal_func(seen, text, g_str_equal, NULL))
            continue;
        g_string_append_printf(out, "%s%s", out->len ? ", " : "", text);
        g_ptr_array_add(seen, g_steal_pointer(&text));
    }
    return out->len ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

/* The running guests with forwards on network @name: one line "guest 'G': LIST" each; with
 * @publish they are published first (what `sync` does for them), and a guest that fails
 * is a warning and counts in @failed. */
static GPtrArray *
guests_on_network(const VfwContext *ctx, virConnectPtr conn, const char *name, gboolean publish,
                  GPtrArray *warnings, guint *failed)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VfwConfig) config = vfw_config_load(ctx->confdir, &local_error);
    g_autoptr(GHashTable) networks = config ? vfw_virt_active_networks(conn, &local_error) : NULL;
    g_autoptr(GPtrArray) domains =
        networks ? vfw_virt_running_domains(conn, NULL, &local_error) : NULL;
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

    if (!domains) {
        g_ptr_array_add(warnings, g_strdup_printf("network '%s': its guests' forwards: %s", name,
                                                  local_error->message));
        (*failed)++;
        return lines;
    }
    for (guint i = 0; i < domains->len; i++) {
        const VfwDomain *d = g_ptr_array_index(domains, i);
        g_autoptr(GError) plan_error = NULL;
        g_autoptr(VfwPlan) plan = NULL;
        g_autofree char *list = NULL;

        if (!on_network(d, name))
            continue;
        plan = vfw_plan_for_domain(config, d, networks, &plan_error);
        if (plan && !(list = forwards_on(plan, name)))
            continue;
        if (!plan || (publish && !vfw_apply_guest(ctx, config, d, plan, warnings, &plan_error))) {
            g_ptr_array_add(warnings, g_strdup(plan_error->message));
            (*failed)++;
            continue;
        }
        g_ptr_array_add(lines, g_strdup_printf("guest '%s': %s", d->name, list));
    }
    return lines;
}

static gboolean
network_convert(const VfwContext *ctx, const NetArgs *args, GPtrArray *warnings, GError **error)
{
    g_autoptr(virConnect) conn = vfw_virt_connect(NULL, FALSE, error);
    g_autoptr(virNetwork) net = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *converted = NULL;
    g_autofree char *path = vfw_network_orig_path(ctx, args->name);
    g_autofree char *dir = g_path_get_dirname(path);

    if (!conn)
        return FALSE;
    net = virNetworkLookupByName(conn, args->name);
    if (!net || !(xml = virNetworkGetXMLDesc(net, VIR_NETWORK_XML_INACTIVE))) {
        vfw_virt_set_error(error, "network '%s'", args->name);
        return FALSE;
    }
    if (virNetworkIsPersistent(net) != 1) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE,
                    "network '%s' is transient: define it persistently first", args->name);
        return FALSE;
    }
    converted = convert_xml(args->name, xml, error);
    if (!converted)
        return FALSE;
    if (args->dry_run) {
        g_print("%s", converted);
        return TRUE;
    }
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE,
                    "network '%s': an original definition is already saved in %s", args->name,
                    path);
        return FALSE;
    }
    if (g_mkdir_with_parents(dir, 0700) < 0 || !g_file_set_contents(path, xml, -1, error)) {
        g_prefix_error(error, "network '%s': saving the original definition: ", args->name);
        return FALSE;
    }
    if (!redefine(conn, net, args->name, converted, args->restart, warnings, error)) {
        unlink(path);
        return FALSE;
    }
    g_print("network '%s' converted to mode 'open': libvirt no longer writes firewall rules "
            "for it; its bridge goes into firewalld zone 'virtfw' and policy 'virtfw-nat' "
            "masquerades it. Original kept in %s ('virt-firewalld network revert %s').\n",
            args->name, path, args->name);
    if (args->restart && virNetworkIsActive(net) == 1) {
        guint failed = 0;
        g_autoptr(GPtrArray) lines =
            guests_on_network(ctx, conn, args->name, TRUE, warnings, &failed);
        for (guint i = 0; i < lines->len; i++)
            g_print("network '%s': published %s\n", args->name,
                    (char *)g_ptr_array_index(lines, i));
        if (failed) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD,
                        "network '%s' converted, but not every guest's forwards were published "
                        "(see the warnings above; 'virt-firewalld sync' retries)",
                        args->name);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
network_revert(const VfwContext *ctx, const NetArgs *args, GPtrArray *warnings, GError **error)
{
    g_autoptr(virConnect) conn = vfw_virt_connect(NULL, FALSE, error);
    g_autoptr(virNetwork) net = NULL;
    g_autofree char *path = vfw_network_orig_path(ctx, args->name);
    g_autofree char *xml = NULL;
    g_autoptr(GPtrArray) losing = NULL;
    guint failed = 0;

    if (!conn)
        return FALSE;
    if (!g_file_get_contents(path, &xml, NULL, NULL)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE,
                    "network '%s': no saved original definition (%s)", args->name, path);
        return FALSE;
    }
    if (args->dry_run) {
        g_print("%s", xml);
        return TRUE;
    }
    net = virNetworkLookupByName(conn, args->name);
    if (!net) {
        vfw_virt_set_error(error, "network '%s'", args->name);
        return FALSE;
    }
    /* what stops working: read while the network is still open */
    losing = guests_on_network(ctx, conn, args->name, FALSE, warnings, &failed);
    if (!redefine(conn, net, args->name, xml, args->restart, warnings, error))
        return FALSE;
    unlink(path);
    g_print("network '%s' restored from %s\n", args->name, path);
    for (guint i = 0; i < losing->len; i++)
        g_print("network '%s': in nat mode these forwards stop working (libvirt rejects "
                "inbound connections): %s\n",
                args->name, (char *)g_ptr_array_index(losing, i));
    return TRUE;
}

/**
 * vfw_cli_network:
 * `network convert|revert NAME [--restart] [--dry-run]`.
 */
gboolean
vfw_cli_network(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings, GError **error)
{
    /* main.c checked the action and its argument against the verb table */
    NetArgs net = { args->argv[2], args->restart, args->dry_run };

    if (strcmp(args->argv[1], "convert") == 0)
        return network_convert(ctx, &net, warnings, error);
    return network_revert(ctx, &net, warnings, error);
}
