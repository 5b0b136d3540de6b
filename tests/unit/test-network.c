/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt network XML in its three wrappers (network hook stdin, libvirt's status file,
 * plain definition): forward mode, bridge, subnets and DHCP reservations.
 */
#include <string.h>

#include "network.h"
#include "vfw-error.h"
#include "vfw-test.h"

static VfwNetwork *
load_fixture(const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", name, NULL);
    VfwNetwork *network = vfw_network_load(path, &error);

    g_assert_no_error(error);
    g_assert_nonnull(network);
    return network;
}

static const VfwNetIp *
ip_at(const VfwNetwork *network, guint i)
{
    g_assert_cmpuint(i, <, network->ips->len);
    return g_ptr_array_index(network->ips, i);
}

static void
assert_ip(const VfwNetIp *ip, const char *subnet, const char *gateway, guint hosts)
{
    g_autofree char *subnet_text = g_inet_address_mask_to_string(ip->subnet);
    g_autofree char *gateway_text = g_inet_address_to_string(ip->gateway);

    g_assert_cmpstr(subnet_text, ==, subnet);
    g_assert_cmpstr(gateway_text, ==, gateway);
    g_assert_cmpuint(ip->hosts->len, ==, hosts);
}

static void
assert_host(const VfwNetIp *ip, guint i, const char *mac, const char *addr)
{
    const VfwDhcpHost *host;
    g_autofree char *text = NULL;

    g_assert_cmpuint(i, <, ip->hosts->len);
    host = g_ptr_array_index(ip->hosts, i);
    text = g_inet_address_to_string(host->ip);
    g_assert_cmpstr(host->mac, ==, mac);
    g_assert_cmpstr(text, ==, addr);
}

/* Plain <network> (virsh net-dumpxml), nat mode, netmask notation. */
static void
test_plain_nat(void)
{
    g_autoptr(VfwNetwork) net = load_fixture("network-default-nat.xml");

    g_assert_cmpstr(net->name, ==, "default");
    g_assert_cmpint(net->mode, ==, VFW_NET_MODE_NAT);
    g_assert_cmpstr(net->bridge, ==, "virbr0");
    g_assert_null(net->zone);
    g_assert_cmpuint(net->ips->len, ==, 1);
    assert_ip(ip_at(net, 0), "192.168.122.0/24", "192.168.122.1", 2);
    /* libvirt keeps the MAC as written; we compare in lower case. */
    assert_host(ip_at(net, 0), 0, "52:54:00:ab:cd:01", "192.168.122.10");
    assert_host(ip_at(net, 0), 1, "52:54:00:00:00:11", "192.168.122.11");
}

/* <hookData><network> (network hook stdin), route mode, prefix notation, IPv6. */
static void
test_hook_routed(void)
{
    g_autoptr(VfwNetwork) net = load_fixture("network-hook-routed.xml");

    g_assert_cmpstr(net->name, ==, "routed");
    g_assert_cmpint(net->mode, ==, VFW_NET_MODE_ROUTE);
    g_assert_cmpstr(net->bridge, ==, "virbr1");
    g_assert_cmpstr(net->zone, ==, "libvirt-routed");
    g_assert_cmpuint(net->ips->len, ==, 2);
    assert_ip(ip_at(net, 0), "192.168.100.0/24", "192.168.100.1", 1);
    assert_host(ip_at(net, 0), 0, "52:54:00:ab:cd:01", "192.168.100.10");
    /* DHCPv6 reservations are by DUID: nothing to match a MAC against. */
    assert_ip(ip_at(net, 1), "2001:db8:100::/64", "2001:db8:100::1", 0);
}

/* <networkstatus><network> (/run/libvirt/network/NAME.xml), open mode, /25 netmask. */
static void
test_status_open(void)
{
    g_autoptr(VfwNetwork) net = load_fixture("network-status-open.xml");

    g_assert_cmpstr(net->name, ==, "lab");
    g_assert_cmpint(net->mode, ==, VFW_NET_MODE_OPEN);
    g_assert_cmpstr(net->bridge, ==, "virbr7");
    assert_ip(ip_at(net, 0), "10.7.0.0/25", "10.7.0.1", 1);
    assert_host(ip_at(net, 0), 0, "52:54:00:00:07:02", "10.7.0.2");
}

/* libvirt 10.4+ records the backend of its own rules in the status file (11.3, measured:
 * <firewall name='fwRemoval' backend='nftables'> after <network>); older ones do not. */
