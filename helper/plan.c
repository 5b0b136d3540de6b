/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pure planning: configuration + domain XML + its networks -> the rich rules to publish.
 * No I/O here, so that every rule of address resolution and refusal is table-tested.
 */
#include "plan.h"

#include <string.h>

#include "vfw-error.h"

/**
 * vfw_rich_rule_build:
 * The item that publishes @spec to @to_addr, in exactly the text firewalld prints back for
 * it (firewall/core/rich.py, Rich_Rule.__str__, firewalld 1.3; forward-ports as
 * firewall-cmd writes them): policies compare entries as strings when their settings are
 * replaced, so any other spelling would never match on removal. Every part comes from
 * parsed values, never from user text.
 *
 * A forward bound to a host address is a rich rule with that destination, in the policies
 * virtfw-forward and virtfw-host. One without a host address goes into the policies
 * virtfw-pub and virtfw-pub-host (prefix VFW_ITEM_PUB), whose egress zone virtfw-local is
 * bound to the sets of the host's own addresses: firewalld dispatches them on the
 * destination, so they catch connections to the host's addresses and nothing else (no
 * connection of the host or a guest to a remote server, no routed transit). There it is a
 * plain forward-port entry (firewalld checks those 3-4 times faster than rich rules, and
 * every write re-checks every rule on the host), or a rich rule when a client range
 * restricts it.
 */
char *
vfw_rich_rule_build(const VfwPortSpec *spec, GSocketFamily family, const char *to_addr,
                    const char *source)
{
    g_autofree char *port = vfw_port_range_to_string(spec->host_port, spec->host_port_end);
    g_autofree char *to_port = vfw_port_range_to_string(spec->guest_port, spec->guest_port_end);
    gboolean bound = spec->host_family != G_SOCKET_FAMILY_INVALID;
    GString *rule;

    if (!bound && !source)
        return g_strdup_printf(VFW_ITEM_PUB "port=%s:proto=%s:toport=%s:toaddr=%s", port,
                               vfw_proto_to_string(spec->proto), to_port, to_addr);
    rule = g_string_new(bound ? "rule family=" : VFW_ITEM_PUB "rule family=");
    g_string_append(rule, family == G_SOCKET_FAMILY_IPV6 ? "\"ipv6\"" : "\"ipv4\"");
    if (source)
        g_string_append_printf(rule, " source address=\"%s\"", source);
    if (bound)
        g_string_append_printf(rule, " destination address=\"%s\"", spec->host_addr);
    g_string_append_printf(rule, " forward-port port=\"%s\" protocol=\"%s\"", port,
                           vfw_proto_to_string(spec->proto));
    g_string_append_printf(rule, " to-port=\"%s\" to-addr=\"%s\"", to_port, to_addr);
    return g_string_free(rule, FALSE);
}

/**
 * vfw_hairpin_rule_build:
 * The rich rule that masquerades @addr's connections to itself: a guest reaching its own
 * published port through the host's address is DNATed back to itself, and would see its
 * own address as the peer without it. Only such connections go from @addr to @addr
 * through the host, so nothing else is touched.
 */
char *
vfw_hairpin_rule_build(GSocketFamily family, const char *addr)
{
    return g_strdup_printf("rule family=\"%s\" source address=\"%s\" destination address=\"%s\" "
                           "masquerade",
                           family == G_SOCKET_FAMILY_IPV6 ? "ipv6" : "ipv4", addr, addr);
}

static GHashTable *
rich_rule_set(GPtrArray *rules)
{
    GHashTable *set = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; rules && i < rules->len; i++)
        g_hash_table_add(set, ((VfwRule *)g_ptr_array_index(rules, i))->rich_rule);
    return set;
}

/**
 * vfw_rules_same_text:
 * TRUE when the rules (VfwRule) of @a and @b have the same set of rich rule texts: what
 * firewalld would hold for either is the same.
 */
