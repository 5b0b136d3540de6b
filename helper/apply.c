/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Applying and removing one guest's rules: the transaction between the state directory
 * and firewalld. Every rule goes into both shipped policies (ANY -> ANY for inbound
 * traffic, HOST -> ANY for the host itself) and into both the runtime configuration
 * (effective at once) and the permanent one (survives reloads and restarts with no action
 * of ours). The host-wide lock is held from reading the state to writing it back.
 */
#include "hook.h"

#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "firewalld.h"
#include "hostaddr.h"
#include "state.h"
#include "vfw-error.h"

/* Rich rules of @rules that are not in @except (by text). */
static GPtrArray *
rich_rules_minus(GPtrArray *rules, GPtrArray *except)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; rules && i < rules->len; i++) {
        const VfwRule *rule = g_ptr_array_index(rules, i);
        gboolean found = FALSE;
        for (guint j = 0; except && j < except->len && !found; j++)
            found = strcmp(rule->rich_rule,
                           ((const VfwRule *)g_ptr_array_index(except, j))->rich_rule) == 0;
        if (!found)
            g_ptr_array_add(out, rule->rich_rule);
    }
    return out;
}

/* The message naming guest @other when its rules or lease forwards catch the host port of
 * @spec (@family; G_SOCKET_FAMILY_INVALID: any), or NULL. Lease forwards are IPv4. */
static char *
conflict_with(const VfwGuestState *other, const VfwDomain *domain, const VfwPortSpec *spec,
              GSocketFamily family)
{
    const VfwPortSpec *hit = NULL;

    if (strcmp(other->uuid, domain->uuid) == 0)
        return NULL;
    for (guint r = 0; r < other->rules->len && !hit; r++) {
        const VfwRule *theirs = g_ptr_array_index(other->rules, r);
        if (theirs->kind == VFW_RULE_FORWARD &&
            (family == G_SOCKET_FAMILY_INVALID || family == theirs->family) &&
            vfw_port_spec_overlaps(spec, &theirs->spec))
            hit = &theirs->spec;
    }
    for (guint l = 0; l < other->leases->len && !hit; l++) {
        const VfwLeaseForward *theirs = g_ptr_array_index(other->leases, l);
        if (family != G_SOCKET_FAMILY_IPV6 && vfw_port_spec_overlaps(spec, &theirs->spec))
            hit = &theirs->spec;
    }
    if (!hit)
        return NULL;
    g_autofree char *a = vfw_port_spec_to_string(spec);
    g_autofree char *b = vfw_port_spec_to_string(hit);
    return g_strdup_printf("guest '%s': host port of forward '%s' already published by "
                           "guest '%s' (forward '%s')%s",
                           domain->name, a, other->name, b,
                           other->stopped ? ", which stopped but is not cleaned up yet: "
                                            "run 'virt-firewalld sync'"
                                          : "");
}

/* The guest being applied, and per rule of its next->rules, then per lease forward, the
 * first conflict found (or NULL) over the records seen so far. */
typedef struct {
    const VfwDomain *domain;
    const VfwGuestState *next;
    GPtrArray *found; /* char *, owned */
} ConflictScan;

static void
scan_for_conflicts(VfwGuestState *other, gpointer data)
{
    ConflictScan *scan = data;
    guint nrules = scan->next->rules->len;

    for (guint i = 0; i < scan->found->len; i++) {
        if (g_ptr_array_index(scan->found, i))
            continue;
        if (i < nrules) {
            const VfwRule *mine = g_ptr_array_index(scan->next->rules, i);
            scan->found->pdata[i] = conflict_with(other, scan->domain, &mine->spec, mine->family);
        } else {
            const VfwLeaseForward *mine = g_ptr_array_index(scan->next->leases, i - nrules);
            scan->found->pdata[i] =
                conflict_with(other, scan->domain, &mine->spec, G_SOCKET_FAMILY_IPV4);
        }
    }
    vfw_guest_state_free(other);
}

