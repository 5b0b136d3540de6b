/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Planning: drop-ins + domain XML + network definitions -> the exact rich rules firewalld
 * gets. Rule texts are asserted verbatim (firewalld compares them as strings on removal),
 * and a property check feeds random and hostile specs through the whole pipeline.
 */
#include <string.h>

#include "hostaddr.h"
#include "plan.h"
#include "vfw-error.h"
#include "vfw-test.h"

#define UUID_A     "6f9a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
#define DROPIN     "forwards.conf"
#define MAC_ROUTED "52:54:00:ab:00:10"
#define MAC_OPEN   "52:54:00:00:01:10"
#define MAC_NAT    "52:54:00:00:02:10"
#define MAC_ISO    "52:54:00:00:03:10"
#define MAC_NONE   "52:54:00:00:09:99"

#define IFACE(net, mac)                                                                            \
    "<interface type='network'><mac address='" mac "'/><source network='" net "'/>"                \
    "</interface>"
#define META(body)    "<vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'>" body "</vf:forwards>"
#define META_FWD(s)   "<vf:forward spec='" s "'/>"
#define META_AT(s, a) "<vf:forward spec='" s "' address='" a "'/>"

static const char *const network_xml[] = {
    "<network><name>routed</name><forward mode='route'/><bridge name='virbr1'/>"
    "<ip address='192.168.100.1' prefix='24'><dhcp>"
    "<host mac='" MAC_ROUTED "' ip='192.168.100.10'/></dhcp></ip>"
    "<ip family='ipv6' address='2001:db8:100::1' prefix='64'/></network>",

    "<hookData><network><name>open</name><forward mode='open'/><bridge name='virbr2'/>"
    "<ip address='192.168.101.1' netmask='255.255.255.0'><dhcp>"
    "<host mac='" MAC_OPEN "' ip='192.168.101.10'/></dhcp></ip></network></hookData>",

    "<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/>"
    "<ip address='192.168.122.1' netmask='255.255.255.0'><dhcp>"
    "<host mac='" MAC_NAT "' ip='192.168.122.10'/></dhcp></ip></network>",

    "<network><name>isolated</name><bridge name='virbr3'/>"
    "<ip address='192.168.150.1' prefix='24'><dhcp>"
    "<host mac='" MAC_ISO "' ip='192.168.150.10'/></dhcp></ip></network>",
};

static GHashTable *
make_networks(void)
{
    GHashTable *networks =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)vfw_network_free);

    for (guint i = 0; i < G_N_ELEMENTS(network_xml); i++) {
        g_autoptr(GError) error = NULL;
        VfwNetwork *net = vfw_network_parse(network_xml[i], strlen(network_xml[i]), &error);

        g_assert_no_error(error);
        g_hash_table_insert(networks, g_strdup(net->name), net);
    }
    return networks;
}

static VfwDomain *
make_domain(const char *interfaces, const char *metadata)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = g_strdup_printf("<domain type='kvm'><name>web01</name>"
                                           "<uuid>" UUID_A "</uuid><metadata>%s</metadata>"
                                           "<devices>%s</devices></domain>",
                                           metadata ? metadata : "", interfaces);
    VfwDomain *domain = vfw_domain_parse(xml, strlen(xml), &error);

    g_assert_no_error(error);
    return domain;
}

static VfwConfig *
make_config(const char *dropin)
{
    g_autoptr(GError) error = NULL;
    VfwConfig *config = vfw_config_new();

    if (dropin) {
        g_assert_true(vfw_config_load_dropin_data(config, dropin, strlen(dropin), DROPIN, &error));
        g_assert_no_error(error);
    }
    return config;
}

/* Checks that @rules hold exactly one hairpin rule, of the right text, for every guest
 * address a forward rule publishes to, then takes them out (the tables list forwards). */
static void
strip_hairpins(GPtrArray *rules)
{
    g_autoptr(GHashTable) targets = g_hash_table_new(g_str_hash, g_str_equal);
    guint hairpins = 0;

    for (guint i = 0; i < rules->len; i++) {
        const VfwRule *r = g_ptr_array_index(rules, i);
        if (r->kind == VFW_RULE_FORWARD)
            g_hash_table_add(targets, r->to_addr);
    }
    for (guint i = 0; i < rules->len;) {
        const VfwRule *r = g_ptr_array_index(rules, i);
        g_autofree char *want = NULL;
        if (r->kind != VFW_RULE_HAIRPIN) {
            i++;
            continue;
        }
        want = g_strdup_printf("rule family=\"%s\" source address=\"%s\" destination "
                               "address=\"%s\" masquerade",
                               r->family == G_SOCKET_FAMILY_IPV6 ? "ipv6" : "ipv4", r->to_addr,
                               r->to_addr);
        g_assert_cmpstr(r->rich_rule, ==, want);
        g_assert_true(g_hash_table_remove(targets, r->to_addr));
        hairpins++;
        g_ptr_array_remove_index(rules, i);
    }
    g_assert_cmpuint(g_hash_table_size(targets), ==, 0);
    (void)hairpins;
}

static VfwPlan *
plan_for(const char *dropin, const char *interfaces, const char *metadata, GError **error)
{
    g_autoptr(VfwConfig) config = make_config(dropin);
    g_autoptr(VfwDomain) domain = make_domain(interfaces, metadata);
    g_autoptr(GHashTable) networks = make_networks();

    VfwPlan *plan = vfw_plan_for_domain(config, domain, networks, error);

    if (plan)
        strip_hairpins(plan->rules);
    return plan;
}

