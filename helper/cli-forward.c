/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virt-firewalld forward add GUEST SPEC [--address A]`, `forward remove GUEST SPEC`,
 * `forward list GUEST`: edit the forwards in the guest's metadata through the libvirt API
 * (live and persistent definitions) and, when the guest runs, apply the change at once.
 */
#include "cli.h"

#include <string.h>
#include <libvirt/virterror.h>

#include "vfw-error.h"
#include "virt.h"

typedef struct {
    const char *action;
    const char *guest;
    const char *spec;
    const char *address;
} FwdArgs;

static virDomainPtr
lookup_domain(virConnectPtr conn, const char *guest, GError **error)
{
    virDomainPtr dom = virDomainLookupByName(conn, guest);

    if (!dom && g_uuid_string_is_valid(guest))
        dom = virDomainLookupByUUIDString(conn, guest);
    if (!dom)
        vfw_virt_set_error(error, "guest '%s'", guest);
    return dom;
}

/* <forwards> with every forward of @list; children unprefixed, as `virsh metadata` writes. */
static char *
metadata_xml(GPtrArray *list)
{
    GString *xml = g_string_new("<forwards>");

    for (guint i = 0; i < list->len; i++) {
        const VfwMetaForward *f = g_ptr_array_index(list, i);
        g_autofree char *spec = g_markup_escape_text(f->spec, -1);
        g_autofree char *addr = f->address ? g_markup_escape_text(f->address, -1) : NULL;
        g_string_append_printf(xml, "<forward spec=\"%s\"%s%s%s/>", spec, addr ? " address=\"" : "",
                               addr ? addr : "", addr ? "\"" : "");
    }
    g_string_append(xml, "</forwards>");
    return g_string_free(xml, FALSE);
}

static gboolean
set_metadata(virDomainPtr dom, GPtrArray *list, GError **error)
{
    g_autofree char *xml = metadata_xml(list);
    unsigned int flags = 0;

    if (virDomainIsActive(dom) == 1)
        flags |= VIR_DOMAIN_AFFECT_LIVE;
    if (virDomainIsPersistent(dom) == 1)
        flags |= VIR_DOMAIN_AFFECT_CONFIG;
    if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, list->len ? xml : NULL, "vf",
                             VFW_METADATA_NS, flags) < 0) {
        vfw_virt_set_error(error, "guest '%s': writing metadata", virDomainGetName(dom));
        return FALSE;
    }
    return TRUE;
}

/* Whether @plan publishes @spec at all, for some address family or through a DHCP lease.
 * The rules of no other forward of the guest match: vfw_collect_forwards() refuses
 * overlapping host ports. */
static gboolean
plan_publishes(const VfwPlan *plan, const VfwPortSpec *spec)
{
    for (guint i = 0; i < plan->rules->len; i++) {
        const VfwRule *rule = g_ptr_array_index(plan->rules, i);
        if (rule->kind == VFW_RULE_FORWARD && vfw_port_spec_overlaps(&rule->spec, spec))
            return TRUE;
    }
    for (guint i = 0; i < plan->leases->len; i++) {
        const VfwLeaseForward *lf = g_ptr_array_index(plan->leases, i);
        if (vfw_port_spec_overlaps(&lf->spec, spec))
            return TRUE;
    }
    return FALSE;
}

/* Publish what the running guest declares now (metadata just changed). @added: a forward
 * just added, or NULL: it is refused, before anything is applied, when the plan publishes
 * it nowhere (its guest address is on a nat, isolated or bridge network): the operator
 * asked for a port published now, not a declaration. The error is the plan's own reason. */
static gboolean
apply_live(VfwContext *ctx, virConnectPtr conn, virDomainPtr dom, const VfwPortSpec *added,
           GPtrArray *warnings, GError **error)
{
    g_autoptr(VfwConfig) config = vfw_config_load(ctx->confdir, error);
    g_autoptr(VfwDomain) domain = config ? vfw_virt_domain(dom, FALSE, error) : NULL;
    g_autoptr(GHashTable) networks = domain ? vfw_virt_active_networks(conn, error) : NULL;
    g_autoptr(VfwPlan) plan =
        networks ? vfw_plan_for_domain(config, domain, networks, error) : NULL;

    if (!plan)
        return FALSE;
    if (added && !plan_publishes(plan, added)) {
        g_autofree char *canon = vfw_port_spec_to_string(added);
        g_autofree char *left_out =
            g_strdup_printf("guest '%s': forward '%s' not published", domain->name, canon);
        const char *why = left_out;
        for (guint i = 0; i < plan->warnings->len; i++) {
            const char *w = g_ptr_array_index(plan->warnings, i);
            if (g_str_has_prefix(w, left_out)) {
                why = w;
                break;
            }
        }
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s", why);
        return FALSE;
    }
    for (guint i = 0; i < plan->warnings->len; i++)
        g_ptr_array_add(warnings, g_strdup(g_ptr_array_index(plan->warnings, i)));
    return vfw_apply_guest(ctx, config, domain, plan, warnings, error);
}

static GPtrArray *
copy_meta(GPtrArray *from)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < from->len; i++)
        g_ptr_array_add(out, g_ptr_array_index(from, i));
    return out;
}

static gboolean
forward_edit(VfwContext *ctx, const FwdArgs *args, GPtrArray *warnings, GError **error)
{
    g_autoptr(virConnect) conn = vfw_virt_connect(NULL, FALSE, error);
    g_autoptr(virDomain) dom = conn ? lookup_domain(conn, args->guest, error) : NULL;
    g_autoptr(VfwDomain) current = NULL;
    g_autoptr(GPtrArray) before = NULL;
    g_autoptr(GPtrArray) after = NULL;
    g_autofree char *canon = NULL;
    VfwMetaForward added = { (char *)args->spec, (char *)args->address };
    VfwPortSpec spec;
    gboolean adding = strcmp(args->action, "add") == 0;
    gboolean found = FALSE;

    if (!dom)
        return FALSE;
    if (!vfw_port_spec_parse_declared(args->spec, &spec, error))
        return FALSE;
    canon = vfw_port_spec_to_string(&spec);
    current = vfw_virt_domain(dom, virDomainIsActive(dom) != 1, error);
    if (!current)
        return FALSE;
    before = copy_meta(current->meta_forwards);
    after = copy_meta(current->meta_forwards);
    for (guint i = 0; i < after->len; i++) {
        const VfwMetaForward *f = g_ptr_array_index(after, i);
        VfwPortSpec other;
        g_autofree char *other_canon = NULL;
        if (!vfw_port_spec_parse(f->spec, &other, NULL))
            continue;
        other_canon = vfw_port_spec_to_string(&other);
        if (strcmp(other_canon, canon) == 0) {
            found = TRUE;
            if (!adding)
                g_ptr_array_remove_index(after, i--);
        }
    }
    if (adding && found)
        return TRUE; /* already declared: nothing to do */
    if (!adding && !found) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                    "guest '%s': no forward '%s' in its metadata", current->name, canon);
        return FALSE;
    }
    if (adding)
        g_ptr_array_add(after, &added);
    if (!set_metadata(dom, after, error))
        return FALSE;
    if (virDomainIsActive(dom) == 1 &&
        !apply_live(ctx, conn, dom, adding ? &spec : NULL, warnings, error)) {
        /* Nothing half-applied: the metadata goes back as it was. */
        set_metadata(dom, before, NULL);
        return FALSE;
    }
    return TRUE;
}

static gboolean
forward_list(VfwContext *ctx, const FwdArgs *args, GError **error)
{
    g_autoptr(virConnect) conn = vfw_virt_connect(NULL, TRUE, error);
    g_autoptr(virDomain) dom = conn ? lookup_domain(conn, args->guest, error) : NULL;
    g_autoptr(VfwDomain) domain = NULL;
    g_autoptr(VfwConfig) config = NULL;
    g_autoptr(GPtrArray) forwards = NULL;
    const VfwGuestDecl *decl;

    if (!dom || !(domain = vfw_virt_domain(dom, virDomainIsActive(dom) != 1, error)) ||
        !(config = vfw_config_load(ctx->confdir, error)))
        return FALSE;
    decl = vfw_config_lookup_guest(config, domain->name, domain->uuid, error);
    if (error && *error)
        return FALSE;
    forwards = vfw_collect_forwards(decl, domain, error);
    if (!forwards)
        return FALSE;
    for (guint i = 0; i < forwards->len; i++) {
        const VfwDeclForward *f = g_ptr_array_index(forwards, i);
        g_autofree char *spec = vfw_port_spec_to_string(&f->spec);
        g_print("%-32s %-20s %s\n", spec, f->address ? f->address : "-", f->origin);
    }
    return TRUE;
}

/**
 * vfw_cli_forward:
 * `forward add|remove|list ...`.
 */
gboolean
vfw_cli_forward(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings, GError **error)
{
    /* main.c checked the action and its arguments against the verb table */
    FwdArgs fwd = { args->argv[1], args->argv[2], args->argc > 3 ? args->argv[3] : NULL,
                    args->address };

    if (fwd.address && strcmp(fwd.action, "add") != 0) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE, "forward %s: --address is for 'add' only",
                    fwd.action);
        return FALSE;
    }
    if (strcmp(fwd.action, "list") == 0)
        return forward_list(ctx, &fwd, error);
    return forward_edit(ctx, &fwd, warnings, error);
}