static void
test_status_firewall_backend(void)
{
    g_autoptr(VfwNetwork) net = load_fixture("network-status-nftables.xml");
    g_autoptr(VfwNetwork) old = load_fixture("network-status-open.xml");
    const char *plain = "<network><name>n1</name><forward mode='route'/></network>";
    g_autoptr(VfwNetwork) def = vfw_network_parse(plain, strlen(plain), NULL);

    g_assert_cmpstr(net->name, ==, "nftroute");
    g_assert_cmpint(net->mode, ==, VFW_NET_MODE_ROUTE);
    g_assert_cmpstr(net->firewall_backend, ==, "nftables");
    g_assert_null(old->firewall_backend);
    g_assert_null(def->firewall_backend);
}

typedef struct {
    const char *label;
    const char *forward;
    VfwNetMode mode;
    const char *mode_name;
} ModeCase;

static const ModeCase mode_cases[] = {
    { "nat", "<forward mode='nat'/>", VFW_NET_MODE_NAT, "nat" },
    { "nat-implicit", "<forward/>", VFW_NET_MODE_NAT, "nat" },
    { "nat-with-dev", "<forward dev='eth0'/>", VFW_NET_MODE_NAT, "nat" },
    { "nat-ports", "<forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>",
      VFW_NET_MODE_NAT, "nat" },
    { "route", "<forward mode='route' dev='eth1'/>", VFW_NET_MODE_ROUTE, "route" },
    { "open", "<forward mode='open'/>", VFW_NET_MODE_OPEN, "open" },
    { "isolated", "", VFW_NET_MODE_ISOLATED, "isolated" },
    { "bridge", "<forward mode='bridge'/>", VFW_NET_MODE_BRIDGE, "bridge" },
    { "passthrough", "<forward mode='passthrough'><interface dev='eth1'/></forward>",
      VFW_NET_MODE_OTHER, "other" },
    { "hostdev", "<forward mode='hostdev' managed='yes'/>", VFW_NET_MODE_OTHER, "other" },
    { "unknown", "<forward mode='NAT'/>", VFW_NET_MODE_OTHER, "other" },
};

static void
test_mode(gconstpointer data)
{
    const ModeCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwNetwork) net = NULL;
    g_autofree char *xml = g_strdup_printf("<network><name>n1</name>%s"
                                           "<bridge name='virbr9'/></network>",
                                           tc->forward);

    net = vfw_network_parse(xml, strlen(xml), &error);
    g_assert_no_error(error);
    g_assert_cmpint(net->mode, ==, tc->mode);
    g_assert_cmpstr(vfw_net_mode_to_string(net->mode), ==, tc->mode_name);
    g_assert_cmpstr(net->bridge, ==, "virbr9");
    g_assert_cmpuint(net->ips->len, ==, 0);
}

typedef struct {
    const char *label;
    const char *ip;
    const char *subnet;
    const char *gateway;
} IpCase;

static const IpCase ip_cases[] = {
    { "netmask-24", "<ip address='192.168.122.1' netmask='255.255.255.0'/>", "192.168.122.0/24",
      "192.168.122.1" },
    { "netmask-16", "<ip address='172.16.5.1' netmask='255.255.0.0'/>", "172.16.0.0/16",
      "172.16.5.1" },
    { "netmask-30", "<ip address='10.0.0.5' netmask='255.255.255.252'/>", "10.0.0.4/30",
      "10.0.0.5" },
    { "prefix", "<ip address='10.0.5.1' prefix='25'/>", "10.0.5.0/25", "10.0.5.1" },
    { "family-ipv4", "<ip family='ipv4' address='10.0.5.129' prefix='25'/>", "10.0.5.128/25",
      "10.0.5.129" },
    { "default-v4", "<ip address='192.168.1.1'/>", "192.168.1.0/24", "192.168.1.1" },
    { "ipv6", "<ip family='ipv6' address='2001:db8:ca2:2::1' prefix='64'/>", "2001:db8:ca2:2::/64",
      "2001:db8:ca2:2::1" },
    { "ipv6-default", "<ip family='ipv6' address='fd00:1:2:3::1'/>", "fd00:1:2:3::/64",
      "fd00:1:2:3::1" },
    { "ipv6-56", "<ip family='ipv6' address='2001:db8:ca2:2ff::1' prefix='56'/>",
      "2001:db8:ca2:200::/56", "2001:db8:ca2:2ff::1" },
};

static void
test_ip(gconstpointer data)
{
    const IpCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwNetwork) net = NULL;
    g_autofree char *xml = g_strdup_printf("<network><name>n1</name><forward mode='route'/>%s"
                                           "</network>",
                                           tc->ip);

    net = vfw_network_parse(xml, strlen(xml), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(net->ips->len, ==, 1);
    assert_ip(ip_at(net, 0), tc->subnet, tc->gateway, 0);
}