typedef struct {
    const char *label;
    const char *dropin;
    const char *interfaces;
    const char *metadata;
    const char *rules[4];    /* exact rich rules, in order (hairpin rules checked apart) */
    const char *warnings[2]; /* a substring of each warning, in order */
    int error_code;          /* -1: success expected */
    const char *needles[4];  /* substrings of the error message */
} PlanCase;

/* a forward without a host address: a forward-port entry of virtfw-pub(-host) */
#define RULE4(port, to_port, addr) "pub port=" port ":proto=tcp:toport=" to_port ":toaddr=" addr

static const PlanCase plan_cases[] = {
    { "reservation",
      "[web01]\nforward=8080:80/tcp\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { "pub port=8080:proto=tcp:toport=80:toaddr=192.168.100.10" },
      { NULL },
      -1,
      { NULL } },
    { "reservation-upper-case-mac",
      "[web01]\nforward=8080:80/tcp\n",
      IFACE("routed", "52:54:00:AB:00:10"),
      NULL,
      { RULE4("8080", "80", "192.168.100.10") },
      { NULL },
      -1,
      { NULL } },
    { "explicit-address-wins",
      "[web01]\nforward=8080:80\naddress=192.168.100.20\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { RULE4("8080", "80", "192.168.100.20") },
      { NULL },
      -1,
      { NULL } },
    { "explicit-address-without-reservation",
      "[web01]\nforward=8080:80\naddress=192.168.100.20\n",
      IFACE("routed", MAC_NONE),
      NULL,
      { RULE4("8080", "80", "192.168.100.20") },
      { NULL },
      -1,
      { NULL } },
    { "metadata-address",
      "[web01]\nforward=8080:80\n",
      IFACE("routed", MAC_ROUTED),
      META(META_AT("8081:81", "192.168.100.30")),
      { RULE4("8080", "80", "192.168.100.10"), RULE4("8081", "81", "192.168.100.30") },
      { NULL },
      -1,
      { NULL } },
    { "metadata-address-beats-explicit",
      "[web01]\naddress=192.168.100.20\n",
      IFACE("routed", MAC_ROUTED),
      META(META_AT("8081:81", "192.168.100.30") META_FWD("8082:82")),
      { RULE4("8081", "81", "192.168.100.30"), RULE4("8082", "82", "192.168.100.20") },
      { NULL },
      -1,
      { NULL } },
    { "metadata-only",
      NULL,
      IFACE("routed", MAC_ROUTED),
      META(META_FWD("443")),
      { RULE4("443", "443", "192.168.100.10") },
      { NULL },
      -1,
      { NULL } },
    { "address-outside-networks",
      "[web01]\nforward=8080:80\naddress=10.9.9.9\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { NULL },
      { NULL },
      VFW_ERROR_ADDRESS,
      { "guest 'web01'", "address '10.9.9.9' is not inside any of its networks", "'routed'" } },
    { "metadata-address-outside-networks",
      NULL,
      IFACE("routed", MAC_ROUTED),
      META(META_AT("80", "192.168.122.10")),
      { NULL },
      { NULL },
      VFW_ERROR_ADDRESS,
      { "guest 'web01'", "'192.168.122.10'" } },
    { "address-on-unknown-network",
      "[web01]\nforward=8080:80\naddress=192.168.100.10\n",
      IFACE("gone", MAC_ROUTED),
      NULL,
      { NULL },
      { NULL },
      VFW_ERROR_ADDRESS,
      { "guest 'web01'", "'gone' (state unknown)" } },
    /* no address yet on a routed network: a lease forward for `watch`, no rule, no error */
    { "no-address-follows-lease",
      "[web01]\nforward=8080:80\n",
      IFACE("routed", MAC_NONE),
      NULL,
      { NULL },
      { NULL },
      -1,
      { NULL } },
    { "no-interface",
      "[web01]\nforward=8080:80\n",
      "",
      NULL,
      { NULL },
      { NULL },
      VFW_ERROR_ADDRESS,
      { "guest 'web01' has no known address on network '(none)'" } },
    { "nat-network",
      "[web01]\nforward=8080:80\n",
      IFACE("default", MAC_NAT),
      NULL,
      { NULL },
      { "network 'default' is in nat mode" },
      -1,
      { NULL } },
    { "isolated-network",
      "[web01]\nforward=8080:80\n",
      IFACE("isolated", MAC_ISO),
      NULL,
      { NULL },
      { "network 'isolated' (mode isolated) is not routed by this host" },
      -1,
      { NULL } },
    { "open-network",
      "[web01]\nforward=8080:80\n",
      IFACE("open", MAC_OPEN),
      NULL,
      { RULE4("8080", "80", "192.168.101.10") },
      { NULL },
      -1,
      { NULL } },
    /* The nat NIC comes first, yet the routed network's reservation is the one used. */
    { "nat-and-routed-nics",
      "[web01]\nforward=8080:80\n",
      IFACE("default", MAC_NAT) IFACE("routed", MAC_ROUTED),
      NULL,
      { RULE4("8080", "80", "192.168.100.10") },
      { NULL },
      -1,
      { NULL } },
    { "explicit-address-on-nat-nic",
      "[web01]\nforward=8080:80\naddress=192.168.122.50\n",
      IFACE("default", MAC_NAT) IFACE("routed", MAC_ROUTED),
      NULL,
      { NULL },
      { "network 'default' is in nat mode" },
      -1,
      { NULL } },
    { "udp-range",
      "[web01]\nforward=5000-5010/udp\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { "pub port=5000-5010:proto=udp:toport=5000-5010:toaddr=192.168.100.10" },
      { NULL },
      -1,
      { NULL } },
    /* nft's DNAT to a port range does not shift: one rule per port pair */
    { "shifted-range-sctp",
      "[web01]\nforward=6000-6002:7000-7002/sctp\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { "pub port=6000:proto=sctp:toport=7000:toaddr=192.168.100.10",
        "pub port=6001:proto=sctp:toport=7001:toaddr=192.168.100.10",
        "pub port=6002:proto=sctp:toport=7002:toaddr=192.168.100.10" },
      { NULL },
      -1,
      { NULL } },
    /* consecutive host ports to one guest port: one entry of a port range (exact in nft),
     * where the lowest port was; a gap, another protocol or another guest port stays apart */
    { "ports-to-one-port-joined",
      "[web01]\nforward=8002:80; 7000:22; 8000:80; 8001:80; 8004:80; 8003:80/udp\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { RULE4("7000", "22", "192.168.100.10"), RULE4("8000-8002", "80", "192.168.100.10"),
        RULE4("8004", "80", "192.168.100.10"),
        "pub port=8003:proto=udp:toport=80:toaddr=192.168.100.10" },
      { NULL },
      -1,
      { NULL } },
    { "ports-to-one-port-rich",
      "[web01]\nforward=8000:80; 8001:80\nsource=203.0.113.0/24\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { "pub rule family=\"ipv4\" source address=\"203.0.113.0/24\" forward-port "
        "port=\"8000-8001\" "
        "protocol=\"tcp\" to-port=\"80\" to-addr=\"192.168.100.10\"" },
      { NULL },
      -1,
      { NULL } },
    /* declared in different places (drop-in line, metadata): apart, each keeps its origin */
    { "ports-to-one-port-origins-apart",
      "[web01]\nforward=8000:80\n",
      IFACE("routed", MAC_ROUTED),
      META(META_FWD("8001:80")),
      { RULE4("8000", "80", "192.168.100.10"), RULE4("8001", "80", "192.168.100.10") },
      { NULL },
      -1,
      { NULL } },
    { "shifted-range-not-joined",
      "[web01]\nforward=6000-6001:7000-7001; 6002:7002\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { RULE4("6000", "7000", "192.168.100.10"), RULE4("6001", "7001", "192.168.100.10"),
        RULE4("6002", "7002", "192.168.100.10") },
      { NULL },
      -1,
      { NULL } },
    { "ipv6-host-address",
      "[web01]\nforward=[2001:db8::1]:8081:80/tcp\naddress6=2001:db8:100::10\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { "rule family=\"ipv6\" destination address=\"2001:db8::1\" forward-port port=\"8081\" "
        "protocol=\"tcp\" to-port=\"80\" to-addr=\"2001:db8:100::10\"" },
      { NULL },
      -1,
      { NULL } },
    { "ipv6-host-address-without-address6",
      "[web01]\nforward=[2001:db8::1]:8081:80/tcp\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { NULL },
      { NULL },
      VFW_ERROR_ADDRESS,
      { "guest 'web01' has no known IPv6 address on network 'routed'" } },
    { "dual-stack",
      "[web01]\nforward=8080:80\naddress6=2001:db8:100::10\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { RULE4("8080", "80", "192.168.100.10"),
        "pub port=8080:proto=tcp:toport=80:toaddr=2001:db8:100::10" },
      { NULL },
      -1,
      { NULL } },
    { "ipv4-host-address-on-dual-stack",
      "[web01]\nforward=198.51.100.1:2222:22\naddress6=2001:db8:100::10\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { "rule family=\"ipv4\" destination address=\"198.51.100.1\" forward-port "
        "port=\"2222\" protocol=\"tcp\" to-port=\"22\" to-addr=\"192.168.100.10\"" },
      { NULL },
      -1,
      { NULL } },
    { "source",
      "[web01]\nforward=198.51.100.1:2222:22/tcp\nsource=203.0.113.0/24\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { "rule family=\"ipv4\" source address=\"203.0.113.0/24\" destination "
        "address=\"198.51.100.1\" forward-port port=\"2222\" protocol=\"tcp\" to-port=\"22\" "
        "to-addr=\"192.168.100.10\"" },
      { NULL },
      -1,
      { NULL } },
    { "source-single-host",
      "[web01]\nforward=2222:22\nsource=203.0.113.7\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { "pub rule family=\"ipv4\" source address=\"203.0.113.7/32\" forward-port port=\"2222\" "
        "protocol=\"tcp\" to-port=\"22\" to-addr=\"192.168.100.10\"" },
      { NULL },
      -1,
      { NULL } },
    { "source-ipv6",
      "[web01]\nforward=2222:22\nsource=2001:db8:ff::/48\naddress6=2001:db8:100::10\n",
      IFACE("routed", MAC_NONE),
      NULL,
      { "pub rule family=\"ipv6\" source address=\"2001:db8:ff::/48\" forward-port port=\"2222\" "
        "protocol=\"tcp\" to-port=\"22\" to-addr=\"2001:db8:100::10\"" },
      { NULL },
      -1,
      { NULL } },
    { "source-other-family",
      "[web01]\nforward=8080:80\nsource=203.0.113.0/24\naddress6=2001:db8:100::10\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { "pub rule family=\"ipv4\" source address=\"203.0.113.0/24\" forward-port port=\"8080\" "
        "protocol=\"tcp\" to-port=\"80\" to-addr=\"192.168.100.10\"" },
      { "'source' is of the other address family" },
      -1,
      { NULL } },
    { "conflict-dropin-metadata",
      "[web01]\nforward=8080:80/tcp\n",
      IFACE("routed", MAC_ROUTED),
      META(META_FWD("8080:8000/tcp")),
      { NULL },
      { NULL },
      VFW_ERROR_CONFLICT,
      { "guest 'web01'", "'8080:8000/tcp' (metadata)", "'8080:80/tcp' (" DROPIN ":2)" } },
    { "conflict-range",
      "[web01]\n\nforward=5000-5010/udp\n",
      IFACE("routed", MAC_ROUTED),
      META(META_FWD("5005/udp")),
      { NULL },
      { NULL },
      VFW_ERROR_CONFLICT,
      { DROPIN ":3", "metadata", "'5005:5005/udp'" } },
    { "conflict-within-dropin",
      "[web01]\nforward=80;80:8080\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { NULL },
      { NULL },
      VFW_ERROR_CONFLICT,
      { "'80:8080/tcp' (" DROPIN ":2) overlaps forward '80:80/tcp' (" DROPIN ":2)" } },
    { "conflict-within-metadata",
      NULL,
      IFACE("routed", MAC_ROUTED),
      META(META_FWD("80") META_FWD("198.51.100.1:80:81")),
      { NULL },
      { NULL },
      VFW_ERROR_CONFLICT,
      { "(metadata) overlaps" } },
    { "same-port-other-protocol",
      "[web01]\nforward=53/udp\n",
      IFACE("routed", MAC_ROUTED),
      META(META_FWD("53/tcp")),
      { "pub port=53:proto=udp:toport=53:toaddr=192.168.100.10",
        RULE4("53", "53", "192.168.100.10") },
      { NULL },
      -1,
      { NULL } },
    { "same-port-other-host-addresses",
      "[web01]\nforward=198.51.100.1:80:80;198.51.100.2:80:81\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { "rule family=\"ipv4\" destination address=\"198.51.100.1\" forward-port port=\"80\" "
        "protocol=\"tcp\" to-port=\"80\" to-addr=\"192.168.100.10\"",
        "rule family=\"ipv4\" destination address=\"198.51.100.2\" forward-port port=\"80\" "
        "protocol=\"tcp\" to-port=\"81\" to-addr=\"192.168.100.10\"" },
      { NULL },
      -1,
      { NULL } },
    { "by-uuid",
      "[" UUID_A "]\nforward=8080:80\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { RULE4("8080", "80", "192.168.100.10") },
      { NULL },
      -1,
      { NULL } },
    { "by-name-and-uuid",
      "[web01]\nforward=8080:80\n[" UUID_A "]\nforward=8081:80\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { NULL },
      { NULL },
      VFW_ERROR_CONFIG,
      { "guest 'web01': declared both by name (" DROPIN ":1) and by UUID (" DROPIN ":3)" } },
    { "undeclared-guest",
      "[db01]\nforward=5432\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { NULL },
      { NULL },
      -1,
      { NULL } },
    { "declared-without-forwards",
      "[web01]\naddress=10.9.9.9\n",
      IFACE("routed", MAC_ROUTED),
      NULL,
      { NULL },
      { NULL },
      -1,
      { NULL } },
    { "metadata-bad-spec",
      NULL,
      IFACE("routed", MAC_ROUTED),
      META(META_FWD("80 to-addr=1.2.3.4")),
      { NULL },
      { NULL },
      VFW_ERROR_CONFIG,
      { "guest 'web01': metadata: ", "unexpected character ' '" } },
    { "metadata-bad-address",
      NULL,
      IFACE("routed", MAC_ROUTED),
      META(META_AT("80", "192.168.100.10\" to-addr=\"1.2.3.4")),
      { NULL },
      { NULL },
      VFW_ERROR_CONFIG,
      { "guest 'web01': metadata: ", "is not an IP address" } },
    { "metadata-loopback-address",
      NULL,
      IFACE("routed", MAC_ROUTED),
      META(META_AT("80", "127.0.0.1")),
      { NULL },
      { NULL },
      VFW_ERROR_CONFIG,
      { "guest 'web01': metadata: ", "cannot be used" } },
};

