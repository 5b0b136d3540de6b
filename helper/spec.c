/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The forward spec grammar, as users know it from `docker -p`:
 *
 *   [HOSTADDR:]HOSTPORT[-END][:GUESTPORT[-END]][/tcp|udp|sctp]
 *
 * HOSTADDR is an IPv4 address or an IPv6 address in brackets. Everything that reaches a
 * firewalld rich rule later is re-formatted from the parsed numbers and addresses, never
 * copied from the input, so nothing a user writes can add words to a rule.
 */
#include "spec.h"

#include <stdlib.h>
#include <string.h>

#include "vfw-error.h"

#define SPEC_MAX_LEN 128

static const char *const proto_names[] = {
    [VFW_PROTO_TCP] = "tcp",
    [VFW_PROTO_UDP] = "udp",
    [VFW_PROTO_SCTP] = "sctp",
};

/**
 * vfw_proto_to_string:
 * Returns the firewalld name of @proto ("tcp", "udp", "sctp").
 */
const char *
vfw_proto_to_string(VfwProto proto)
{
    g_return_val_if_fail(proto <= VFW_PROTO_SCTP, "tcp");
    return proto_names[proto];
}

/**
 * vfw_proto_from_string:
 * Parses a protocol name as firewalld spells it; FALSE for anything else.
 */
gboolean
vfw_proto_from_string(const char *text, VfwProto *proto)
{
    for (guint i = 0; i < G_N_ELEMENTS(proto_names); i++) {
        if (g_strcmp0(text, proto_names[i]) == 0) {
            *proto = i;
            return TRUE;
        }
    }
    return FALSE;
}

/* A port is 1..65535 written in plain decimal digits: no sign, no spaces, no leading zero
 * tricks beyond what strtoul would accept silently. */
static gboolean
parse_port(const char *text, guint16 *port)
{
    guint64 value = 0;

    if (text[0] == '\0' || strlen(text) > 5)
        return FALSE;
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
        value = value * 10 + (guint64)(*p - '0');
    }
    if (value < 1 || value > 65535)
        return FALSE;
    *port = (guint16)value;
    return TRUE;
}

static gboolean
parse_port_range(const char *spec, const char *text, const char *what, guint16 *start, guint16 *end,
                 GError **error)
{
    const char *dash = strchr(text, '-');
    g_autofree char *first = dash ? g_strndup(text, dash - text) : g_strdup(text);

    if (!parse_port(first, start) || (dash && !parse_port(dash + 1, end))) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                    "forward '%s': %s port '%s' is not a port (1-65535) or range", spec, what,
                    text);
        return FALSE;
    }
    if (!dash)
        *end = *start;
    if (*end < *start) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                    "forward '%s': %s port range '%s' is reversed", spec, what, text);
        return FALSE;
    }
    return TRUE;
}

/**
 * vfw_parse_address:
 * Parses one IP address of family @want (G_SOCKET_FAMILY_INVALID: either). Refuses the
 * unspecified, loopback and multicast addresses: none of them can be a forward's end.
 */
gboolean
vfw_parse_address(const char *text, GSocketFamily want, GInetAddress **out, GError **error)
{
    g_autoptr(GInetAddress) addr = NULL;

    if (text && strlen(text) < 64)
        addr = g_inet_address_new_from_string(text);
    if (!addr || (want != G_SOCKET_FAMILY_INVALID && g_inet_address_get_family(addr) != want)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "'%s' is not an IP%s address",
                    text ? text : "",
                    want == G_SOCKET_FAMILY_IPV4   ? "v4"
                    : want == G_SOCKET_FAMILY_IPV6 ? "v6"
                                                   : "");
        return FALSE;
    }
    if (g_inet_address_get_is_any(addr) || g_inet_address_get_is_loopback(addr) ||
        g_inet_address_get_is_multicast(addr)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                    "address '%s' cannot be used (unspecified, loopback or multicast)", text);
        return FALSE;
    }
    *out = g_steal_pointer(&addr);
    return TRUE;
}

/* The prefix length of ADDRESS/PREFIX: 0-128 in plain digits. GLib (2.74) reads it with
 * strtoul and hands it to a guint property limited to 128: "::/300" and "0.0.0.0/-1" come
 * back as a /0 mask (any client) with a GObject warning, "0.0.0.0/4294967328" as /32. */
static gboolean
prefix_is_valid(const char *text)
{
    const char *slash = strchr(text, '/');

    if (!slash)
        return TRUE;
    if (slash[1] == '\0' || strlen(slash + 1) > 3)
        return FALSE;
    for (const char *p = slash + 1; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
    }
    return atoi(slash + 1) <= 128;
}