gboolean
vfw_rules_same_text(GPtrArray *a, GPtrArray *b)
{
    g_autoptr(GHashTable) set_a = rich_rule_set(a);
    g_autoptr(GHashTable) set_b = rich_rule_set(b);
    GHashTableIter iter;
    gpointer rule;

    if (g_hash_table_size(set_a) != g_hash_table_size(set_b))
        return FALSE;
    g_hash_table_iter_init(&iter, set_a);
    while (g_hash_table_iter_next(&iter, &rule, NULL)) {
        if (!g_hash_table_contains(set_b, rule))
            return FALSE;
    }
    return TRUE;
}

/**
 * vfw_rule_new_recorded:
 * A rule as a record keeps it: @rich_rule is the exact text that was applied (the text to
 * remove later), taken as it is rather than built again.
 */
VfwRule *
vfw_rule_new_recorded(const VfwPortSpec *spec, GSocketFamily family, const char *to_addr,
                      const char *source, const char *network, const char *origin,
                      const char *rich_rule)
{
    VfwRule *rule = g_new0(VfwRule, 1);

    rule->spec = *spec;
    rule->family = family;
    rule->to_addr = g_strdup(to_addr);
    rule->source = g_strdup(source);
    rule->network = g_strdup(network);
    rule->origin = g_strdup(origin);
    rule->rich_rule = g_strdup(rich_rule);
    return rule;
}

/**
 * vfw_rule_new:
 * A rule with its rich rule text built from the other fields.
 */
VfwRule *
vfw_rule_new(const VfwPortSpec *spec, GSocketFamily family, const char *to_addr, const char *source,
             const char *network, const char *origin)
{
    VfwRule *rule = vfw_rule_new_recorded(spec, family, to_addr, source, network, origin, NULL);

    rule->rich_rule = vfw_rich_rule_build(spec, family, to_addr, source);
    return rule;
}

/**
 * vfw_rule_new_hairpin:
 * The hairpin rule (kind VFW_RULE_HAIRPIN) of guest address @to_addr.
 */
VfwRule *
vfw_rule_new_hairpin(GSocketFamily family, const char *to_addr, const char *network,
                     const char *origin)
{
    VfwPortSpec none = { 0 };
    VfwRule *rule = vfw_rule_new_recorded(&none, family, to_addr, NULL, network, origin, NULL);

    rule->kind = VFW_RULE_HAIRPIN;
    rule->rich_rule = vfw_hairpin_rule_build(family, to_addr);
    return rule;
}

/**
 * vfw_rule_copy:
 * A copy of @rule with its rich rule text as it is (for a record: the text to remove).
 */
VfwRule *
vfw_rule_copy(const VfwRule *rule)
{
    VfwRule *copy = vfw_rule_new_recorded(&rule->spec, rule->family, rule->to_addr, rule->source,
                                          rule->network, rule->origin, rule->rich_rule);

    copy->kind = rule->kind;
    return copy;
}

/**
 * vfw_rules_add_forward:
 * Appends to @to the rules that publish @spec to @to_addr: one rule, or for a shifted range
 * (9000-9001:80-81) one rule per port pair, because nft's DNAT to a port range does not
 * shift ports (9001 would reach 80 or 81, whichever is free).
 */
void
vfw_rules_add_forward(GPtrArray *to, const VfwPortSpec *spec, GSocketFamily family,
                      const char *to_addr, const char *source, const char *network,
                      const char *origin)
{
    if (!vfw_port_spec_is_shifted_range(spec)) {
        g_ptr_array_add(to, vfw_rule_new(spec, family, to_addr, source, network, origin));
        return;
    }
    for (guint i = 0; i <= (guint)(spec->host_port_end - spec->host_port); i++) {
        VfwPortSpec one = *spec;

        one.host_port = one.host_port_end = spec->host_port + i;
        one.guest_port = one.guest_port_end = spec->guest_port + i;
        g_ptr_array_add(to, vfw_rule_new(&one, family, to_addr, source, network, origin));
    }
}

/* TRUE when forward rules @a and @b differ in their host port only, and that port is
 * single in @b and in @a's guest side: rules vfw_rules_merge_ports() may join. */