static void
test_plan(gconstpointer data)
{
    const PlanCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwPlan) plan = plan_for(tc->dropin, tc->interfaces, tc->metadata, &error);
    guint n_rules = 0, n_warnings = 0;

    if (tc->error_code >= 0) {
        g_assert_null(plan);
        g_assert_error(error, VFW_ERROR, tc->error_code);
        for (guint i = 0; i < G_N_ELEMENTS(tc->needles) && tc->needles[i]; i++)
            assert_contains(error->message, tc->needles[i]);
        return;
    }
    g_assert_no_error(error);
    g_assert_nonnull(plan);
    while (n_rules < G_N_ELEMENTS(tc->rules) && tc->rules[n_rules])
        n_rules++;
    while (n_warnings < G_N_ELEMENTS(tc->warnings) && tc->warnings[n_warnings])
        n_warnings++;
    for (guint i = 0; i < plan->rules->len; i++)
        g_test_message("rule: %s", ((VfwRule *)g_ptr_array_index(plan->rules, i))->rich_rule);
    for (guint i = 0; i < plan->warnings->len; i++)
        g_test_message("warning: %s", (char *)g_ptr_array_index(plan->warnings, i));
    g_assert_cmpuint(plan->rules->len, ==, n_rules);
    for (guint i = 0; i < n_rules; i++) {
        const VfwRule *rule = g_ptr_array_index(plan->rules, i);
        g_assert_cmpstr(rule->rich_rule, ==, tc->rules[i]);
    }
    g_assert_cmpuint(plan->warnings->len, ==, n_warnings);
    for (guint i = 0; i < n_warnings; i++) {
        const char *warning = g_ptr_array_index(plan->warnings, i);
        assert_contains(warning, tc->warnings[i]);
        assert_contains(warning, "guest 'web01'");
    }
}

