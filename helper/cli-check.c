/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virt-firewalld check [FILE]`: validate one drop-in at any path (Ansible's
 * `validate: 'virt-firewalld check %s'` passes a temporary file), or with no FILE the
 * whole merged configuration, including host ports claimed by two guests.
 */
#include "cli.h"

#include <string.h>

#include "vfw-error.h"
#include "virt.h"

/* Two guests whose drop-ins claim overlapping host ports conflict: the second would not
 * start. Report the first such pair. */
static gboolean
check_cross_guest(const VfwConfig *config, GError **error)
{
    g_autoptr(GList) groups = g_hash_table_get_values(config->guests);

    for (GList *a = groups; a; a = a->next) {
        const VfwGuestDecl *ga = a->data;
        for (GList *b = a->next; b; b = b->next) {
            const VfwGuestDecl *gb = b->data;
            for (guint i = 0; i < ga->forwards->len; i++) {
                const VfwDeclForward *fa = g_ptr_array_index(ga->forwards, i);
                for (guint j = 0; j < gb->forwards->len; j++) {
                    const VfwDeclForward *fb = g_ptr_array_index(gb->forwards, j);
                    if (!vfw_port_spec_overlaps(&fa->spec, &fb->spec))
                        continue;
                    g_autofree char *sa = vfw_port_spec_to_string(&fa->spec);
                    g_autofree char *sb = vfw_port_spec_to_string(&fb->spec);
                    g_set_error(error, VFW_ERROR, VFW_ERROR_CONFLICT,
                                "%s: guest '%s': forward '%s' overlaps forward '%s' of guest "
                                "'%s' (%s)",
                                fa->origin, ga->group, sa, sb, gb->group, fb->origin);
                    return FALSE;
                }
            }
        }
    }
    return TRUE;
}

/* Guests named in drop-ins that libvirt does not know: likely typos. Warnings only, and
 * only when libvirt answers. */
static void
warn_unknown_guests(const VfwConfig *config, GPtrArray *warnings)
{
    g_autoptr(virConnect) conn = vfw_virt_connect(NULL, TRUE, NULL);
    GHashTableIter iter;
    gpointer value;

    if (!conn) {
        g_ptr_array_add(warnings, g_strdup("libvirt not reachable: guest names not checked"));
        return;
    }
    g_hash_table_iter_init(&iter, config->guests);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        const VfwGuestDecl *decl = value;
        g_autoptr(virDomain) dom = virDomainLookupByName(conn, decl->group);
        if (!dom && g_uuid_string_is_valid(decl->group))
            dom = virDomainLookupByUUIDString(conn, decl->group);
        if (!dom)
            g_ptr_array_add(warnings, g_strdup_printf("%s: guest '%s' is not defined in libvirt",
                                                      decl->origin, decl->group));
    }
}

/**
 * vfw_cli_check:
 * `check [FILE]`. Exit 0 when valid, 1 with one error line naming FILE:LINE and the key.
 */
gboolean
vfw_cli_check(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings, GError **error)
{
    g_autoptr(VfwConfig) config = NULL;

    const char *file = args->argc == 2 ? args->argv[1] : NULL;

    if (file) {
        config = vfw_config_new();
        if (!g_file_test(file, G_FILE_TEST_EXISTS)) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "%s: no such file", file);
            return FALSE;
        }
        /* The main config has groups a drop-in cannot have: tell them apart by name. */
        if (g_str_has_suffix(file, "virt-firewalld.conf"))
            return vfw_config_load_main(config, file, error);
        return vfw_config_load_dropin(config, file, error) && check_cross_guest(config, error);
    }
    config = vfw_config_load(ctx->confdir, error);
    if (!config || !check_cross_guest(config, error))
        return FALSE;
    warn_unknown_guests(config, warnings);
    return TRUE;
}
