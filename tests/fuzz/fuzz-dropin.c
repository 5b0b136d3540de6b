/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * forwards.d drop-in parser (GLib keyfile -> guest declarations). Properties: the GError
 * contract, for a first load and for loading the same file again on top (as two drop-ins
 * declaring the same guest would); every declared guest has valid forwards and
 * addresses of the right family; lookups by name and UUID never fail silently.
 */
#include <string.h>

#include "config.h"
#include "fuzz-common.h"

static void
check_guest(const VfwConfig *config, const VfwGuestDecl *decl)
{
    g_autoptr(GError) error = NULL;
    const VfwGuestDecl *found;

    fuzz_require(decl->group && decl->origin && decl->forwards, decl->group);
    fuzz_require(!decl->address || g_inet_address_get_family(decl->address) == G_SOCKET_FAMILY_IPV4,
                 decl->group);
    fuzz_require(!decl->address6 ||
                     g_inet_address_get_family(decl->address6) == G_SOCKET_FAMILY_IPV6,
                 decl->group);
    for (guint i = 0; i < decl->forwards->len; i++) {
        const VfwDeclForward *fwd = g_ptr_array_index(decl->forwards, i);
        fuzz_require(fwd->origin != NULL, decl->group);
        fuzz_require(fwd->spec.host_port >= 1 && fwd->spec.host_port <= fwd->spec.host_port_end,
                     fwd->origin);
    }
    found = vfw_config_lookup_guest(config, decl->group, NULL, &error);
    fuzz_require(found == decl && error == NULL, decl->group);
}

/**
 * LLVMFuzzerTestOneInput:
 * One input is one drop-in file's content.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VfwConfig) config = vfw_config_new();
    /* The loader gets what read_trusted_file() gives it: NUL-terminated, with a length. */
    g_autofree char *text = g_malloc(size + 1);
    GHashTableIter iter;
    gpointer value;

    fuzz_init();
    memcpy(text, data, size);
    text[size] = '\0';
    for (int round = 0; round < 2; round++) {
        g_autoptr(GError) error = NULL;
        gboolean ok = vfw_config_load_dropin_data(config, text, size, "fuzz.conf", &error);

        fuzz_check_result(ok, error, text);
        if (!ok)
            break;
    }
    g_hash_table_iter_init(&iter, config->guests);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        check_guest(config, value);
    return 0;
}