/* A nat network's warning tells the user what to do about it. */
static void
test_nat_warning_text(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwPlan) plan =
        plan_for("[web01]\nforward=8080:80\n", IFACE("default", MAC_NAT), NULL, &error);
    const char *warning;

    g_assert_no_error(error);
    g_assert_cmpuint(plan->warnings->len, ==, 1);
    warning = g_ptr_array_index(plan->warnings, 0);
    assert_contains(warning, "guest 'web01': forward '8080:80/tcp' not published");
    assert_contains(warning, "'virt-firewalld network convert default'");
}

/* Everything a rule records besides its text: shown by `status`, used for removal. */
static void
test_rule_fields(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwPlan) plan =
        plan_for("[web01]\nforward=8080:80\nsource=203.0.113.0/24\n", IFACE("routed", MAC_ROUTED),
                 META(META_AT("[2001:db8::1]:8443:443/udp", "2001:db8:100::44")), &error);
    const VfwRule *rule;

    g_assert_no_error(error);
    g_assert_cmpuint(plan->rules->len, ==, 1);
    /* The metadata forward is IPv6 and the source IPv4: a warning, not a rule. */
    g_assert_cmpuint(plan->warnings->len, ==, 1);
    assert_contains(g_ptr_array_index(plan->warnings, 0), "'[2001:db8::1]:8443:443/udp'");
    rule = g_ptr_array_index(plan->rules, 0);
    g_assert_cmpint(rule->family, ==, G_SOCKET_FAMILY_IPV4);
    g_assert_cmpstr(rule->to_addr, ==, "192.168.100.10");
    g_assert_cmpstr(rule->source, ==, "203.0.113.0/24");
    g_assert_cmpstr(rule->network, ==, "routed");
    g_assert_cmpstr(rule->origin, ==, DROPIN ":2");
    g_assert_cmpuint(rule->spec.host_port, ==, 8080);
    g_assert_cmpuint(rule->spec.guest_port, ==, 80);
    g_clear_pointer(&plan, vfw_plan_free);

    plan = plan_for(NULL, IFACE("routed", MAC_ROUTED),
                    META(META_AT("[2001:db8::1]:8443:443/udp", "2001:db8:100::44")), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(plan->rules->len, ==, 1);
    rule = g_ptr_array_index(plan->rules, 0);
    g_assert_cmpint(rule->family, ==, G_SOCKET_FAMILY_IPV6);
    g_assert_cmpstr(rule->to_addr, ==, "2001:db8:100::44");
    g_assert_null(rule->source);
    g_assert_cmpstr(rule->origin, ==, "metadata");
    g_assert_cmpstr(rule->network, ==, "routed");
}

