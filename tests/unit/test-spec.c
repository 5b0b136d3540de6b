/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The forward spec grammar `[HOSTADDR:]HOSTPORT[-END][:GUESTPORT[-END]][/PROTO]`: what
 * every accepted spec parses to, that its canonical text parses back to the same values,
 * and that hostile text is refused with a message naming what is wrong.
 */
#include <string.h>

#include "spec.h"
#include "vfw-error.h"
#include "vfw-test.h"

typedef struct {
    const char *text;
    GSocketFamily family;
    const char *host_addr;
    guint16 host_port, host_port_end, guest_port, guest_port_end;
    VfwProto proto;
    const char *canonical;
} GoodCase;

static const GoodCase good_cases[] = {
    { "8080:80/tcp", G_SOCKET_FAMILY_INVALID, "", 8080, 8080, 80, 80, VFW_PROTO_TCP,
      "8080:80/tcp" },
    { "8443:443", G_SOCKET_FAMILY_INVALID, "", 8443, 8443, 443, 443, VFW_PROTO_TCP,
      "8443:443/tcp" },
    { "5000-5010/udp", G_SOCKET_FAMILY_INVALID, "", 5000, 5010, 5000, 5010, VFW_PROTO_UDP,
      "5000-5010:5000-5010/udp" },
    { "5000-5010:6000-6010/udp", G_SOCKET_FAMILY_INVALID, "", 5000, 5010, 6000, 6010, VFW_PROTO_UDP,
      "5000-5010:6000-6010/udp" },
    { "198.51.100.1:2222:22/tcp", G_SOCKET_FAMILY_IPV4, "198.51.100.1", 2222, 2222, 22, 22,
      VFW_PROTO_TCP, "198.51.100.1:2222:22/tcp" },
    { "198.51.100.1:2222", G_SOCKET_FAMILY_IPV4, "198.51.100.1", 2222, 2222, 2222, 2222,
      VFW_PROTO_TCP, "198.51.100.1:2222:2222/tcp" },
    { "[2001:db8::1]:8081:80/tcp", G_SOCKET_FAMILY_IPV6, "2001:db8::1", 8081, 8081, 80, 80,
      VFW_PROTO_TCP, "[2001:db8::1]:8081:80/tcp" },
    { "[2001:DB8:0:0::1]:443", G_SOCKET_FAMILY_IPV6, "2001:db8::1", 443, 443, 443, 443,
      VFW_PROTO_TCP, "[2001:db8::1]:443:443/tcp" },
    { "1", G_SOCKET_FAMILY_INVALID, "", 1, 1, 1, 1, VFW_PROTO_TCP, "1:1/tcp" },
    { "65535", G_SOCKET_FAMILY_INVALID, "", 65535, 65535, 65535, 65535, VFW_PROTO_TCP,
      "65535:65535/tcp" },
    { "1-65535:1-65535/udp", G_SOCKET_FAMILY_INVALID, "", 1, 65535, 1, 65535, VFW_PROTO_UDP,
      "1-65535:1-65535/udp" },
    { "80-80", G_SOCKET_FAMILY_INVALID, "", 80, 80, 80, 80, VFW_PROTO_TCP, "80:80/tcp" },
    { "9000:9001/sctp", G_SOCKET_FAMILY_INVALID, "", 9000, 9000, 9001, 9001, VFW_PROTO_SCTP,
      "9000:9001/sctp" },
    { "38412/sctp", G_SOCKET_FAMILY_INVALID, "", 38412, 38412, 38412, 38412, VFW_PROTO_SCTP,
      "38412:38412/sctp" },
};

static void
assert_spec_equal(const VfwPortSpec *a, const VfwPortSpec *b)
{
    g_assert_cmpint(a->host_family, ==, b->host_family);
    g_assert_cmpstr(a->host_addr, ==, b->host_addr);
    g_assert_cmpuint(a->host_port, ==, b->host_port);
    g_assert_cmpuint(a->host_port_end, ==, b->host_port_end);
    g_assert_cmpuint(a->guest_port, ==, b->guest_port);
    g_assert_cmpuint(a->guest_port_end, ==, b->guest_port_end);
    g_assert_cmpint(a->proto, ==, b->proto);
}