static gboolean
same_but_host_port(const VfwRule *a, const VfwRule *b)
{
    const VfwPortSpec *x = &a->spec, *y = &b->spec;

    return a->kind == VFW_RULE_FORWARD && b->kind == VFW_RULE_FORWARD &&
           x->guest_port == x->guest_port_end && y->guest_port == y->guest_port_end &&
           y->host_port == y->host_port_end && x->guest_port == y->guest_port &&
           x->proto == y->proto && x->host_family == y->host_family &&
           strcmp(x->host_addr, y->host_addr) == 0 && a->family == b->family &&
           strcmp(a->to_addr, b->to_addr) == 0 && g_strcmp0(a->source, b->source) == 0 &&
           g_strcmp0(a->network, b->network) == 0 && g_strcmp0(a->origin, b->origin) == 0;
}

static gint
compare_for_merge(gconstpointer pa, gconstpointer pb)
{
    const VfwRule *a = *(const VfwRule *const *)pa, *b = *(const VfwRule *const *)pb;
    int c;

    if ((c = (int)a->family - (int)b->family) || (c = (int)a->spec.proto - (int)b->spec.proto) ||
        (c = (int)a->spec.guest_port - (int)b->spec.guest_port) ||
        (c = strcmp(a->spec.host_addr, b->spec.host_addr)) ||
        (c = strcmp(a->to_addr, b->to_addr)) || (c = g_strcmp0(a->source, b->source)) ||
        (c = g_strcmp0(a->network, b->network)) || (c = g_strcmp0(a->origin, b->origin)))
        return c;
    return (int)a->spec.host_port - (int)b->spec.host_port;
}

/**
 * vfw_rules_merge_ports:
 * Joins forward rules of @rules that send consecutive host ports to the same guest port
 * (8000:80, 8001:80, ... declared on one line, or all in the metadata) into one rule of a
 * host port range (8000-8009:80). nft's DNAT of a port range to one port is exact, and each
 * entry is an nft transaction of its own in firewalld 1.3 (per-entry O(ruleset)), besides
 * what every later write re-checks. A joined rule takes the place of its lowest port; the
 * others keep their order. Forwards to different guest ports (shifted ranges) stay apart.
 */
void
vfw_rules_merge_ports(GPtrArray *rules)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    g_autoptr(GHashTable) joined = g_hash_table_new(NULL, NULL); /* rule -> its run's head */

    for (guint i = 0; i < rules->len; i++) {
        VfwRule *r = g_ptr_array_index(rules, i);
        if (same_but_host_port(r, r))
            g_ptr_array_add(sorted, r);
    }
    g_ptr_array_sort(sorted, compare_for_merge);
    for (guint i = 0; i < sorted->len;) {
        VfwRule *head = g_ptr_array_index(sorted, i);
        guint j = i + 1;
        for (; j < sorted->len; j++) {
            VfwRule *next = g_ptr_array_index(sorted, j);
            if (!same_but_host_port(head, next) ||
                next->spec.host_port != (guint)head->spec.host_port_end + 1)
                break;
            head->spec.host_port_end = next->spec.host_port;
            g_hash_table_insert(joined, next, head);
        }
        if (j > i + 1) {
            g_free(head->rich_rule);
            head->rich_rule =
                vfw_rich_rule_build(&head->spec, head->family, head->to_addr, head->source);
        }
        i = j;
    }
    /* the members after a run's head go; the head stays where it was */
    for (guint i = rules->len; i-- > 0;) {
        if (g_hash_table_contains(joined, g_ptr_array_index(rules, i)))
            g_ptr_array_remove_index(rules, i);
    }
}

/**
 * vfw_rules_add_hairpins:
 * Appends one hairpin rule for every guest address the forward rules of @rules publish to
 * and no hairpin rule covers yet. It takes the network and origin of the first such rule
 * (a lease origin, so that watch moves it with the lease).
 */
void
vfw_rules_add_hairpins(GPtrArray *rules)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint n = rules->len;

    for (guint i = 0; i < n; i++) {
        const VfwRule *r = g_ptr_array_index(rules, i);
        if (r->kind == VFW_RULE_HAIRPIN)
            g_hash_table_add(seen, g_strdup(r->to_addr));
    }
    for (guint i = 0; i < n; i++) {
        const VfwRule *r = g_ptr_array_index(rules, i);
        if (r->kind != VFW_RULE_FORWARD || !g_hash_table_add(seen, g_strdup(r->to_addr)))
            continue;
        g_ptr_array_add(rules, vfw_rule_new_hairpin(r->family, r->to_addr, r->network, r->origin));
    }
}

