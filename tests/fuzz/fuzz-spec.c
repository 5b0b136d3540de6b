/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Forward spec parser (`forward =` values and metadata spec attributes). Properties: the
 * GError contract; an accepted spec has valid ports and equal-length ranges (or, as
 * published, a host range to one guest port, which a declared forward may not be), and its
 * canonical text parses back to the same spec; a refusal message is printable ASCII (it
 * quotes what the user wrote, escaped).
 */
#include <string.h>

#include "fuzz-common.h"
#include "spec.h"

static gboolean
spec_equal(const VfwPortSpec *a, const VfwPortSpec *b)
{
    return a->host_family == b->host_family && strcmp(a->host_addr, b->host_addr) == 0 &&
           a->host_port == b->host_port && a->host_port_end == b->host_port_end &&
           a->guest_port == b->guest_port && a->guest_port_end == b->guest_port_end &&
           a->proto == b->proto;
}

static void
check_accepted(const char *text, const VfwPortSpec *spec)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *canon = vfw_port_spec_to_string(spec);
    VfwPortSpec again;

    fuzz_require(spec->host_port >= 1 && spec->guest_port >= 1, text);
    fuzz_require(spec->host_port <= spec->host_port_end, text);
    fuzz_require(spec->guest_port <= spec->guest_port_end, text);
    VfwPortSpec declared;
    gboolean equal =
        spec->host_port_end - spec->host_port == spec->guest_port_end - spec->guest_port;
    fuzz_require(equal || spec->guest_port == spec->guest_port_end, text);
    if (!equal)
        fuzz_require(!vfw_port_spec_parse_declared(text, &declared, NULL), text);
    fuzz_require(spec->proto <= VFW_PROTO_SCTP, text);
    fuzz_require(spec->host_family == G_SOCKET_FAMILY_INVALID ? spec->host_addr[0] == '\0'
                                                              : spec->host_addr[0] != '\0',
                 text);
    fuzz_require(vfw_port_spec_parse(canon, &again, &error), canon);
    fuzz_require(spec_equal(spec, &again), canon);
    fuzz_require(vfw_port_spec_overlaps(spec, &again), canon);
}

/**
 * LLVMFuzzerTestOneInput:
 * One input is one spec text (up to its first NUL byte).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    g_autoptr(GError) error = NULL;
    VfwPortSpec spec;
    gboolean ok;

    fuzz_init();
    ok = vfw_port_spec_parse(text, &spec, &error);
    fuzz_check_result(ok, error, text);
    if (ok) {
        check_accepted(text, &spec);
        return 0;
    }
    for (const char *p = error->message; *p; p++)
        fuzz_require(g_ascii_isprint(*p), error->message);
    return 0;
}
