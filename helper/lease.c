/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Forwards that follow DHCP leases. libvirt's leases helper keeps, per bridge, a JSON file
 * DNSMASQ_DIR/BRIDGE.status listing the current leases:
 *   [ { "ip-address": "...", "mac-address": "...", "hostname": "...",
 *       "client-id": "...", "expiry-time": 1700000000 }, ... ]
 * (libvirt 9.0 and 11.3, src/network/leaseshelper.c; expiry-time 0 means infinite).
 * An address is used only while a live lease ties it to the guest's MAC on the guest's
 * network and lies inside that network's subnet: an address that passes to another
 * guest never carries the first guest's ports.
 */
#include "lease.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "firewalld.h"
#include "state.h"
#include "vfw-error.h"

#define STATUS_MAX_SIZE (4 * 1024 * 1024)

/* @key of @lease if it is a string (NULL otherwise: json-glib's getters would turn a
 * number into NULL or a string into 0, and 0 means "never expires" here). */
static const char *
string_member(JsonObject *lease, const char *key)
{
    JsonNode *node = lease ? json_object_get_member(lease, key) : NULL;

    return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
               ? json_node_get_string(node)
               : NULL;
}

/* @key of @lease if it is an integer, else -1. */
static gint64
int_member(JsonObject *lease, const char *key)
{
    JsonNode *node = lease ? json_object_get_member(lease, key) : NULL;

    return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64
               ? json_node_get_int(node)
               : -1;
}

/**
 * vfw_lease_lookup:
 * The IPv4 address leased to @mac according to libvirt's status file @path, if the lease
 * is live at @now (seconds since the epoch). NULL when there is none, and when the file
 * is not a JSON array of lease objects (json-glib: a hostname with braces or quotes in it
 * is a string like any other).
 */
GInetAddress *
vfw_lease_lookup(const char *path, const char *mac, gint64 now)
{
    g_autofree char *data = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray *leases;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, NULL) || len > STATUS_MAX_SIZE ||
        !json_parser_load_from_data(parser, data, (gssize)len, NULL) ||
        !json_parser_get_root(parser) || /* an empty file parses, to no root */
        !JSON_NODE_HOLDS_ARRAY(json_parser_get_root(parser)))
        return NULL;
    leases = json_node_get_array(json_parser_get_root(parser));
    for (guint i = 0; i < json_array_get_length(leases); i++) {
        JsonNode *node = json_array_get_element(leases, i);
        JsonObject *lease = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
        const char *lease_mac = string_member(lease, "mac-address");
        const char *ip = string_member(lease, "ip-address");
        gint64 until = int_member(lease, "expiry-time");
        g_autoptr(GInetAddress) addr = ip ? g_inet_address_new_from_string(ip) : NULL;

        if (!lease_mac || g_ascii_strcasecmp(lease_mac, mac) != 0 || !addr ||
            g_inet_address_get_family(addr) != G_SOCKET_FAMILY_IPV4)
            continue;
        if (until == 0 || until > now)
            return g_steal_pointer(&addr);
    }
    return NULL;
}

/* Appends to @rules what a lease forward becomes while @addr is leased to it. */
static void
add_lease_rules(GPtrArray *rules, const VfwLeaseForward *lf, GInetAddress *addr)
{
    g_autofree char *to_addr = g_inet_address_to_string(addr);
    g_autofree char *origin = vfw_lease_origin(lf);

    vfw_rules_add_forward(rules, &lf->spec, G_SOCKET_FAMILY_IPV4, to_addr, lf->source, lf->network,
                          origin);
}

/* What @gs's lease forwards should publish right now. */
static GPtrArray *
desired_lease_rules(const VfwContext *ctx, VfwState *state, const VfwGuestState *gs, gint64 now)
{
    GPtrArray *rules = g_ptr_array_new_with_free_func(vfw_rule_free);

    for (guint i = 0; i < gs->leases->len; i++) {
        const VfwLeaseForward *lf = g_ptr_array_index(gs->leases, i);
        g_autoptr(VfwNetwork) net = vfw_load_network(ctx, state, lf->network, NULL);
        g_autofree char *file = NULL;
        g_autofree char *path = NULL;
        g_autoptr(GInetAddress) addr = NULL;

        if (!net || !net->bridge)
            continue;
        file = g_strdup_printf("%s.status", net->bridge);
        path = g_build_filename(ctx->dnsmasq_dir, file, NULL);
        addr = vfw_lease_lookup(path, lf->mac, now);
        /* The guard: the leased address must belong to the guest's own network. */
        if (addr && vfw_network_find_subnet(net, addr))
            add_lease_rules(rules, lf, addr);
    }
    vfw_rules_add_hairpins(rules);
    return rules;
}