/**
 * vfw_parse_subnet:
 * Parses ADDRESS[/PREFIX] (a client range for `source=`); host bits must be zero, as
 * firewalld and nftables require.
 */
gboolean
vfw_parse_subnet(const char *text, GInetAddressMask **out, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GInetAddressMask) mask = NULL;

    if (!text || strlen(text) > 64 || strchr(text, ' ') || !prefix_is_valid(text)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "'%s' is not an address or subnet",
                    text ? text : "");
        return FALSE;
    }
    mask = g_inet_address_mask_new_from_string(text, &local_error);
    if (!mask) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                    "'%s' is not an address or subnet with zero host bits", text);
        return FALSE;
    }
    *out = g_steal_pointer(&mask);
    return TRUE;
}

/* Splits "[ADDR]:REST" or "A.B.C.D:REST" off the front of @text; leaves @text alone when it
 * carries no host address. */
static gboolean
split_host_addr(const char *spec, char **text, VfwPortSpec *out, GError **error)
{
    g_autofree char *addr_text = NULL;
    g_autoptr(GInetAddress) addr = NULL;
    char *rest;
    GSocketFamily want;

    if ((*text)[0] == '[') {
        char *close = strchr(*text, ']');
        if (!close || close[1] != ':') {
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "forward '%s': expected '[IPV6]:PORT'",
                        spec);
            return FALSE;
        }
        addr_text = g_strndup(*text + 1, close - *text - 1);
        rest = close + 2;
        want = G_SOCKET_FAMILY_IPV6;
    } else {
        char *colon = strchr(*text, ':');
        /* Only an IPv4 address has dots: "8080:80" is two ports. */
        if (!colon || !memchr(*text, '.', colon - *text))
            return TRUE;
        addr_text = g_strndup(*text, colon - *text);
        rest = colon + 1;
        want = G_SOCKET_FAMILY_IPV4;
    }
    if (!vfw_parse_address(addr_text, want, &addr, error)) {
        g_prefix_error(error, "forward '%s': host address: ", spec);
        return FALSE;
    }
    g_autofree char *canon = g_inet_address_to_string(addr);
    g_strlcpy(out->host_addr, canon, sizeof(out->host_addr));
    out->host_family = want;
    *text = rest;
    return TRUE;
}

/**
 * vfw_port_spec_parse:
 * Parses one forward spec into @spec, as records and firewalld hold them. Errors name the
 * spec and the part that is wrong. Besides what an admin may declare, this accepts a host
 * port range to one guest port (50000-50009:80): what the planner publishes for
 * consecutive host ports declared to the same guest port (vfw_rules_merge_ports).
 */
gboolean
vfw_port_spec_parse(const char *text, VfwPortSpec *spec, GError **error)
{
    VfwPortSpec out = { .host_family = G_SOCKET_FAMILY_INVALID, .proto = VFW_PROTO_TCP };
    g_autofree char *copy = NULL;
    g_autofree char *shown = NULL;
    char *ports;
    char *slash;
    char *colon;

    shown = g_strescape(text ? text : "", NULL);
    if (!text || !*text || strlen(text) > SPEC_MAX_LEN || !g_utf8_validate(text, -1, NULL)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG, "forward '%.*s': empty or too long", 40,
                    shown);
        return FALSE;
    }
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr(".:[]-/", *p)) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                        "forward '%s': unexpected character '%c'", shown,
                        g_ascii_isprint(*p) ? *p : '?');
            return FALSE;
        }
    }

    copy = g_strdup(text);
    slash = strrchr(copy, '/');
    if (slash) {
        *slash = '\0';
        if (!vfw_proto_from_string(slash + 1, &out.proto)) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                        "forward '%s': unknown protocol '%s' (tcp, udp or sctp)", text, slash + 1);
            return FALSE;
        }
    }

    ports = copy;
    if (!split_host_addr(text, &ports, &out, error))
        return FALSE;

    colon = strchr(ports, ':');
    if (colon)
        *colon = '\0';
    if (!parse_port_range(text, ports, "host", &out.host_port, &out.host_port_end, error))
        return FALSE;
    if (colon) {
        if (!parse_port_range(text, colon + 1, "guest", &out.guest_port, &out.guest_port_end,
                              error))
            return FALSE;
    } else {
        out.guest_port = out.host_port;
        out.guest_port_end = out.host_port_end;
    }
    if (out.host_port_end - out.host_port != out.guest_port_end - out.guest_port &&
        !vfw_port_spec_is_range_to_one_port(&out)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                    "forward '%s': host and guest port ranges differ in length", text);
        return FALSE;
    }
    *spec = out;
    return TRUE;
}