static void
test_collect_forwards(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwConfig) config = make_config("[web01]\nforward=80;443\n");
    g_autoptr(VfwDomain) domain =
        make_domain("", META(META_AT("8080:80/udp", "192.168.100.99") META_FWD("22")));
    const VfwGuestDecl *decl = g_hash_table_lookup(config->guests, "web01");
    g_autoptr(GPtrArray) all = vfw_collect_forwards(decl, domain, &error);
    const VfwDeclForward *fwd;

    g_assert_no_error(error);
    g_assert_cmpuint(all->len, ==, 4);
    fwd = g_ptr_array_index(all, 2);
    g_assert_cmpuint(fwd->spec.host_port, ==, 8080);
    g_assert_cmpint(fwd->spec.proto, ==, VFW_PROTO_UDP);
    g_assert_cmpstr(fwd->address, ==, "192.168.100.99");
    g_assert_cmpstr(fwd->origin, ==, "metadata");
    fwd = g_ptr_array_index(all, 0);
    g_assert_cmpstr(fwd->origin, ==, DROPIN ":2");
    g_assert_null(fwd->address);
    g_clear_pointer(&all, g_ptr_array_unref);

    /* No drop-in group at all: metadata alone. */
    all = vfw_collect_forwards(NULL, domain, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(all->len, ==, 2);
}

/* ---- property checks ---- */

static GRegex *
rule_regex(void)
{
    g_autoptr(GError) error = NULL;
    /* a forward-port entry (no host address, no source), a rich rule of virtfw-pub (no host
     * address, a source), or one bound to a host address */
    GRegex *re =
        g_regex_new("^(pub port=[1-9][0-9]{0,4}(-[1-9][0-9]{0,4})?:proto=(tcp|udp|sctp)"
                    ":toport=[1-9][0-9]{0,4}(-[1-9][0-9]{0,4})?:toaddr=[0-9a-f.:]+"
                    "|(pub rule family=\"ipv[46]\" source address=\"[0-9a-f.:]+/[0-9]{1,3}\""
                    "|rule family=\"ipv[46]\"( source address=\"[0-9a-f.:]+/[0-9]{1,3}\")?"
                    " destination address=\"[0-9a-f.:]+\")"
                    " forward-port port=\"[1-9][0-9]{0,4}(-[1-9][0-9]{0,4})?\""
                    " protocol=\"(tcp|udp|sctp)\""
                    " to-port=\"[1-9][0-9]{0,4}(-[1-9][0-9]{0,4})?\""
                    " to-addr=\"[0-9a-f.:]+\")$",
                    G_REGEX_OPTIMIZE, 0, &error);

    g_assert_no_error(error);
    return re;
}