/**
 * vfw_rule_is_current:
 * TRUE when @rule (as recorded) has the text this version builds for it: rules recorded by
 * an older version (unscoped rich rules, shifted ranges in one rule) are not.
 */
gboolean
vfw_rule_is_current(const VfwRule *rule)
{
    g_autofree char *text = NULL;

    if (rule->kind == VFW_RULE_REPLACED)
        return FALSE;
    if (rule->kind == VFW_RULE_HAIRPIN)
        text = vfw_hairpin_rule_build(rule->family, rule->to_addr);
    else if (vfw_port_spec_is_shifted_range(&rule->spec))
        return FALSE;
    else
        text = vfw_rich_rule_build(&rule->spec, rule->family, rule->to_addr, rule->source);
    return g_strcmp0(text, rule->rich_rule) == 0;
}

/**
 * vfw_rule_free:
 * GDestroyNotify for VfwRule.
 */
void
vfw_rule_free(gpointer data)
{
    VfwRule *rule = data;

    if (!rule)
        return;
    g_free(rule->to_addr);
    g_free(rule->source);
    g_free(rule->network);
    g_free(rule->rich_rule);
    g_free(rule->origin);
    g_free(rule);
}

/**
 * vfw_lease_forward_new:
 * A forward waiting for a DHCP lease of @mac on @network; strings are copied.
 */
VfwLeaseForward *
vfw_lease_forward_new(const VfwPortSpec *spec, const char *mac, const char *network,
                      const char *source, const char *origin)
{
    VfwLeaseForward *lf = g_new0(VfwLeaseForward, 1);

    lf->spec = *spec;
    lf->mac = g_strdup(mac);
    lf->network = g_strdup(network);
    lf->source = g_strdup(source);
    lf->origin = g_strdup(origin);
    return lf;
}

/**
 * vfw_lease_forward_free:
 * GDestroyNotify for VfwLeaseForward.
 */
void
vfw_lease_forward_free(gpointer data)
{
    VfwLeaseForward *lf = data;

    if (!lf)
        return;
    g_free(lf->mac);
    g_free(lf->network);
    g_free(lf->source);
    g_free(lf->origin);
    g_free(lf);
}

/**
 * vfw_lease_origin:
 * The origin recorded on rules published from a lease: "lease MAC NETWORK", so that watch
 * and the hook can tell them from rules with a fixed address.
 */
char *
vfw_lease_origin(const VfwLeaseForward *lf)
{
    return g_strdup_printf("lease %s %s", lf->mac, lf->network);
}

/**
 * vfw_plan_free:
 * Frees @plan; NULL-safe.
 */
void
vfw_plan_free(VfwPlan *plan)
{
    if (!plan)
        return;
    g_ptr_array_unref(plan->rules);
    g_ptr_array_unref(plan->leases);
    g_ptr_array_unref(plan->warnings);
    g_free(plan);
}

static gboolean
add_forward(GPtrArray *all, VfwDeclForward *fwd, const char *guest, GError **error)
{
    for (guint i = 0; i < all->len; i++) {
        const VfwDeclForward *other = g_ptr_array_index(all, i);
        if (vfw_port_spec_overlaps(&other->spec, &fwd->spec)) {
            g_autofree char *a = vfw_port_spec_to_string(&other->spec);
            g_autofree char *b = vfw_port_spec_to_string(&fwd->spec);
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFLICT,
                        "guest '%s': forward '%s' (%s) overlaps forward '%s' (%s)", guest, b,
                        fwd->origin, a, other->origin);
            vfw_decl_forward_free(fwd);
            return FALSE;
        }
    }
    g_ptr_array_add(all, fwd);
    return TRUE;
}

/**
 * vfw_collect_forwards:
 * Every forward declared for @domain, from its drop-in group @decl (nullable) and its
 * metadata, merged. Overlapping host ports between any two of them are a conflict.
 */