static void
test_parse_good(gconstpointer data)
{
    const GoodCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    VfwPortSpec spec, again;

    g_assert_true(vfw_port_spec_parse(tc->text, &spec, &error));
    g_assert_no_error(error);
    g_assert_cmpint(spec.host_family, ==, tc->family);
    g_assert_cmpstr(spec.host_addr, ==, tc->host_addr);
    g_assert_cmpuint(spec.host_port, ==, tc->host_port);
    g_assert_cmpuint(spec.host_port_end, ==, tc->host_port_end);
    g_assert_cmpuint(spec.guest_port, ==, tc->guest_port);
    g_assert_cmpuint(spec.guest_port_end, ==, tc->guest_port_end);
    g_assert_cmpint(spec.proto, ==, tc->proto);

    /* Round trip: the canonical text is stable and parses back to the same values. */
    text = vfw_port_spec_to_string(&spec);
    g_assert_cmpstr(text, ==, tc->canonical);
    g_assert_true(vfw_port_spec_parse(text, &again, &error));
    g_assert_no_error(error);
    assert_spec_equal(&spec, &again);
}

typedef struct {
    const char *label;
    const char *text;
    const char *needle; /* must appear in the error message */
} BadCase;

static char long_spec[201];

static const BadCase bad_cases[] = {
    { "zero", "0", "host port '0' is not a port" },
    { "too-high", "65536", "host port '65536'" },
    { "negative", "-1", "host port '-1'" },
    { "huge", "99999999999", "host port '99999999999'" },
    { "letters", "abc", "host port 'abc'" },
    { "empty", "", "empty or too long" },
    { "injection", "80 to-addr=1.2.3.4", "unexpected character ' '" },
    { "double-quote", "80\"", "unexpected character '\"'" },
    { "single-quote", "80'", "unexpected character '''" },
    { "rule-injection", "80/tcp\" to-addr=\"10.0.0.1", "unexpected character '\"'" },
    { "newline", "80\n81", "unexpected character '?'" },
    { "tab", "80\t", "unexpected character '?'" },
    { "nul-like-escape", "80\\0", "unexpected character '\\'" },
    { "unicode", "8080:80/tcp\xc3\xa9", "unexpected character" },
    { "fullwidth-digit", "\xef\xbc\x98\x30", "unexpected character" },
    { "not-utf8", "80\xff", "empty or too long" },
    { "reversed", "10-5", "host port range '10-5' is reversed" },
    { "reversed-guest", "10-15:20-15", "guest port range '20-15' is reversed" },
    { "unequal-ranges", "5000-5010:80-81", "host and guest port ranges differ in length" },
    { "range-to-port", "5000-5010:80", "differ in length" },
    { "shifted-range-too-long", "9000-9064:80-144", "may span at most 64 ports" },
    { "icmp", "80/icmp", "unknown protocol 'icmp'" },
    { "upper-tcp", "80/TCP", "unknown protocol 'TCP'" },
    { "empty-proto", "80/", "unknown protocol ''" },
    { "two-protos", "80/tcp/udp", "host port '80/tcp'" },
    { "bad-v4", "1.2.3:80", "'1.2.3' is not an IPv4 address" },
    { "v4-five-octets", "1.2.3.4.5:80", "is not an IPv4 address" },
    { "v4-in-brackets", "[192.0.2.1]:80", "is not an IPv6 address" },
    { "v6-loopback", "[::1]:80", "cannot be used" },
    { "v4-loopback", "127.0.0.1:80", "cannot be used" },
    { "v4-any", "0.0.0.0:80", "cannot be used" },
    { "v6-any", "[::]:80", "cannot be used" },
    { "v4-multicast", "224.0.0.1:80", "cannot be used" },
    { "no-bracket-close", "[2001:db8::1:80", "expected '[IPV6]:PORT'" },
    { "no-colon-after-bracket", "[2001:db8::1]80", "expected '[IPV6]:PORT'" },
    { "bare-v6", "2001:db8::1:80", "guest port" },
    { "empty-host-port", ":80", "host port ''" },
    { "empty-guest-port", "80:", "guest port ''" },
    { "addr-without-port", "198.51.100.1:", "host port ''" },
    { "three-ports", "80:90:100", "guest port '90:100'" },
    { "open-range", "80-", "host port '80-'" },
    { "range-from-nothing", "-80", "host port '-80'" },
    { "hex", "0x50", "host port '0x50'" },
    { "plus", "+80", "unexpected character '+'" },
    { "only-proto", "/tcp", "host port ''" },
    { "too-long", long_spec, "empty or too long" },
};