typedef struct {
    const char *label;
    const char *xml;
    const char *needle;
} BadCase;

static const BadCase bad_cases[] = {
    { "empty", "", "network XML" },
    { "truncated", "<network><name>n1</name><ip address='10.0.0.1'", "not well-formed" },
    { "doctype", "<!DOCTYPE network [<!ENTITY x 'y'>]><network><name>&x;</name></network>",
      "DOCTYPE" },
    { "root-domain", "<domain><name>n1</name></domain>", "no <network> element" },
    { "hookdata-without-network", "<hookData><domain/></hookData>", "no <network> element" },
    { "status-without-network", "<networkstatus><class_id bitmap='0'/></networkstatus>",
      "no <network> element" },
    { "namespaced", "<x:network xmlns:x='urn:x'><x:name>n1</x:name></x:network>",
      "no <network> element" },
    /* Raw bytes are refused before parsing; the message stays valid UTF-8 (fuzz). */
    { "raw-bytes-in-open-tag", "<networkstatu\xf3><name>n</name>", "invalid UTF-8 at byte 13" },
    { "duplicate-attribute",
      "<network><name>n1</name><ip address='10.0.0.1' address='10.0.0.2'/></network>",
      "attribute 'address' given twice" },
    { "undeclared-prefix", "<network><name>n1</name><x:ip address='10.0.0.1'/></network>",
      "namespace prefix 'x' of element 'x:ip' is not declared" },
    { "prefix-overflow",
      "<network><name>n1</name><ip address='10.0.0.1' prefix='4294967320'/>"
      "</network>",
      "bad prefix" },
    { "prefix-trailing-text",
      "<network><name>n1</name><ip address='10.0.0.1' prefix='24abc'/>"
      "</network>",
      "bad prefix" },
    { "no-name", "<network><forward mode='route'/></network>", "no <name>" },
    { "blank-name", "<network><name> </name></network>", "no <name>" },
    { "ip-without-address", "<network><name>n1</name><ip prefix='24'/></network>",
      "network 'n1': <ip> without a valid address" },
    { "ip-bad-address", "<network><name>n1</name><ip address='10.0.0.256'/></network>",
      "without a valid address" },
    { "netmask-holes",
      "<network><name>n1</name><ip address='10.0.0.1' netmask='255.0.255.0'/></network>",
      "network 'n1': bad prefix for '10.0.0.1'" },
    { "netmask-v6", "<network><name>n1</name><ip address='10.0.0.1' netmask='ffff::'/></network>",
      "bad prefix" },
    { "prefix-zero", "<network><name>n1</name><ip address='10.0.0.1' prefix='0'/></network>",
      "bad prefix" },
    { "prefix-33", "<network><name>n1</name><ip address='10.0.0.1' prefix='33'/></network>",
      "bad prefix" },
    { "prefix-v6-129",
      "<network><name>n1</name><ip family='ipv6' address='fd00::1' prefix='129'/></network>",
      "bad prefix" },
    { "prefix-text", "<network><name>n1</name><ip address='10.0.0.1' prefix='abc'/></network>",
      "bad prefix" },
    { "prefix-negative", "<network><name>n1</name><ip address='10.0.0.1' prefix='-8'/></network>",
      "bad prefix" },
    { "dhcp-bad-mac",
      "<network><name>n1</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<host mac='52:54:00:00:00' ip='10.0.0.5'/></dhcp></ip></network>",
      "network 'n1': DHCP host '52:54:00:00:00'" },
    { "dhcp-bad-ip",
      "<network><name>n1</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<host mac='52:54:00:00:00:01' ip='ten'/></dhcp></ip></network>",
      "'52:54:00:00:00:01' / 'ten'" },
    { "dhcp-no-ip",
      "<network><name>n1</name><ip address='10.0.0.1' prefix='24'><dhcp>"
      "<host mac='52:54:00:00:00:01' name='x'/></dhcp></ip></network>",
      "'52:54:00:00:00:01' / ''" },
};

static void
test_bad(gconstpointer data)
{
    const BadCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwNetwork) net = vfw_network_parse(tc->xml, strlen(tc->xml), &error);

    g_assert_null(net);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_XML);
    assert_contains(error->message, tc->needle);
    /* main.c prints the message as one line: valid UTF-8, no control characters. */
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
    for (const char *p = error->message; *p; p++)
        g_assert_false(g_ascii_iscntrl(*p));
}