GPtrArray *
vfw_collect_forwards(const VfwGuestDecl *decl, const VfwDomain *domain, GError **error)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(vfw_decl_forward_free);

    for (guint i = 0; decl && i < decl->forwards->len; i++) {
        const VfwDeclForward *fwd = g_ptr_array_index(decl->forwards, i);
        if (!add_forward(all, vfw_decl_forward_new(&fwd->spec, NULL, fwd->origin), domain->name,
                         error))
            return NULL;
    }
    for (guint i = 0; i < domain->meta_forwards->len; i++) {
        const VfwMetaForward *meta = g_ptr_array_index(domain->meta_forwards, i);
        g_autoptr(GInetAddress) addr = NULL;
        VfwPortSpec spec;

        if (!vfw_port_spec_parse_declared(meta->spec, &spec, error) ||
            (meta->address &&
             !vfw_parse_address(meta->address, G_SOCKET_FAMILY_INVALID, &addr, error))) {
            g_prefix_error(error, "guest '%s': metadata: ", domain->name);
            return NULL;
        }
        g_autofree char *canon = addr ? g_inet_address_to_string(addr) : NULL;
        if (!add_forward(all, vfw_decl_forward_new(&spec, canon, "metadata"), domain->name, error))
            return NULL;
    }
    return g_steal_pointer(&all);
}

/* The guest's default address of @family: the drop-in's, else the DHCP reservation for
 * one of its MACs on its network. Returns a new reference or NULL. */
static GInetAddress *
default_address(const VfwGuestDecl *decl, const VfwDomain *domain, GHashTable *networks,
                GSocketFamily family)
{
    GInetAddress *explicit = NULL;

    if (decl)
        explicit = family == G_SOCKET_FAMILY_IPV4 ? decl->address : decl->address6;
    if (explicit)
        return g_object_ref(explicit);
    /* First pass: only networks where a forward can work (route, open), so that a guest
     * with a NIC on the nat network 'default' for its own traffic and one on a routed
     * network is published on the routed one, whatever the NIC order. */
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < domain->interfaces->len; i++) {
            const VfwInterface *iface = g_ptr_array_index(domain->interfaces, i);
            const VfwNetwork *net =
                iface->network ? g_hash_table_lookup(networks, iface->network) : NULL;
            GInetAddress *reserved = NULL;

            if (net &&
                (pass == 1 || net->mode == VFW_NET_MODE_ROUTE || net->mode == VFW_NET_MODE_OPEN))
                reserved = vfw_network_reserved_address(net, iface->mac, family);
            if (reserved)
                return g_object_ref(reserved);
        }
    }
    return NULL;
}

/* The guest's network whose subnet holds @addr; NULL with an error naming the guest's
 * networks otherwise: we never DNAT to an address outside the guest's own networks. */
static const VfwNetwork *
network_of_address(const VfwDomain *domain, GHashTable *networks, GInetAddress *addr,
                   GError **error)
{
    g_autoptr(GString) names = g_string_new(NULL);
    g_autofree char *text = g_inet_address_to_string(addr);

    for (guint i = 0; i < domain->interfaces->len; i++) {
        const VfwInterface *iface = g_ptr_array_index(domain->interfaces, i);
        const VfwNetwork *net = NULL;
        if (!iface->network)
            continue;
        net = g_hash_table_lookup(networks, iface->network);
        if (net && vfw_network_find_subnet(net, addr))
            return net;
        g_string_append_printf(names, "%s'%s'%s", names->len ? ", " : "", iface->network,
                               net ? "" : " (state unknown)");
    }
    g_set_error(error, VFW_ERROR, VFW_ERROR_ADDRESS,
                "guest '%s': address '%s' is not inside any of its networks (%s)", domain->name,
                text, names->len ? names->str : "none");
    return NULL;
}

static const char *
first_network(const VfwDomain *domain)
{
    for (guint i = 0; i < domain->interfaces->len; i++) {
        const VfwInterface *iface = g_ptr_array_index(domain->interfaces, i);
        if (iface->network)
            return iface->network;
    }
    return NULL;
}