static void
assert_rule_shape(GRegex *re, const char *rule)
{
    if (!g_regex_match(re, rule, 0, NULL)) {
        g_autofree char *msg = g_strdup_printf("rule of unexpected shape: %s", rule);
        g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
    }
    for (const char *p = rule; *p; p++) {
        if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || strchr(" =\"./:-", *p))) {
            g_autofree char *msg = g_strdup_printf("unexpected character in: %s", rule);
            g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
        }
    }
}

static char *
random_public_ipv4(void)
{
    int a;

    do
        a = g_test_rand_int_range(1, 224);
    while (a == 127 || a == 10 || a == 192);
    return g_strdup_printf("%d.%d.%d.%d", a, g_test_rand_int_range(0, 256),
                           g_test_rand_int_range(0, 256), g_test_rand_int_range(1, 255));
}

/* A random valid spec; the parsed values it must give go into @expect. */
static char *
random_spec(VfwPortSpec *expect)
{
    static const char *const protos[] = { "tcp", "udp", "sctp" };
    g_autoptr(GString) text = g_string_new(NULL);
    guint len = g_test_rand_bit() ? 0 : g_test_rand_int_range(0, 200);
    guint host = g_test_rand_int_range(1, 65536 - len);
    guint guest = g_test_rand_bit() ? host : (guint)g_test_rand_int_range(1, 65536 - len);

    if (guest != host && len >= VFW_SHIFTED_RANGE_MAX)
        len = g_test_rand_int_range(0, VFW_SHIFTED_RANGE_MAX);
    if (host + len > 65535 || guest + len > 65535)
        len = 0;
    int kind = g_test_rand_int_range(0, 3);
    int proto = g_test_rand_int_range(-1, 3);

    memset(expect, 0, sizeof(*expect));
    if (kind == 1) {
        g_autofree char *addr = random_public_ipv4();
        g_string_append_printf(text, "%s:", addr);
        expect->host_family = G_SOCKET_FAMILY_IPV4;
        g_strlcpy(expect->host_addr, addr, sizeof(expect->host_addr));
    } else if (kind == 2) {
        g_autofree char *addr = g_strdup_printf("2001:db8:%x::%x", g_test_rand_int_range(1, 65536),
                                                g_test_rand_int_range(1, 65536));
        g_string_append_printf(text, "[%s]:", addr);
        expect->host_family = G_SOCKET_FAMILY_IPV6;
        g_strlcpy(expect->host_addr, addr, sizeof(expect->host_addr));
    }
    g_string_append_printf(text, "%u", host);
    if (len)
        g_string_append_printf(text, "-%u", host + len);
    if (guest != host || g_test_rand_bit()) {
        g_string_append_printf(text, ":%u", guest);
        if (len)
            g_string_append_printf(text, "-%u", guest + len);
    }
    if (proto >= 0)
        g_string_append_printf(text, "/%s", protos[proto]);
    expect->host_port = host;
    expect->host_port_end = host + len;
    expect->guest_port = guest;
    expect->guest_port_end = guest + len;
    expect->proto = proto < 0 ? VFW_PROTO_TCP : (VfwProto)proto;
    return g_string_free(g_steal_pointer(&text), FALSE);
}

/* A few hundred random valid forwards through drop-in, plan and rule builder: every rule
 * has one of the allowed shapes, carries the parsed ports, and its family fits. */
static void
test_property_random_specs(void)
{
    g_autoptr(GRegex) re = rule_regex();
    g_autoptr(GHashTable) networks = make_networks();
    g_autoptr(VfwDomain) domain = make_domain(IFACE("routed", MAC_ROUTED), NULL);

    for (int i = 0; i < 400; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VfwConfig) config = NULL;
        g_autoptr(VfwPlan) plan = NULL;
        g_autofree char *dropin = NULL;
        g_autofree char *port = NULL, *to_port = NULL;
        g_autofree char *port_attr = NULL, *to_port_attr = NULL;
        gboolean with_source = g_test_rand_bit();
        VfwPortSpec expect;
        g_autofree char *spec = random_spec(&expect);
        gboolean shifted;
        guint per_family;
        guint want;

        dropin = g_strdup_printf("[web01]\nforward = %s\naddress6 = 2001:db8:100::%x\n%s", spec,
                                 g_test_rand_int_range(2, 65536),
                                 with_source ? "source = 198.51.100.0/24\n" : "");
        config = make_config(dropin);
        plan = vfw_plan_for_domain(config, domain, networks, &error);
        g_assert_no_error(error);
        strip_hairpins(plan->rules);

        /* One rule per family the host side allows (per port pair of a shifted range); the
         * v4-only source drops IPv6. */
        shifted = vfw_port_spec_is_shifted_range(&expect);
        per_family = shifted ? (guint)(expect.host_port_end - expect.host_port) + 1 : 1;
        want = expect.host_family == G_SOCKET_FAMILY_INVALID ? 2 : 1;
        g_assert_cmpuint(plan->rules->len / per_family + plan->warnings->len, ==, want);
        g_assert_cmpuint(plan->rules->len % per_family, ==, 0);
        if (with_source)
            g_assert_cmpuint(plan->warnings->len, ==,
                             expect.host_family == G_SOCKET_FAMILY_IPV4 ? 0 : 1);
        port = vfw_port_range_to_string(expect.host_port, expect.host_port_end);
        to_port = vfw_port_range_to_string(expect.guest_port, expect.guest_port_end);
        port_attr = g_strdup_printf(" port=\"%s\" protocol=\"%s\" ", port,
                                    vfw_proto_to_string(expect.proto));
        to_port_attr = g_strdup_printf(" to-port=\"%s\" ", to_port);
        for (guint r = 0; r < plan->rules->len; r++) {
            const VfwRule *rule = g_ptr_array_index(plan->rules, r);

            g_test_message("%s -> %s", spec, rule->rich_rule);
            assert_rule_shape(re, rule->rich_rule);
            if (shifted) {
                /* port by port, in order, the same shift for each */
                guint k = r % per_family;
                g_assert_cmpuint(rule->spec.host_port, ==, expect.host_port + k);
                g_assert_cmpuint(rule->spec.host_port_end, ==, expect.host_port + k);
                g_assert_cmpuint(rule->spec.guest_port, ==, expect.guest_port + k);
                g_clear_pointer(&port_attr, g_free);
                g_clear_pointer(&to_port_attr, g_free);
                port_attr = g_strdup_printf(" port=\"%u\" protocol=\"%s\" ", expect.host_port + k,
                                            vfw_proto_to_string(expect.proto));
                to_port_attr = g_strdup_printf(" to-port=\"%u\" ", expect.guest_port + k);
            }
            if (g_str_has_prefix(rule->rich_rule, "pub port=")) {
                /* the same values in a forward-port entry */
                g_autofree char *entry = NULL;
                g_auto(GStrv) p = g_strsplit(port_attr, "\"", -1);
                g_auto(GStrv) t = g_strsplit(to_port_attr, "\"", -1);
                entry = g_strdup_printf("pub port=%s:proto=%s:toport=%s:", p[1], p[3], t[1]);
                g_assert_true(g_str_has_prefix(rule->rich_rule, entry));
            } else {
                assert_contains(rule->rich_rule, port_attr);
                assert_contains(rule->rich_rule, to_port_attr);
            }
            if (expect.host_family != G_SOCKET_FAMILY_INVALID) {
                g_autofree char *dest =
                    g_strdup_printf(" destination address=\"%s\" ", expect.host_addr);
                g_assert_cmpint(rule->family, ==, expect.host_family);
                assert_contains(rule->rich_rule, dest);
            }
            if (with_source)
                assert_contains(rule->rich_rule, " source address=\"198.51.100.0/24\" ");
        }
    }
}

