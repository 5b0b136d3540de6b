/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain XML extraction (the qemu hook's stdin). Properties: the GError contract; an
 * accepted domain has a name, a lower-case UUID, normalized MACs and a spec on every
 * metadata forward; collecting its forwards (the next step of the hook) keeps the
 * contract too.
 */
#include <string.h>

#include "domain.h"
#include "fuzz-common.h"
#include "plan.h"

static void
check_domain(const VfwDomain *domain)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) forwards = NULL;

    fuzz_require(domain->name && *domain->name, domain->name);
    fuzz_require(domain->uuid && g_uuid_string_is_valid(domain->uuid), domain->uuid);
    for (const char *p = domain->uuid; *p; p++)
        fuzz_require(!g_ascii_isupper(*p), domain->uuid);
    for (guint i = 0; i < domain->interfaces->len; i++) {
        const VfwInterface *iface = g_ptr_array_index(domain->interfaces, i);
        g_autofree char *again = vfw_normalize_mac(iface->mac);
        fuzz_require(!iface->mac || g_strcmp0(again, iface->mac) == 0, iface->mac);
    }
    for (guint i = 0; i < domain->meta_forwards->len; i++) {
        const VfwMetaForward *fwd = g_ptr_array_index(domain->meta_forwards, i);
        fuzz_require(fwd->spec != NULL, domain->name);
    }
    forwards = vfw_collect_forwards(NULL, domain, &error);
    fuzz_check_result(forwards != NULL, error, domain->name);
}

/**
 * LLVMFuzzerTestOneInput:
 * One input is one domain XML document (not NUL-terminated: the parser takes a length).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwDomain) domain = NULL;

    fuzz_init();
    domain = vfw_domain_parse((const char *)data, size, &error);
    fuzz_check_result(domain != NULL, error, "domain XML");
    if (domain)
        check_domain(domain);
    return 0;
}