/* A client range as "ADDR/PREFIX" (GLib prints a full-length mask without the prefix). */
static char *
source_text(GInetAddressMask *mask)
{
    g_autofree char *text = g_inet_address_mask_to_string(mask);

    if (strchr(text, '/'))
        return g_steal_pointer(&text);
    return g_strdup_printf("%s/%u", text, g_inet_address_mask_get_length(mask));
}

typedef struct {
    const VfwDomain *domain;
    GHashTable *networks;
    GInetAddressMask *source;
    GInetAddress *defaults[2]; /* IPv4, IPv6 */
    VfwPlan *plan;
} PlanContext;

static gboolean
plan_one_family(PlanContext *ctx, const VfwDeclForward *fwd, GInetAddress *addr, GError **error)
{
    GSocketFamily family = g_inet_address_get_family(addr);
    g_autofree char *spec_text = vfw_port_spec_to_string(&fwd->spec);
    g_autofree char *to_addr = g_inet_address_to_string(addr);
    g_autofree char *source = NULL;
    const VfwNetwork *net;

    net = network_of_address(ctx->domain, ctx->networks, addr, error);
    if (!net)
        return FALSE;
    if (net->mode == VFW_NET_MODE_ISOLATED || net->mode == VFW_NET_MODE_OTHER ||
        net->mode == VFW_NET_MODE_BRIDGE) {
        g_ptr_array_add(ctx->plan->warnings,
                        g_strdup_printf("guest '%s': forward '%s' not published: network '%s' "
                                        "(mode %s) is not routed by this host",
                                        ctx->domain->name, spec_text, net->name,
                                        vfw_net_mode_to_string(net->mode)));
        return TRUE;
    }
    if (net->mode == VFW_NET_MODE_NAT) {
        g_ptr_array_add(ctx->plan->warnings,
                        g_strdup_printf("guest '%s': forward '%s' not published: network '%s' "
                                        "is in %s mode, where libvirt's own firewall rejects "
                                        "forwarded connections; 'virt-firewalld network "
                                        "convert %s' makes firewalld its firewall",
                                        ctx->domain->name, spec_text, net->name,
                                        vfw_net_mode_to_string(net->mode), net->name));
        return TRUE;
    }
    if (ctx->source) {
        if (g_inet_address_mask_get_family(ctx->source) != family) {
            g_ptr_array_add(ctx->plan->warnings,
                            g_strdup_printf("guest '%s': forward '%s' not published for "
                                            "'%s': 'source' is of the other address family",
                                            ctx->domain->name, spec_text, to_addr));
            return TRUE;
        }
        source = source_text(ctx->source);
    }
    vfw_rules_add_forward(ctx->plan->rules, &fwd->spec, family, to_addr, source, net->name,
                          fwd->origin);
    return TRUE;
}

/* No address known: the guest's first NIC on a routed or open network with an IPv4
 * subnet will get one by DHCP; record the forward for `virt-firewalld watch`. */
static gboolean
plan_from_lease(PlanContext *ctx, const VfwDeclForward *fwd)
{
    for (guint i = 0; i < ctx->domain->interfaces->len; i++) {
        const VfwInterface *iface = g_ptr_array_index(ctx->domain->interfaces, i);
        const VfwNetwork *net = iface->network && iface->mac
                                    ? g_hash_table_lookup(ctx->networks, iface->network)
                                    : NULL;
        gboolean has_v4 = FALSE;

        for (guint j = 0; net && j < net->ips->len; j++) {
            const VfwNetIp *ip = g_ptr_array_index(net->ips, j);
            has_v4 |= g_inet_address_mask_get_family(ip->subnet) == G_SOCKET_FAMILY_IPV4;
        }
        if (!net || !has_v4 || (net->mode != VFW_NET_MODE_ROUTE && net->mode != VFW_NET_MODE_OPEN))
            continue;
        if (ctx->source && g_inet_address_mask_get_family(ctx->source) != G_SOCKET_FAMILY_IPV4)
            return FALSE;
        g_autofree char *source = ctx->source ? source_text(ctx->source) : NULL;
        g_ptr_array_add(ctx->plan->leases, vfw_lease_forward_new(&fwd->spec, iface->mac, net->name,
                                                                 source, fwd->origin));
        return TRUE;
    }
    return FALSE;
}