static void
test_load_errors(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwNetwork) net = NULL;
    g_autofree char *domain = g_test_build_filename(G_TEST_DIST, "data", "domain-web01.xml", NULL);

    net = vfw_network_load("/nonexistent/virt-firewalld/net.xml", &error);
    g_assert_null(net);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_XML);
    assert_contains(error->message, "/nonexistent/virt-firewalld/net.xml");
    g_clear_error(&error);

    /* A parse error names the file it came from. */
    net = vfw_network_load(domain, &error);
    g_assert_null(net);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_XML);
    g_assert_true(g_str_has_prefix(error->message, domain));
    assert_contains(error->message, "no <network> element");
}

static GInetAddress *
inet(const char *text)
{
    GInetAddress *addr = g_inet_address_new_from_string(text);

    g_assert_nonnull(addr);
    return addr;
}

static void
test_find_subnet(void)
{
    g_autoptr(VfwNetwork) net = load_fixture("network-hook-routed.xml");
    static const struct {
        const char *addr;
        int ip; /* index in net->ips, -1 for none */
    } cases[] = {
        { "192.168.100.10", 0 },
        { "192.168.100.255", 0 },
        { "192.168.100.0", 0 },
        { "192.168.101.10", -1 },
        { "10.0.0.1", -1 },
        { "2001:db8:100::10", 1 },
        { "2001:db8:100:0:ffff:ffff:ffff:ffff", 1 },
        { "2001:db8:101::10", -1 },
        { "::ffff:192.168.100.10", -1 },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GInetAddress) addr = inet(cases[i].addr);
        const VfwNetIp *ip = vfw_network_find_subnet(net, addr);

        g_test_message("%s", cases[i].addr);
        if (cases[i].ip < 0)
            g_assert_null(ip);
        else
            g_assert_true(ip == ip_at(net, cases[i].ip));
    }
}

static void
test_reserved_address(void)
{
    g_autoptr(VfwNetwork) nat = load_fixture("network-default-nat.xml");
    g_autoptr(VfwNetwork) routed = load_fixture("network-hook-routed.xml");
    g_autofree char *text = NULL;
    GInetAddress *addr;

    addr = vfw_network_reserved_address(nat, "52:54:00:ab:cd:01", G_SOCKET_FAMILY_IPV4);
    g_assert_nonnull(addr);
    text = g_inet_address_to_string(addr);
    g_assert_cmpstr(text, ==, "192.168.122.10");
    g_clear_pointer(&text, g_free);

    addr = vfw_network_reserved_address(routed, "52:54:00:ab:cd:01", G_SOCKET_FAMILY_IPV4);
    text = g_inet_address_to_string(addr);
    g_assert_cmpstr(text, ==, "192.168.100.10");

    /* Only normalized (lower-case) MACs match: the domain parser normalizes them. */
    g_assert_null(vfw_network_reserved_address(nat, "52:54:00:AB:CD:01", G_SOCKET_FAMILY_IPV4));
    g_assert_null(vfw_network_reserved_address(nat, "52:54:00:ab:cd:01", G_SOCKET_FAMILY_IPV6));
    g_assert_null(vfw_network_reserved_address(routed, "52:54:00:ab:cd:01", G_SOCKET_FAMILY_IPV6));
    g_assert_null(vfw_network_reserved_address(nat, "52:54:00:ff:ff:ff", G_SOCKET_FAMILY_IPV4));
    g_assert_null(vfw_network_reserved_address(nat, NULL, G_SOCKET_FAMILY_IPV4));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/network/plain-nat", test_plain_nat);
    g_test_add_func("/network/hook-routed", test_hook_routed);
    g_test_add_func("/network/status-open", test_status_open);
    g_test_add_func("/network/status-firewall-backend", test_status_firewall_backend);
    for (guint i = 0; i < G_N_ELEMENTS(mode_cases); i++) {
        g_autofree char *path = g_strdup_printf("/network/mode/%s", mode_cases[i].label);
        g_test_add_data_func(path, &mode_cases[i], test_mode);
    }
    for (guint i = 0; i < G_N_ELEMENTS(ip_cases); i++) {
        g_autofree char *path = g_strdup_printf("/network/ip/%s", ip_cases[i].label);
        g_test_add_data_func(path, &ip_cases[i], test_ip);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/network/bad/%s", bad_cases[i].label);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    g_test_add_func("/network/load-errors", test_load_errors);
    g_test_add_func("/network/find-subnet", test_find_subnet);
    g_test_add_func("/network/reserved-address", test_reserved_address);
    return g_test_run();
}