/* Random text from an alphabet rich in rule syntax: whatever parses yields a rule of an
 * allowed shape, and nothing that does not parse gets near a rule. */
static void
test_property_hostile_specs(void)
{
    static const char alphabet[] = "0123456789:-/[].abcdefptu \"'=\\;x\n";
    g_autoptr(GRegex) re = rule_regex();
    guint parsed = 0;

    for (int i = 0; i < 3000; i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;
        g_autofree char *rule = NULL;
        g_autofree char *canonical = NULL;
        VfwPortSpec again;
        int len = g_test_rand_int_range(0, 40);
        VfwPortSpec spec;

        if (i % 2) {
            text = g_malloc(len + 1);
            for (int c = 0; c < len; c++)
                text[c] = alphabet[g_test_rand_int_range(0, sizeof(alphabet) - 1)];
            text[len] = '\0';
        } else {
            /* A valid spec with a few characters replaced, inserted or removed. */
            g_autoptr(GString) mutated = NULL;
            VfwPortSpec ignored;

            g_free(text);
            text = random_spec(&ignored);
            mutated = g_string_new(text);
            for (int m = g_test_rand_int_range(1, 4); m > 0 && mutated->len; m--) {
                guint at = g_test_rand_int_range(0, mutated->len);
                char c = alphabet[g_test_rand_int_range(0, sizeof(alphabet) - 1)];
                switch (g_test_rand_int_range(0, 3)) {
                case 0:
                    mutated->str[at] = c;
                    break;
                case 1:
                    g_string_insert_c(mutated, at, c);
                    break;
                default:
                    g_string_erase(mutated, at, 1);
                    break;
                }
            }
            g_free(text);
            text = g_string_free(g_steal_pointer(&mutated), FALSE);
        }
        if (!vfw_port_spec_parse(text, &spec, &error)) {
            g_assert_error(error, VFW_ERROR, VFW_ERROR_CONFIG);
            continue;
        }
        parsed++;
        rule = vfw_rich_rule_build(&spec,
                                   spec.host_family == G_SOCKET_FAMILY_IPV6 ? G_SOCKET_FAMILY_IPV6
                                                                            : G_SOCKET_FAMILY_IPV4,
                                   "192.168.100.10", g_test_rand_bit() ? "203.0.113.0/24" : NULL);
        g_test_message("'%s' -> %s", text, rule);
        assert_rule_shape(re, rule);
        /* What parsed once parses again from its canonical text, to the same values. */
        canonical = vfw_port_spec_to_string(&spec);
        g_assert_true(vfw_port_spec_parse(canonical, &again, NULL));
        g_assert_cmpstr(again.host_addr, ==, spec.host_addr);
        g_assert_cmpuint(again.host_port, ==, spec.host_port);
        g_assert_cmpuint(again.host_port_end, ==, spec.host_port_end);
        g_assert_cmpuint(again.guest_port, ==, spec.guest_port);
        g_assert_cmpuint(again.guest_port_end, ==, spec.guest_port_end);
        g_assert_cmpint(again.proto, ==, spec.proto);
    }
    g_test_message("%u of 3000 random strings parsed", parsed);
}

static GPtrArray *
rules_of(const char *const *specs)
{
    GPtrArray *rules = g_ptr_array_new_with_free_func(vfw_rule_free);

    for (guint i = 0; specs[i]; i++) {
        VfwPortSpec spec;
        g_assert_true(vfw_port_spec_parse(specs[i], &spec, NULL));
        g_ptr_array_add(rules, vfw_rule_new(&spec, G_SOCKET_FAMILY_IPV4, "192.168.100.10", NULL,
                                            "routed", "test"));
    }
    return rules;
}