/* The records a conflict check read are freed, but glibc's heap keeps their pages. Handing
 * them back keeps that phase's peak from adding up with the policy writes' (~300 KB per
 * list of 5,000 forward-ports, each way) in the hook's resident memory. */
static void
release_freed_pages(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* Per rule of @next, then per lease forward, the first conflict over every record (or
 * NULL); NULL with @error set when a record cannot be read. The records are read one at a
 * time, each only for its ports. */
static GPtrArray *
find_conflicts(VfwState *state, const VfwDomain *domain, const VfwGuestState *next, GError **error)
{
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
    ConflictScan scan = { .domain = domain, .next = next, .found = found };

    g_ptr_array_set_size(found, next->rules->len + next->leases->len);
    if (!vfw_state_foreach_guest_brief(state, scan_for_conflicts, &scan, error))
        return NULL;
    return g_steal_pointer(&found);
}

/* Rule @i of @next, a joined one that conflicts, looked at port by port, as it was
 * declared: the error names the port another guest has; with on-error=warn only such
 * ports are dropped (with their warnings) and the others stay, joined again in its place
 * (@found follows). */
static gboolean
split_conflicting(VfwState *state, const VfwConfig *config, const VfwDomain *domain,
                  VfwGuestState *next, GPtrArray *found, guint i, GPtrArray *warnings,
                  GError **error)
{
    const VfwRule *joined = g_ptr_array_index(next->rules, i);
    g_autoptr(VfwGuestState) parts = vfw_guest_state_new(domain->name, domain->uuid);
    g_autoptr(GPtrArray) part_found = NULL;

    for (guint port = joined->spec.host_port; port <= joined->spec.host_port_end; port++) {
        VfwPortSpec one = joined->spec;
        one.host_port = one.host_port_end = (guint16)port;
        g_ptr_array_add(parts->rules,
                        vfw_rule_new(&one, joined->family, joined->to_addr, joined->source,
                                     joined->network, joined->origin));
    }
    part_found = find_conflicts(state, domain, parts, error);
    if (!part_found)
        return FALSE;
    for (guint j = 0; j < part_found->len; j++) {
        char *msg = g_ptr_array_index(part_found, j);
        if (msg && config->on_error != VFW_ON_ERROR_WARN) {
            g_free(found->pdata[i]);
            found->pdata[i] = g_steal_pointer(&part_found->pdata[j]);
            return TRUE;
        }
        if (msg)
            g_ptr_array_add(warnings, g_strdup_printf("%s, ignoring", msg));
    }
    for (guint j = part_found->len; j-- > 0;) {
        if (g_ptr_array_index(part_found, j))
            g_ptr_array_remove_index(parts->rules, j);
    }
    vfw_rules_merge_ports(parts->rules);
    g_ptr_array_remove_index(next->rules, i);
    g_ptr_array_remove_index(found, i);
    for (guint k = 0; parts->rules->len > 0; k++) {
        g_ptr_array_insert(next->rules, (gint)(i + k), g_ptr_array_steal_index(parts->rules, 0));
        g_ptr_array_insert(found, (gint)(i + k), NULL);
    }
    return TRUE;
}

/* Refuses (or, with on-error=warn, drops) rules and lease forwards whose host port another
 * guest publishes. A host with thousands of recorded forwards never has them all in memory
 * in a guest's hook. */
static gboolean
check_conflicts(VfwState *state, const VfwConfig *config, const VfwDomain *domain,
                VfwGuestState *next, GPtrArray *warnings, GError **error)
{
    g_autoptr(GPtrArray) found = find_conflicts(state, domain, next, error);
    guint nrules;

    if (!found)
        return FALSE;
    /* backwards: a split changes the indexes after it only */
    for (guint i = next->rules->len; i-- > 0;) {
        const VfwRule *rule = g_ptr_array_index(next->rules, i);
        if (g_ptr_array_index(found, i) && rule->kind == VFW_RULE_FORWARD &&
            vfw_port_spec_is_range_to_one_port(&rule->spec) &&
            !split_conflicting(state, config, domain, next, found, i, warnings, error))
            return FALSE;
    }
    release_freed_pages();
    nrules = next->rules->len;
    /* the first conflict in the plan's order refuses; with on-error=warn each is dropped */
    for (guint i = 0; i < found->len; i++) {
        const char *msg = g_ptr_array_index(found, i);
        if (msg && config->on_error != VFW_ON_ERROR_WARN) {
            g_set_error_literal(error, VFW_ERROR, VFW_ERROR_CONFLICT, msg);
            return FALSE;
        }
        if (msg)
            g_ptr_array_add(warnings, g_strdup_printf("%s, ignoring", msg));
    }
    /* backwards, so that a removal leaves the indexes still to look at as they were */
    for (guint i = found->len; i-- > 0;) {
        if (!g_ptr_array_index(found, i))
            continue;
        if (i < nrules)
            g_ptr_array_remove_index(next->rules, i);
        else
            g_ptr_array_remove_index(next->leases, i - nrules);
    }
    return TRUE;
}

/* TRUE when lease forward @lf, leased @r's guest address, publishes exactly @r. */
static gboolean
lease_builds(const VfwLeaseForward *lf, const VfwRule *r)
{
    g_autoptr(GPtrArray) built = g_ptr_array_new_with_free_func(vfw_rule_free);
    g_autofree char *origin = vfw_lease_origin(lf);

    if (r->kind != VFW_RULE_FORWARD)
        return FALSE;
    vfw_rules_add_forward(built, &lf->spec, r->family, r->to_addr, lf->source, lf->network, origin);
    for (guint i = 0; i < built->len; i++) {
        if (strcmp(((const VfwRule *)g_ptr_array_index(built, i))->rich_rule, r->rich_rule) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Rules an earlier run published from a lease that @plan still follows: kept, so that a
 * re-assert (reconnect, attach, sync) does not drop them until watch looks again. */
static void
keep_lease_rules(GPtrArray *to, const VfwGuestState *old, const VfwPlan *plan)
{
    for (guint i = 0; old && i < old->rules->len; i++) {
        const VfwRule *r = g_ptr_array_index(old->rules, i);
        for (guint l = 0;
             r->origin && g_str_has_prefix(r->origin, "lease ") && l < plan->leases->len; l++) {
            const VfwLeaseForward *lf = g_ptr_array_index(plan->leases, l);
            g_autofree char *origin = vfw_lease_origin(lf);
            /* the lease's hairpin rule, or one this forward builds for that address now (a
             * port of a shifted range included; a forward whose ports changed builds others) */
            if (strcmp(origin, r->origin) == 0 &&
                (r->kind == VFW_RULE_HAIRPIN || lease_builds(lf, r))) {
                g_ptr_array_add(to, vfw_rule_copy(r));
                break;
            }
        }
    }
}

/* Brings the host address sets up to date before rules that match on them go in. Only
 * firewalld's absence is an error (the caller records the guest as pending); a refusal is a
 * warning naming @guest, and the forwards still go in. */
static gboolean
refresh_host_sets(VfwFirewalld *fw, gboolean prune, const char *guest, GPtrArray *warnings,
                  GError **error)
{
    g_autoptr(GError) local_error = NULL;

    if (vfw_host_sets_refresh(fw, prune, NULL, &local_error))
        return TRUE;
    if (g_error_matches(local_error, VFW_ERROR, VFW_ERROR_FIREWALLD_ABSENT)) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    if (guest)
        g_ptr_array_add(warnings, g_strdup_printf("guest '%s': %s", guest, local_error->message));
    else
        g_ptr_array_add(warnings, g_strdup(local_error->message));
    return TRUE;
}

static void
copy_leases(GPtrArray *to, GPtrArray *from)
{
    for (guint i = 0; from && i < from->len; i++) {
        const VfwLeaseForward *lf = g_ptr_array_index(from, i);
        g_ptr_array_add(
            to, vfw_lease_forward_new(&lf->spec, lf->mac, lf->network, lf->source, lf->origin));
    }
}

static void
copy_rules(GPtrArray *to, GPtrArray *from)
{
    for (guint i = 0; from && i < from->len; i++)
        g_ptr_array_add(to, vfw_rule_copy(g_ptr_array_index(from, i)));
}

/**
 * vfw_apply_guest:
 * Makes firewalld publish exactly @plan's rules for @domain: adds what is missing, removes
 * what an earlier run of ours added and the plan no longer has. Idempotent. When firewalld
 * is absent the rules are recorded as pending (for `virt-firewalld sync`) and a warning is
 * returned; @error is set only for what must stop the guest (state, conflicts, firewalld
 * refusing a rule), and then firewalld is left as it was.
 */
gboolean
vfw_apply_guest(const VfwContext *ctx, const VfwConfig *config, const VfwDomain *domain,
                const VfwPlan *plan, GPtrArray *warnings, GError **error)
{
    g_autoptr(VfwState) state = NULL;
    g_autoptr(VfwGuestState) old = NULL;
    g_autoptr(VfwGuestState) next = vfw_guest_state_new(domain->name, domain->uuid);
    g_autoptr(VfwFirewalld) fw = NULL;
    g_autoptr(GPtrArray) add = NULL;
    g_autoptr(GPtrArray) remove = NULL;
    g_autoptr(GError) fw_error = NULL;
    gboolean undone = TRUE;

    copy_rules(next->rules, plan->rules);
    copy_leases(next->leases, plan->leases);
    state = vfw_context_open_state(ctx, error);
    if (!state || !vfw_state_load_guest(state, domain->uuid, &old, error))
        return FALSE;
    if (!old && next->rules->len == 0 && next->leases->len == 0)
        return TRUE;
    keep_lease_rules(next->rules, old, plan);
    if (!check_conflicts(state, config, domain, next, warnings, error))
        return FALSE;

    add = rich_rules_minus(next->rules, NULL);
    remove = rich_rules_minus(old ? old->rules : NULL, next->rules);

    /* Intent first: the record lists every rule that may be in firewalld from now on. */
    {
        g_autoptr(VfwGuestState) intent = vfw_guest_state_new(domain->name, domain->uuid);
        copy_rules(intent->rules, next->rules);
        copy_leases(intent->leases, next->leases);
        for (guint i = 0; old && i < old->rules->len; i++) {
            const VfwRule *r = g_ptr_array_index(old->rules, i);
            if (g_ptr_array_find_with_equal_func(remove, r->rich_rule, g_str_equal, NULL))
                g_ptr_array_add(intent->rules, vfw_rule_copy(r));
        }
        intent->pending = TRUE;
        if (!vfw_state_save_guest(state, intent, error))
            return FALSE;
    }

    fw = vfw_firewalld_new(ctx->bus, config->dbus_timeout_ms, &fw_error);
    if (fw && add->len > 0 && !refresh_host_sets(fw, TRUE, domain->name, warnings, &fw_error))
        g_clear_pointer(&fw, vfw_firewalld_free);
    if (fw && vfw_firewalld_edit_everywhere(fw, add, remove, &undone, &fw_error)) {
        if (next->rules->len == 0 && next->leases->len == 0)
            return vfw_state_remove_guest(state, domain->uuid, error);
        return vfw_state_save_guest(state, next, error);
    }
    if (g_error_matches(fw_error, VFW_ERROR, VFW_ERROR_FIREWALLD_ABSENT)) {
        g_ptr_array_add(warnings, g_strdup_printf("guest '%s': %s; its forwards are recorded and "
                                                  "'virt-firewalld sync' will apply them",
                                                  domain->name, fw_error->message));
        return TRUE; /* the intent record (pending) stays */
    }
    if (fw && !undone) {
        /* refused, and the undo did not complete: rules of this change may be in
         * firewalld, and the intent record (pending) lists them all */
        g_set_error(error, fw_error->domain, fw_error->code,
                    "guest '%s': %s; its rules stay recorded: 'virt-firewalld sync' removes "
                    "what is left",
                    domain->name, fw_error->message);
        return FALSE;
    }
    /* firewalld refused: it is back as it was; so is our record. */
    if (old)
        vfw_state_save_guest(state, old, NULL);
    else
        vfw_state_remove_guest(state, domain->uuid, NULL);
    g_propagate_prefixed_error(error, g_steal_pointer(&fw_error), "guest '%s': ", domain->name);
    return FALSE;
}

typedef struct {
    const char *uuid;
    GPtrArray *remove; /* texts, borrowed */
} SharedScan;

static void
drop_shared(VfwGuestState *other, gpointer data)
{
    SharedScan *scan = data;

    for (guint r = 0; !other->stopped && strcmp(other->uuid, scan->uuid) != 0 &&
                      r < other->rules->len && scan->remove->len > 0;
         r++) {
        const char *text = ((VfwRule *)g_ptr_array_index(other->rules, r))->rich_rule;
        guint at;
        while (g_ptr_array_find_with_equal_func(scan->remove, text, g_str_equal, &at))
            g_ptr_array_remove_index(scan->remove, at);
    }
    vfw_guest_state_free(other);
}

/* Takes out of @remove (texts, borrowed) those another guest of this boot that has not
 * stopped still lists: a hairpin rule names only the guest address, and a guest that
 * stopped uncleaned may have had the address a running guest has now. */
static void
keep_shared(VfwState *state, const char *uuid, GPtrArray *remove)
{
    SharedScan scan = { .uuid = uuid, .remove = remove };

    /* an unreadable record holds back nothing: what it shares with this guest goes (the
     * records read before it still hold back theirs) */
    vfw_state_foreach_guest(state, drop_shared, &scan, NULL);
}

/**
 * vfw_remove_guest:
 * Removes exactly the rules recorded for guest @uuid from firewalld (runtime and
 * permanent), whatever the configuration says now, and forgets the record. When firewalld
 * is absent the record is kept, marked stopped, for `virt-firewalld sync`.
 */
gboolean
vfw_remove_guest(const VfwContext *ctx, const char *uuid, const char *name, guint timeout_ms,
                 GPtrArray *warnings, GError **error)
{
    g_autoptr(VfwState) state = NULL;
    g_autoptr(VfwGuestState) gs = NULL;
    g_autoptr(VfwFirewalld) fw = NULL;
    g_autoptr(GPtrArray) remove = NULL;
    g_autoptr(GPtrArray) none = g_ptr_array_new();
    g_autoptr(GError) fw_error = NULL;

    state = vfw_context_open_state(ctx, error);
    if (!state || !vfw_state_load_guest_any(state, uuid, &gs, error))
        return FALSE;
    if (!gs)
        return TRUE;
    remove = rich_rules_minus(gs->rules, NULL);
    keep_shared(state, uuid, remove);
    fw = vfw_firewalld_new(ctx->bus, timeout_ms, &fw_error);
    if (fw && vfw_firewalld_edit_everywhere(fw, none, remove, NULL, &fw_error))
        return vfw_state_remove_guest(state, uuid, error);
    gs->stopped = TRUE;
    if (!vfw_state_save_guest(state, gs, error))
        return FALSE;
    g_ptr_array_add(warnings, g_strdup_printf("guest '%s': %s; its forwards stay recorded and "
                                              "'virt-firewalld sync' will remove them",
                                              name, fw_error->message));
    return TRUE;
}

/* One recorded guest for vfw_reassert_recorded(): its rules go back in, or out. */
typedef struct {
    VfwGuestState *gs; /* borrowed */
    gboolean out;      /* stopped, or known only to the ledger */
    GPtrArray *stale;  /* char *: texts an older version applied, to take out; or NULL */
} Recorded;

/* Rewrites @gs's rules as this version builds them (an older one published forwards
 * without a host address unscoped, a shifted range as one rule, and no hairpin rule).
 * Returns the texts that were replaced, NULL when the record is current. */
static GPtrArray *
upgrade_rules(VfwGuestState *gs)
{
    g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func(vfw_rule_free);
    g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < gs->rules->len; i++) {
        const VfwRule *r = g_ptr_array_index(gs->rules, i);
        if (vfw_rule_is_current(r)) {
            g_ptr_array_add(rules, vfw_rule_copy(r));
            continue;
        }
        g_ptr_array_add(stale, g_strdup(r->rich_rule));
        if (r->kind == VFW_RULE_FORWARD)
            vfw_rules_add_forward(rules, &r->spec, r->family, r->to_addr, r->source, r->network,
                                  r->origin);
    }
    vfw_rules_add_hairpins(rules);
    if (stale->len == 0 && rules->len == gs->rules->len)
        return NULL;
    g_ptr_array_unref(gs->rules);
    gs->rules = g_steal_pointer(&rules);
    return g_steal_pointer(&stale);
}

/* Upgrades the record of @e (not one going out) and saves the intent first: the new rules
 * and the replaced ones, every one that may be in firewalld from now on. */
static gboolean
upgrade_recorded(VfwState *state, Recorded *e, GError **error)
{
    g_autoptr(VfwGuestState) intent = NULL;

    if (e->out || !(e->stale = upgrade_rules(e->gs)))
        return TRUE;
    intent = vfw_guest_state_new(e->gs->name, e->gs->uuid);
    copy_rules(intent->rules, e->gs->rules);
    copy_leases(intent->leases, e->gs->leases);
    for (guint i = 0; i < e->stale->len; i++) {
        VfwRule *r = vfw_rule_new_recorded(&(VfwPortSpec){ 0 }, G_SOCKET_FAMILY_IPV4, "", NULL,
                                           NULL, "replaced", g_ptr_array_index(e->stale, i));
        r->kind = VFW_RULE_REPLACED; /* only ever removed; never a conflict */
        g_ptr_array_add(intent->rules, r);
    }
    intent->pending = TRUE;
    intent->stopped = e->gs->stopped;
    return vfw_state_save_guest(state, intent, error);
}

static void
clear_recorded(gpointer data)
{
    Recorded *e = data;

    g_clear_pointer(&e->stale, g_ptr_array_unref);
}

/* Puts @n entries' rules in or out in one transaction, then updates their records. */
static gboolean
reassert_batch(VfwState *state, VfwFirewalld *fw, const Recorded *entries, guint n, guint *applied,
               guint *removed, GError **error)
{
    g_autoptr(GPtrArray) add = g_ptr_array_new();
    g_autoptr(GPtrArray) remove = g_ptr_array_new();

    for (guint i = 0; i < n; i++) {
        GPtrArray *rules = entries[i].gs->rules;
        for (guint r = 0; r < rules->len; r++) {
            const VfwRule *rule = g_ptr_array_index(rules, r);
            gboolean out = entries[i].out || rule->kind == VFW_RULE_REPLACED;
            g_ptr_array_add(out ? remove : add, rule->rich_rule);
        }
        if (entries[i].stale)
            g_ptr_array_extend(remove, entries[i].stale, NULL, NULL);
    }
    if (!vfw_firewalld_edit_everywhere(fw, add, remove, NULL, error))
        return FALSE;
    for (guint i = 0; i < n; i++) {
        VfwGuestState *gs = entries[i].gs;
        gs->pending = FALSE;
        if (entries[i].out ? !vfw_state_remove_guest(state, gs->uuid, error)
                           : !vfw_state_save_guest(state, gs, error))
            return FALSE;
        (*(entries[i].out ? removed : applied))++;
    }
    return TRUE;
}

/**
 * vfw_reassert_recorded:
 * Without asking libvirt (the boot-time and firewalld-restart path, which runs before
 * libvirt's daemons): puts back into firewalld the rules recorded for guests of this boot
 * (e.g. pending because firewalld was down when they started), removes those of guests
 * recorded as stopped, and those only the ledger knows (from before a reboot or crash:
 * their guests cannot be running). Counts go to @applied and @removed.
 *
 * All guests go in one transaction (one read and at most one write of each place, not those
 * per guest: the lock is held throughout). When firewalld refuses it, each guest is tried
 * on its own, so that one bad record does not hold back the others; those firewalld
 * refuses become @warnings, keep their records, and make the result an error.
 */
gboolean
vfw_reassert_recorded(const VfwContext *ctx, guint timeout_ms, guint *applied, guint *removed,
                      GPtrArray *warnings, GError **error)
{
    g_autoptr(VfwState) state = vfw_context_open_state(ctx, error);
    g_autoptr(GPtrArray) current = NULL;
    g_autoptr(GPtrArray) ledger = NULL;
    g_autoptr(VfwFirewalld) fw = NULL;
    g_autoptr(GArray) entries = g_array_new(FALSE, FALSE, sizeof(Recorded));
    g_autoptr(GError) local_error = NULL;
    guint refused = 0;

    if (!state || !(current = vfw_state_list_guests(state, error)) ||
        !(ledger = vfw_state_list_ledger(state, current, error)))
        return FALSE;
    g_array_set_clear_func(entries, clear_recorded);
    for (guint i = 0; i < current->len; i++) {
        Recorded e = { g_ptr_array_index(current, i), FALSE, NULL };
        e.out = e.gs->stopped;
        g_array_append_val(entries, e);
    }
    for (guint i = 0; i < ledger->len; i++) {
        Recorded e = { g_ptr_array_index(ledger, i), TRUE, NULL };
        g_array_append_val(entries, e);
    }
    fw = vfw_firewalld_new(ctx->bus, timeout_ms, &local_error);
    if (fw)
        refresh_host_sets(fw, FALSE, NULL, warnings, &local_error); /* boot: add only */
    if (local_error && entries->len == 0)
        return TRUE; /* nothing recorded: the next hook run sets the addresses */
    if (local_error) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    for (guint i = 0; i < entries->len; i++) {
        if (!upgrade_recorded(state, &g_array_index(entries, Recorded, i), error))
            return FALSE;
    }
    if (entries->len == 0)
        return TRUE;
    if (reassert_batch(state, fw, (Recorded *)entries->data, entries->len, applied, removed,
                       &local_error))
        return TRUE;
    if (!g_error_matches(local_error, VFW_ERROR, VFW_ERROR_FIREWALLD)) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    for (guint i = 0; i < entries->len; i++) {
        const Recorded *e = &g_array_index(entries, Recorded, i);
        g_clear_error(&local_error);
        if (reassert_batch(state, fw, e, 1, applied, removed, &local_error))
            continue;
        if (!g_error_matches(local_error, VFW_ERROR, VFW_ERROR_FIREWALLD)) {
            g_propagate_error(error, g_steal_pointer(&local_error));
            return FALSE;
        }
        g_ptr_array_add(warnings,
                        g_strdup_printf("guest '%s': %s", e->gs->name, local_error->message));
        refused++;
    }
    if (refused)
        g_set_error(error, VFW_ERROR, VFW_ERROR_FIREWALLD,
                    "firewalld refused the rules of %u recorded guests (see the warnings above); "
                    "their records are kept",
                    refused);
    return refused == 0;
}

/**
 * vfw_guest_record_matches:
 * TRUE when the record of @domain lists exactly @plan's rules: what the qemu hook's
 * 'start' checks, right after 'prepare' applied them, to skip a second round of firewalld
 * calls (a guest start then costs one round, and a frozen firewalld one timeout).
 */
gboolean
vfw_guest_record_matches(const VfwContext *ctx, const VfwDomain *domain, const VfwPlan *plan)
{
    g_autoptr(VfwState) state = vfw_state_open(ctx->statedir, ctx->lock_timeout_ms, NULL);
    g_autoptr(VfwGuestState) gs = NULL;

    if (!state || !vfw_state_load_guest(state, domain->uuid, &gs, NULL) || !gs)
        return FALSE;
    return vfw_rules_same_text(plan->rules, gs->rules);
}