static gboolean
plan_forward(PlanContext *ctx, const VfwDeclForward *fwd, GError **error)
{
    g_autoptr(GInetAddress) own = NULL;
    gboolean any = FALSE;

    if (fwd->address && !vfw_parse_address(fwd->address, G_SOCKET_FAMILY_INVALID, &own, error))
        return FALSE;
    for (int i = 0; i < 2; i++) {
        GSocketFamily family = i == 0 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6;
        GInetAddress *addr = ctx->defaults[i];

        if (own)
            addr = g_inet_address_get_family(own) == family ? own : NULL;
        if (!addr ||
            (fwd->spec.host_family != G_SOCKET_FAMILY_INVALID && fwd->spec.host_family != family))
            continue;
        any = TRUE;
        if (!plan_one_family(ctx, fwd, addr, error))
            return FALSE;
    }
    if (!any && !own && fwd->spec.host_family != G_SOCKET_FAMILY_IPV6 && plan_from_lease(ctx, fwd))
        return TRUE;
    if (!any) {
        g_autofree char *spec_text = vfw_port_spec_to_string(&fwd->spec);
        const char *net = first_network(ctx->domain);
        g_set_error(error, VFW_ERROR, VFW_ERROR_ADDRESS,
                    "guest '%s' has no known %saddress on network '%s' for forward '%s' "
                    "(declare 'address' or a DHCP reservation for its MAC)",
                    ctx->domain->name,
                    fwd->spec.host_family == G_SOCKET_FAMILY_IPV6   ? "IPv6 "
                    : fwd->spec.host_family == G_SOCKET_FAMILY_IPV4 ? "IPv4 "
                                                                    : "",
                    net ? net : "(none)", spec_text);
        return FALSE;
    }
    return TRUE;
}

/**
 * vfw_plan_for_domain:
 * The rules that publish @domain's declared forwards. @networks maps the names of the
 * guest's libvirt networks to their parsed definitions (missing ones are treated as
 * unknown). Forwards that cannot work on this host (nat-mode network) are left out with a
 * warning; anything invalid or unsafe is an error and nothing is planned.
 */
VfwPlan *
vfw_plan_for_domain(const VfwConfig *config, const VfwDomain *domain, GHashTable *networks,
                    GError **error)
{
    g_autoptr(VfwPlan) plan = g_new0(VfwPlan, 1);
    g_autoptr(GPtrArray) forwards = NULL;
    const VfwGuestDecl *decl;
    g_autoptr(GError) local_error = NULL;
    PlanContext ctx = { .domain = domain, .networks = networks };

    plan->rules = g_ptr_array_new_with_free_func(vfw_rule_free);
    plan->leases = g_ptr_array_new_with_free_func(vfw_lease_forward_free);
    plan->warnings = g_ptr_array_new_with_free_func(g_free);
    ctx.plan = plan;

    decl = vfw_config_lookup_guest(config, domain->name, domain->uuid, &local_error);
    if (local_error) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return NULL;
    }
    forwards = vfw_collect_forwards(decl, domain, error);
    if (!forwards)
        return NULL;
    if (forwards->len == 0)
        return g_steal_pointer(&plan);
    ctx.source = decl ? decl->source : NULL;
    ctx.defaults[0] = default_address(decl, domain, networks, G_SOCKET_FAMILY_IPV4);
    ctx.defaults[1] = default_address(decl, domain, networks, G_SOCKET_FAMILY_IPV6);

    gboolean ok = TRUE;
    for (guint i = 0; ok && i < forwards->len; i++)
        ok = plan_forward(&ctx, g_ptr_array_index(forwards, i), error);
    g_clear_object(&ctx.defaults[0]);
    g_clear_object(&ctx.defaults[1]);
    if (!ok)
        return NULL;
    vfw_rules_merge_ports(plan->rules);
    vfw_rules_add_hairpins(plan->rules);
    return g_steal_pointer(&plan);
}