/* The planner joins 8000:80, 8001:80, ... into 8000-8009:80: a record holds that shape and
 * reads it back; it is no shifted range (one DNAT to a fixed port); no admin declares it
 * (docker would publish one free port of the range). */
static void
test_parse_range_to_one_port(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *canon = NULL;
    VfwPortSpec spec, narrow;

    g_assert_true(vfw_port_spec_parse("8000-8009:80/udp", &spec, NULL));
    g_assert_cmpuint(spec.host_port, ==, 8000);
    g_assert_cmpuint(spec.host_port_end, ==, 8009);
    g_assert_cmpuint(spec.guest_port, ==, 80);
    g_assert_cmpuint(spec.guest_port_end, ==, 80);
    g_assert_false(vfw_port_spec_is_shifted_range(&spec));
    canon = vfw_port_spec_to_string(&spec);
    g_assert_cmpstr(canon, ==, "8000-8009:80/udp");
    g_assert_true(vfw_port_spec_parse("8005:80/udp", &narrow, NULL));
    g_assert_true(vfw_port_spec_overlaps(&spec, &narrow));
    g_assert_false(vfw_port_spec_parse_declared("8000-8009:80/udp", &spec, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
    assert_contains(error->message, "8000:80/tcp; 8001:80/tcp");
}

/* A record an older version wrote with a longer shifted range stays readable (to be
 * upgraded or removed); only declaring one is refused. */
static void
test_parse_record_long_shifted(void)
{
    g_autoptr(GError) error = NULL;
    VfwPortSpec spec;

    g_assert_true(vfw_port_spec_parse("9000-9100:10000-10100", &spec, NULL));
    g_assert_cmpuint(spec.host_port_end, ==, 9100);
    g_assert_true(vfw_port_spec_parse_declared("9000-9063:10000-10063", &spec, NULL));
    g_assert_true(vfw_port_spec_parse_declared("5000-5999", &spec, NULL));
    g_assert_false(vfw_port_spec_parse_declared("9000-9100:10000-10100", &spec, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
}

static void
test_parse_bad(gconstpointer data)
{
    const BadCase *tc = data;
    g_autoptr(GError) error = NULL;
    VfwPortSpec spec = { .host_port = 4242 };

    g_assert_false(vfw_port_spec_parse_declared(tc->text, &spec, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
    g_assert_true(g_str_has_prefix(error->message, "forward '"));
    assert_contains(error->message, tc->needle);
    assert_printable(error->message);
    /* A refused spec leaves the output alone. */
    g_assert_cmpuint(spec.host_port, ==, 4242);
}

static void
test_parse_null(void)
{
    g_autoptr(GError) error = NULL;
    VfwPortSpec spec;

    g_assert_false(vfw_port_spec_parse(NULL, &spec, &error));
    g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
}

/* The limit is the length, not the content: 128 characters still parse. */
static void
test_parse_length_limit(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *padded = g_strdup_printf("%0*d:80/tcp", 128 - 7, 8080);
    VfwPortSpec spec;

    g_assert_cmpuint(strlen(padded), ==, 128);
    /* 121 digits are not a port, but the refusal must be about the port, not the length. */
    g_assert_false(vfw_port_spec_parse(padded, &spec, &error));
    assert_contains(error->message, "host port");
}

typedef struct {
    const char *a;
    const char *b;
    gboolean overlaps;
} OverlapCase;

static const OverlapCase overlap_cases[] = {
    { "8080:80/tcp", "8080:81/tcp", TRUE },
    { "8080:80/tcp", "8080:80/udp", FALSE },
    { "8080:80/udp", "8080:80/sctp", FALSE },
    { "8080:80/tcp", "8081:80/tcp", FALSE },
    { "5000-5010/udp", "5010/udp", TRUE },
    { "5000-5010/udp", "5000/udp", TRUE },
    { "5000-5010/udp", "5011/udp", FALSE },
    { "5000-5010/udp", "4990-5000:4990-5000/udp", TRUE },
    { "5000-5010/udp", "4990-4999/udp", FALSE },
    { "1-65535/tcp", "443/tcp", TRUE },
    { "198.51.100.1:80", "80", TRUE },
    { "198.51.100.1:80", "198.51.100.1:80:8080", TRUE },
    { "198.51.100.1:80", "198.51.100.2:80", FALSE },
    { "[2001:db8::1]:80", "80", TRUE },
    { "[2001:db8::1]:80", "[2001:db8:0::1]:80", TRUE },
    { "[2001:db8::1]:80", "[2001:db8::2]:80", FALSE },
    { "[2001:db8::1]:80", "198.51.100.1:80", FALSE },
};

static void
test_overlaps(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(overlap_cases); i++) {
        const OverlapCase *tc = &overlap_cases[i];
        VfwPortSpec a, b;

        g_test_message("%s vs %s", tc->a, tc->b);
        g_assert_true(vfw_port_spec_parse(tc->a, &a, NULL));
        g_assert_true(vfw_port_spec_parse(tc->b, &b, NULL));
        g_assert_cmpint(vfw_port_spec_overlaps(&a, &b), ==, tc->overlaps);
        g_assert_cmpint(vfw_port_spec_overlaps(&b, &a), ==, tc->overlaps);
        g_assert_true(vfw_port_spec_overlaps(&a, &a));
    }
}

static void
test_proto_names(void)
{
    static const char *const bad[] = { "", "TCP", "icmp", "tcp ", "udplite", NULL };
    VfwProto proto = VFW_PROTO_TCP;

    g_assert_cmpstr(vfw_proto_to_string(VFW_PROTO_TCP), ==, "tcp");
    g_assert_cmpstr(vfw_proto_to_string(VFW_PROTO_UDP), ==, "udp");
    g_assert_cmpstr(vfw_proto_to_string(VFW_PROTO_SCTP), ==, "sctp");
    g_assert_true(vfw_proto_from_string("sctp", &proto));
    g_assert_cmpint(proto, ==, VFW_PROTO_SCTP);
    g_assert_true(vfw_proto_from_string("udp", &proto));
    g_assert_cmpint(proto, ==, VFW_PROTO_UDP);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        proto = VFW_PROTO_SCTP;
        g_assert_false(vfw_proto_from_string(bad[i], &proto));
        g_assert_cmpint(proto, ==, VFW_PROTO_SCTP);
    }
}

static void
test_port_range_to_string(void)
{
    g_autofree char *one = vfw_port_range_to_string(80, 80);
    g_autofree char *range = vfw_port_range_to_string(5000, 5010);

    g_assert_cmpstr(one, ==, "80");
    g_assert_cmpstr(range, ==, "5000-5010");
}

typedef struct {
    const char *text;
    GSocketFamily want;
    const char *canonical; /* NULL: refused */
} AddressCase;

static const AddressCase address_cases[] = {
    { "192.168.100.10", G_SOCKET_FAMILY_IPV4, "192.168.100.10" },
    { "192.168.100.10", G_SOCKET_FAMILY_INVALID, "192.168.100.10" },
    { "2001:DB8::10", G_SOCKET_FAMILY_IPV6, "2001:db8::10" },
    { "2001:db8::10", G_SOCKET_FAMILY_IPV4, NULL },
    { "192.168.100.10", G_SOCKET_FAMILY_IPV6, NULL },
    { "127.0.0.1", G_SOCKET_FAMILY_INVALID, NULL },
    { "::1", G_SOCKET_FAMILY_INVALID, NULL },
    { "0.0.0.0", G_SOCKET_FAMILY_INVALID, NULL },
    { "239.1.1.1", G_SOCKET_FAMILY_INVALID, NULL },
    { "ff02::1", G_SOCKET_FAMILY_INVALID, NULL },
    { "192.168.100.10/24", G_SOCKET_FAMILY_INVALID, NULL },
    { "host.example", G_SOCKET_FAMILY_INVALID, NULL },
    { " 192.168.100.10", G_SOCKET_FAMILY_INVALID, NULL },
    { "", G_SOCKET_FAMILY_INVALID, NULL },
    { NULL, G_SOCKET_FAMILY_INVALID, NULL },
};

static void
test_parse_address(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(address_cases); i++) {
        const AddressCase *tc = &address_cases[i];
        g_autoptr(GError) error = NULL;
        g_autoptr(GInetAddress) addr = NULL;

        g_test_message("address '%s'", tc->text ? tc->text : "(null)");
        if (tc->canonical) {
            g_autofree char *text = NULL;
            g_assert_true(vfw_parse_address(tc->text, tc->want, &addr, &error));
            g_assert_no_error(error);
            text = g_inet_address_to_string(addr);
            g_assert_cmpstr(text, ==, tc->canonical);
        } else {
            g_assert_false(vfw_parse_address(tc->text, tc->want, &addr, &error));
            g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
            g_assert_null(addr);
            if (tc->text)
                assert_contains(error->message, tc->text);
        }
    }
}

static const AddressCase subnet_cases[] = {
    { "203.0.113.0/24", 0, "203.0.113.0/24" },
    { "203.0.113.7", 0, "203.0.113.7" },
    { "0.0.0.0/0", 0, "0.0.0.0/0" },
    { "2001:db8::/32", 0, "2001:db8::/32" },
    { "203.0.113.5/24", 0, NULL },
    { "2001:db8::1/32", 0, NULL },
    { "203.0.113.0/33", 0, NULL },
    { "203.0.113.0 /24", 0, NULL },
    { "203.0.113.0/24\" drop", 0, NULL },
    { "203.0.113.0/24\"", 0, NULL },
    { "any", 0, NULL },
    { "", 0, NULL },
    { "2001:db8::1/128", 0, "2001:db8::1" },
    /* GLib (2.74) would turn these into /0 (any client) or /32 (fuzz). */
    { "::/300", 0, NULL },
    { "0.0.0.0/-1", 0, NULL },
    { "0.0.0.0/4294967328", 0, NULL },
    { "2001:db8::/+32", 0, NULL },
    { "2001:db8::/", 0, NULL },
};

static void
test_parse_subnet(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(subnet_cases); i++) {
        const AddressCase *tc = &subnet_cases[i];
        g_autoptr(GError) error = NULL;
        g_autoptr(GInetAddressMask) mask = NULL;

        g_test_message("subnet '%s'", tc->text);
        if (tc->canonical) {
            g_autofree char *text = NULL;
            g_assert_true(vfw_parse_subnet(tc->text, &mask, &error));
            g_assert_no_error(error);
            text = g_inet_address_mask_to_string(mask);
            g_assert_cmpstr(text, ==, tc->canonical);
        } else {
            g_assert_false(vfw_parse_subnet(tc->text, &mask, &error));
            g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
            g_assert_null(mask);
            assert_contains(error->message, tc->text);
        }
    }
}

static char *
test_path(const char *prefix, const char *label)
{
    g_autofree char *clean = g_strdup(label);

    for (char *p = clean; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr(".:-[]", *p))
            *p = '_';
    }
    return g_strdup_printf("%s/%s", prefix, clean);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    memset(long_spec, '1', sizeof(long_spec) - 1);
    for (guint i = 0; i < G_N_ELEMENTS(good_cases); i++) {
        g_autofree char *path = test_path("/spec/parse/good", good_cases[i].text);
        g_test_add_data_func(path, &good_cases[i], test_parse_good);
    }
    g_test_add_func("/spec/parse/record-long-shifted-range", test_parse_record_long_shifted);
    g_test_add_func("/spec/parse/range-to-one-port", test_parse_range_to_one_port);
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = test_path("/spec/parse/bad", bad_cases[i].label);
        g_test_add_data_func(path, &bad_cases[i], test_parse_bad);
    }
    g_test_add_func("/spec/parse/null", test_parse_null);
    g_test_add_func("/spec/parse/length-limit", test_parse_length_limit);
    g_test_add_func("/spec/overlaps", test_overlaps);
    g_test_add_func("/spec/proto-names", test_proto_names);
    g_test_add_func("/spec/port-range-to-string", test_port_range_to_string);
    g_test_add_func("/spec/parse-address", test_parse_address);
    g_test_add_func("/spec/parse-subnet", test_parse_subnet);
    return g_test_run();
}