/* Same rich rule texts, whatever the order or repeats; any difference in text counts. */
static void
test_rules_same_text(void)
{
    static const struct {
        const char *a[4];
        const char *b[4];
        gboolean same;
    } cases[] = {
        { { NULL }, { NULL }, TRUE },
        { { "8080:80", "8081:81", NULL }, { "8081:81", "8080:80", NULL }, TRUE },
        { { "8080:80", "8080:80", NULL }, { "8080:80", NULL }, TRUE },
        { { "8080:80", NULL }, { "8080:80", "8081:81", NULL }, FALSE },
        { { "8080:80", NULL }, { "8080:81", NULL }, FALSE },
        { { "8080:80/tcp", NULL }, { "8080:80/udp", NULL }, FALSE },
        { { "8080:80", NULL }, { NULL }, FALSE },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) a = rules_of(cases[i].a);
        g_autoptr(GPtrArray) b = rules_of(cases[i].b);
        g_assert_cmpint(vfw_rules_same_text(a, b), ==, cases[i].same);
        g_assert_cmpint(vfw_rules_same_text(b, a), ==, cases[i].same);
    }
}

/* What an older version recorded is not current and gets replaced (sync --offline): an
 * unscoped rich rule, a rule scoped by destination ipset, a shifted range in one rule. */
static void
test_rule_is_current(void)
{
    static const struct {
        const char *spec, *recorded;
        gboolean current;
    } cases[] = {
        { "8080:80", "pub port=8080:proto=tcp:toport=80:toaddr=192.168.100.10", TRUE },
        { "8080:80",
          "rule family=\"ipv4\" forward-port port=\"8080\" protocol=\"tcp\" to-port=\"80\" "
          "to-addr=\"192.168.100.10\"",
          FALSE },
        { "8080:80",
          "rule family=\"ipv4\" destination ipset=\"virtfw-local\" forward-port port=\"8080\" "
          "protocol=\"tcp\" to-port=\"80\" to-addr=\"192.168.100.10\"",
          FALSE },
        { "9000-9001:80-81",
          "rule family=\"ipv4\" forward-port port=\"9000-9001\" protocol=\"tcp\" "
          "to-port=\"80-81\" to-addr=\"192.168.100.10\"",
          FALSE },
        { "198.51.100.1:2222:22",
          "rule family=\"ipv4\" destination address=\"198.51.100.1\" forward-port port=\"2222\" "
          "protocol=\"tcp\" to-port=\"22\" to-addr=\"192.168.100.10\"",
          TRUE },
    };
    VfwRule *hairpin;

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        VfwPortSpec spec;
        VfwRule *rule;

        g_assert_true(vfw_port_spec_parse(cases[i].spec, &spec, NULL));
        rule = vfw_rule_new_recorded(&spec, G_SOCKET_FAMILY_IPV4, "192.168.100.10", NULL, "routed",
                                     "test", cases[i].recorded);
        g_test_message("%s: %s", cases[i].spec, cases[i].recorded);
        g_assert_cmpint(vfw_rule_is_current(rule), ==, cases[i].current);
        vfw_rule_free(rule);
    }
    hairpin = vfw_rule_new_hairpin(G_SOCKET_FAMILY_IPV6, "fd00::10", "routed", "test");
    g_assert_cmpstr(hairpin->rich_rule, ==,
                    "rule family=\"ipv6\" source address=\"fd00::10\" destination "
                    "address=\"fd00::10\" masquerade");
    g_assert_true(vfw_rule_is_current(hairpin));
    vfw_rule_free(hairpin);
}

/* The addresses published ports answer on: not loopback, link-local, multicast or any. */
static void
test_host_address_listed(void)
{
    static const struct {
        const char *addr;
        gboolean listed;
    } cases[] = {
        { "198.51.100.1", TRUE }, { "192.168.122.1", TRUE }, { "2001:db8::1", TRUE },
        { "fd00::1", TRUE },      { "127.0.0.1", FALSE },    { "127.1.2.3", FALSE },
        { "::1", FALSE },         { "fe80::1", FALSE },      { "169.254.1.1", FALSE },
        { "224.0.0.251", FALSE }, { "ff02::fb", FALSE },     { "0.0.0.0", FALSE },
        { "::", FALSE },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(cases[i].addr);
        g_assert_nonnull(addr);
        g_test_message("%s", cases[i].addr);
        g_assert_cmpint(vfw_host_address_is_listed(addr), ==, cases[i].listed);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (guint i = 0; i < G_N_ELEMENTS(plan_cases); i++) {
        g_autofree char *path = g_strdup_printf("/plan/case/%s", plan_cases[i].label);
        g_test_add_data_func(path, &plan_cases[i], test_plan);
    }
    g_test_add_func("/plan/nat-warning-text", test_nat_warning_text);
    g_test_add_func("/plan/rule-fields", test_rule_fields);
    g_test_add_func("/plan/rules-same-text", test_rules_same_text);
    g_test_add_func("/plan/rule-is-current", test_rule_is_current);
    g_test_add_func("/plan/host-address-listed", test_host_address_listed);
    g_test_add_func("/plan/collect-forwards", test_collect_forwards);
    g_test_add_func("/plan/property/random-specs", test_property_random_specs);
    g_test_add_func("/plan/property/hostile-specs", test_property_hostile_specs);
    return g_test_run();
}