static gboolean
has_rule(GPtrArray *rules, const char *rich)
{
    for (guint i = 0; i < rules->len; i++) {
        if (strcmp(((VfwRule *)g_ptr_array_index(rules, i))->rich_rule, rich) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Moves @gs's lease rules to @want: intent record (marked pending), firewalld, final record.
 * A pending record is one whose last change may not have reached firewalld (refused, or
 * firewalld absent): then the record cannot tell what firewalld has, and every rule of the
 * guest is asserted again (idempotent) instead of only the difference. */
static gboolean
move_lease_rules(const VfwContext *ctx, VfwState *state, VfwFirewalld *fw, VfwGuestState *gs,
                 GPtrArray *want, guint *changed, GError **error)
{
    g_autoptr(GPtrArray) add = g_ptr_array_new();
    g_autoptr(GPtrArray) remove = g_ptr_array_new();
    gboolean retry = gs->pending;
    gboolean dirty = !gs->pending; /* the intent record differs from the one on disk */

    for (guint i = 0; i < want->len; i++) {
        VfwRule *r = g_ptr_array_index(want, i);
        if (!has_rule(gs->rules, r->rich_rule))
            g_ptr_array_add(add, r->rich_rule);
    }
    for (guint i = 0; i < gs->rules->len; i++) {
        VfwRule *r = g_ptr_array_index(gs->rules, i);
        gboolean from_lease = r->origin && g_str_has_prefix(r->origin, "lease ");
        /* what an upgrade replaced goes, whatever the lease does */
        if ((from_lease && !has_rule(want, r->rich_rule)) || r->kind == VFW_RULE_REPLACED)
            g_ptr_array_add(remove, r->rich_rule);
    }
    if (add->len == 0 && remove->len == 0 && !retry)
        return TRUE;
    /* intent: everything that may be in firewalld once we start */
    for (guint i = 0; i < want->len; i++) {
        VfwRule *r = g_ptr_array_index(want, i);
        if (!has_rule(gs->rules, r->rich_rule)) {
            g_ptr_array_add(gs->rules, vfw_rule_copy(r));
            dirty = TRUE;
        }
    }
    if (retry) {
        g_ptr_array_set_size(add, 0);
        for (guint i = 0; i < gs->rules->len; i++) {
            VfwRule *r = g_ptr_array_index(gs->rules, i);
            if (!g_ptr_array_find_with_equal_func(remove, r->rich_rule, g_str_equal, NULL))
                g_ptr_array_add(add, r->rich_rule);
        }
    }
    /* A retry of the same intent leaves the record as it is: `watch` follows the records'
     * directory, and rewriting it on every refusal made each attempt trigger the next. */
    gs->pending = TRUE;
    if ((dirty && !vfw_state_save_guest(state, gs, error)) ||
        !vfw_firewalld_edit_everywhere(fw, add, remove, NULL, error))
        return FALSE;
    for (guint i = 0; i < gs->rules->len;) {
        VfwRule *r = g_ptr_array_index(gs->rules, i);
        if (g_ptr_array_find_with_equal_func(remove, r->rich_rule, g_str_equal, NULL))
            g_ptr_array_remove_index(gs->rules, i);
        else
            i++;
    }
    gs->pending = FALSE;
    (*changed)++;
    return vfw_state_save_guest(state, gs, error);
}

/**
 * vfw_leases_reconcile:
 * For every running guest with lease forwards, publishes them to the address currently
 * leased to its MAC on its network, moves them when the lease moves, removes them when it
 * ends. @changed counts the guests whose rules changed. A guest that fails does not hold
 * back the others; the error names every guest that failed. The host-wide lock is held
 * throughout.
 */
gboolean
vfw_leases_reconcile(const VfwContext *ctx, guint timeout_ms, guint *changed, GError **error)
{
    g_autoptr(VfwState) state = vfw_context_open_state(ctx, error);
    g_autoptr(GPtrArray) guests = NULL;
    g_autoptr(VfwFirewalld) fw = NULL;
    g_autoptr(GString) failures = NULL;
    GError *first = NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;

    if (!state || !(guests = vfw_state_list_guests(state, error)))
        return FALSE;
    for (guint g = 0; g < guests->len; g++) {
        VfwGuestState *gs = g_ptr_array_index(guests, g);
        g_autoptr(GPtrArray) want = NULL;
        g_autoptr(GError) local_error = NULL;

        if (gs->stopped || gs->leases->len == 0)
            continue;
        want = desired_lease_rules(ctx, state, gs, now);
        if (!fw && !(fw = vfw_firewalld_new(ctx->bus, timeout_ms, error)))
            return FALSE;
        if (move_lease_rules(ctx, state, fw, gs, want, changed, &local_error))
            continue;
        if (g_error_matches(local_error, VFW_ERROR, VFW_ERROR_FIREWALLD_ABSENT)) {
            /* every other guest would wait one more timeout */
            g_propagate_prefixed_error(error, g_steal_pointer(&local_error),
                                       "guest '%s': ", gs->name);
            return FALSE;
        }
        if (!failures) {
            failures = g_string_new(NULL);
            first = g_error_copy(local_error);
        }
        g_string_append_printf(failures, "%sguest '%s': %s", failures->len ? "; " : "", gs->name,
                               local_error->message);
    }
    if (!failures)
        return TRUE;
    g_set_error_literal(error, first->domain, first->code, failures->str);
    g_error_free(first);
    return FALSE;
}