/**
 * vfw_port_spec_parse_declared:
 * vfw_port_spec_parse() for a forward an admin declares (drop-in, metadata, CLI): a
 * shifted range is published as one rule per port, so it may span at most
 * VFW_SHIFTED_RANGE_MAX ports. (Records are read with vfw_port_spec_parse(): one that an
 * older version wrote with a longer range must stay readable, to be removed.)
 */
gboolean
vfw_port_spec_parse_declared(const char *text, VfwPortSpec *spec, GError **error)
{
    VfwPortSpec out;

    if (!vfw_port_spec_parse(text, &out, error))
        return FALSE;
    /* docker -p 8000-8010:80 publishes ONE free port of the range: not what we would do */
    if (vfw_port_spec_is_range_to_one_port(&out)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                    "forward '%s': host and guest port ranges differ in length (declare "
                    "each host port, '8000:80/tcp; 8001:80/tcp')",
                    text);
        return FALSE;
    }
    if (vfw_port_spec_is_shifted_range(&out) &&
        (guint)(out.host_port_end - out.host_port) + 1 > VFW_SHIFTED_RANGE_MAX) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_CONFIG,
                    "forward '%s': a shifted port range is published as one rule per port and "
                    "may span at most %u ports (an unshifted range such as 5000-5999 has no "
                    "limit)",
                    text, VFW_SHIFTED_RANGE_MAX);
        return FALSE;
    }
    *spec = out;
    return TRUE;
}

/**
 * vfw_port_spec_is_range_to_one_port:
 * TRUE for several host ports to one guest port (8000-8009:80): what the planner joins
 * forwards declared port by port into (vfw_rules_merge_ports), never a declared spec.
 */
gboolean
vfw_port_spec_is_range_to_one_port(const VfwPortSpec *spec)
{
    return spec->host_port != spec->host_port_end && spec->guest_port == spec->guest_port_end;
}

/**
 * vfw_port_spec_is_shifted_range:
 * TRUE for a range whose guest ports differ from its host ports (9000-9001:80-81). A range
 * to one guest port (50000-50009:80) is not: one DNAT to a fixed port is exact.
 */
gboolean
vfw_port_spec_is_shifted_range(const VfwPortSpec *spec)
{
    return spec->guest_port != spec->guest_port_end && spec->host_port != spec->guest_port;
}

/**
 * vfw_port_range_to_string:
 * "80" or "5000-5010", the way firewalld writes port ranges.
 */
char *
vfw_port_range_to_string(guint16 start, guint16 end)
{
    if (start == end)
        return g_strdup_printf("%u", start);
    return g_strdup_printf("%u-%u", start, end);
}

/**
 * vfw_port_spec_to_string:
 * The canonical spec text for @spec: what status and error messages show.
 */
char *
vfw_port_spec_to_string(const VfwPortSpec *spec)
{
    g_autofree char *host = vfw_port_range_to_string(spec->host_port, spec->host_port_end);
    g_autofree char *guest = vfw_port_range_to_string(spec->guest_port, spec->guest_port_end);
    const char *proto = vfw_proto_to_string(spec->proto);

    if (spec->host_family == G_SOCKET_FAMILY_IPV6)
        return g_strdup_printf("[%s]:%s:%s/%s", spec->host_addr, host, guest, proto);
    if (spec->host_family == G_SOCKET_FAMILY_IPV4)
        return g_strdup_printf("%s:%s:%s/%s", spec->host_addr, host, guest, proto);
    return g_strdup_printf("%s:%s/%s", host, guest, proto);
}

/**
 * vfw_port_spec_overlaps:
 * TRUE when @a and @b would catch the same packets on the host: same protocol,
 * intersecting host port ranges, and host addresses that can be equal (either unset, or
 * the same address).
 */
gboolean
vfw_port_spec_overlaps(const VfwPortSpec *a, const VfwPortSpec *b)
{
    if (a->proto != b->proto)
        return FALSE;
    if (a->host_port_end < b->host_port || b->host_port_end < a->host_port)
        return FALSE;
    if (a->host_family == G_SOCKET_FAMILY_INVALID || b->host_family == G_SOCKET_FAMILY_INVALID)
        return TRUE;
    return a->host_family == b->host_family && strcmp(a->host_addr, b->host_addr) == 0;
}
