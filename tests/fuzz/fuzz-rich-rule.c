/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rich rule builder, as a property: whatever spec text a user writes, the rich rule we
 * hand to firewalld has exactly one of the shapes below and only characters from
 * [a-z0-9 ="./:-], so no input can add words (a log, a mark, a second action) to a rule.
 */
#include <string.h>

#include "fuzz-common.h"
#include "plan.h"
#include "spec.h"

#define PORTS "[1-9][0-9]{0,4}(-[1-9][0-9]{0,4})?"
#define ADDR4 "([0-9]{1,3}\\.){3}[0-9]{1,3}"
#define ADDR6 "[0-9a-f:.]*:[0-9a-f:.]*"

/* The only shapes we ever send: a forward-port entry of virtfw-pub when there is neither
 * host address nor client range; a rich rule of virtfw-pub with the client range when
 * there is no host address; a rich rule with the host address of the rule's family (and
 * maybe a client range) otherwise. Always a port or range and a known protocol. */
static const char *const rule_shapes[] = {
    "^(pub port=" PORTS ":proto=(tcp|udp|sctp):toport=" PORTS ":toaddr=" ADDR4
    "|(pub rule family=\"ipv4\" source address=\"" ADDR4 "/[0-9]{1,2}\"|rule family=\"ipv4\"( "
    "source address=\"" ADDR4 "/[0-9]{1,2}\")? destination address=\"" ADDR4 "\") forward-port "
    "port=\"" PORTS "\" protocol=\"(tcp|udp|sctp)\" to-port=\"" PORTS "\" to-addr=\"" ADDR4 "\")$",
    "^(pub port=" PORTS ":proto=(tcp|udp|sctp):toport=" PORTS ":toaddr=" ADDR6
    "|(pub rule family=\"ipv6\" source address=\"" ADDR6 "/[0-9]{1,3}\"|rule family=\"ipv6\"( "
    "source address=\"" ADDR6 "/[0-9]{1,3}\")? destination address=\"" ADDR6 "\") forward-port "
    "port=\"" PORTS "\" protocol=\"(tcp|udp|sctp)\" to-port=\"" PORTS "\" to-addr=\"" ADDR6 "\")$",
};

static void
check_rule(const char *text, const char *rule, GSocketFamily family)
{
    static GRegex *shapes[2];
    guint which = family == G_SOCKET_FAMILY_IPV6 ? 1 : 0;

    if (!shapes[which])
        shapes[which] = g_regex_new(rule_shapes[which], G_REGEX_OPTIMIZE, 0, NULL);
    fuzz_require(shapes[which] != NULL, rule_shapes[which]);
    fuzz_require(rule != NULL, text);
    for (const char *p = rule; *p; p++)
        fuzz_require((*p >= 'a' && *p <= 'z') || g_ascii_isdigit(*p) || strchr(" =\"./:-", *p),
                     rule);
    fuzz_require(g_regex_match(shapes[which], rule, 0, NULL), rule);
}

/**
 * LLVMFuzzerTestOneInput:
 * One input is one spec text; every spec the parser accepts is built into rules for a
 * fixed valid guest address, with and without a client range.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    VfwPortSpec spec;
    GSocketFamily family;
    const char *to_addr;
    const char *source;

    fuzz_init();
    if (!vfw_port_spec_parse(text, &spec, NULL))
        return 0;
    /* A forward with a host address is published for that address's family only. */
    family = spec.host_family == G_SOCKET_FAMILY_IPV6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4;
    to_addr = family == G_SOCKET_FAMILY_IPV6 ? "2001:db8:100::10" : "192.168.100.10";
    source = family == G_SOCKET_FAMILY_IPV6 ? "2001:db8:5::/48" : "203.0.113.0/24";
    for (int with_source = 0; with_source < 2; with_source++) {
        g_autofree char *rule =
            vfw_rich_rule_build(&spec, family, to_addr, with_source ? source : NULL);
        check_rule(text, rule, family);
    }
    return 0;
}
