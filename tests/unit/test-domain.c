/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain XML as libvirt hands it to the qemu hook: a realistic document, our metadata
 * among other applications', and hostile documents (XXE, entity bombs, oversized input)
 * that must be refused quickly and without reading anything they point at.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "domain.h"
#include "vfw-error.h"
#include "xml.h"
#include "vfw-test.h"

#define UUID_A "6f9a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"

static char *
read_fixture(const char *name, gsize *len)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", name, NULL);
    char *data = NULL;

    g_assert_true(g_file_get_contents(path, &data, len, &error));
    g_assert_no_error(error);
    return data;
}

static VfwDomain *
parse_text(const char *xml, GError **error)
{
    return vfw_domain_parse(xml, strlen(xml), error);
}

static const VfwInterface *
iface_at(const VfwDomain *domain, guint i)
{
    g_assert_cmpuint(i, <, domain->interfaces->len);
    return g_ptr_array_index(domain->interfaces, i);
}

static const VfwMetaForward *
meta_at(const VfwDomain *domain, guint i)
{
    g_assert_cmpuint(i, <, domain->meta_forwards->len);
    return g_ptr_array_index(domain->meta_forwards, i);
}

static void
test_realistic(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwDomain) domain = NULL;
    gsize len = 0;
    g_autofree char *xml = read_fixture("domain-web01.xml", &len);

    domain = vfw_domain_parse(xml, len, &error);
    g_assert_no_error(error);
    g_assert_nonnull(domain);
    g_assert_cmpstr(domain->name, ==, "web01");
    /* libvirt accepts either case; we compare in lower case. */
    g_assert_cmpstr(domain->uuid, ==, UUID_A);

    g_assert_cmpuint(domain->interfaces->len, ==, 3);
    g_assert_cmpstr(iface_at(domain, 0)->mac, ==, "52:54:00:ab:cd:01");
    g_assert_cmpstr(iface_at(domain, 0)->network, ==, "routed");
    g_assert_cmpstr(iface_at(domain, 0)->bridge, ==, "virbr1");
    g_assert_cmpstr(iface_at(domain, 1)->mac, ==, "52:54:00:12:34:56");
    g_assert_null(iface_at(domain, 1)->network);
    g_assert_cmpstr(iface_at(domain, 1)->bridge, ==, "br0");
    g_assert_cmpstr(iface_at(domain, 2)->mac, ==, "52:54:00:65:43:21");
    g_assert_null(iface_at(domain, 2)->network);
    g_assert_null(iface_at(domain, 2)->bridge);

    /* Only our namespace: the other application's <app:forward> is not ours. */
    g_assert_cmpuint(domain->meta_forwards->len, ==, 2);
    g_assert_cmpstr(meta_at(domain, 0)->spec, ==, "8080:80/tcp");
    g_assert_cmpstr(meta_at(domain, 0)->address, ==, "192.168.100.10");
    g_assert_cmpstr(meta_at(domain, 1)->spec, ==, "[2001:db8::1]:8443:443/tcp");
    g_assert_null(meta_at(domain, 1)->address);
}

/* A minimal domain with @devices and @metadata spliced in. */
static char *
make_domain(const char *devices, const char *metadata)
{
    return g_strdup_printf("<domain type='kvm'><name>web01</name><uuid>" UUID_A "</uuid>"
                           "<metadata>%s</metadata><devices>%s</devices></domain>",
                           metadata, devices);
}

typedef struct {
    const char *label;
    const char *metadata;
    guint count;         /* forwards expected */
    const char *first;   /* spec of the first one */
    const char *address; /* its address */
} MetaCase;

static const MetaCase meta_cases[] = {
    { "none", "", 0, NULL, NULL },
    { "prefixed",
      "<vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'>"
      "<vf:forward spec='8080:80/tcp' address='192.168.100.10'/></vf:forwards>",
      1, "8080:80/tcp", "192.168.100.10" },
    { "other-prefix",
      "<x:forwards xmlns:x='urn:virt-firewalld:forwards:1'><x:forward spec='22'/>"
      "<x:forward spec='53/udp'/></x:forwards>",
      2, "22", NULL },
    { "default-namespace",
      "<forwards xmlns='urn:virt-firewalld:forwards:1'><forward spec='443'/></forwards>", 1, "443",
      NULL },
    /* `virsh metadata --set` leaves the children unprefixed. */
    { "virsh-metadata-children",
      "<vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'><forward spec='8443:443'/>"
      "</vf:forwards>",
      1, "8443:443", NULL },
    { "comments-and-text",
      "<vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'>\n  <!-- web -->\n  "
      "<vf:forward spec='80'/>\n  text\n</vf:forwards>",
      1, "80", NULL },
    { "two-lists",
      "<vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'><vf:forward spec='80'/>"
      "</vf:forwards><vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'>"
      "<vf:forward spec='81'/></vf:forwards>",
      2, "80", NULL },
    { "other-namespace",
      "<o:forwards xmlns:o='urn:example:other'><o:forward spec='garbage'/>"
      "<o:whatever/></o:forwards>",
      0, NULL, NULL },
    { "no-namespace", "<forwards><forward spec='80'/></forwards>", 0, NULL, NULL },
    { "older-version",
      "<vf:forwards xmlns:vf='urn:virt-firewalld:forwards:0'><vf:bogus/></vf:forwards>", 0, NULL,
      NULL },
    /* Specs are validated by the planner, with the guest named; the parser keeps text. */
    { "spec-kept-verbatim",
      "<vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'>"
      "<vf:forward spec='80 to-addr=1.2.3.4'/></vf:forwards>",
      1, "80 to-addr=1.2.3.4", NULL },
};

static void
test_metadata(gconstpointer data)
{
    const MetaCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwDomain) domain = NULL;
    g_autofree char *xml = make_domain("", tc->metadata);

    domain = parse_text(xml, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(domain->meta_forwards->len, ==, tc->count);
    if (tc->count) {
        g_assert_cmpstr(meta_at(domain, 0)->spec, ==, tc->first);
        g_assert_cmpstr(meta_at(domain, 0)->address, ==, tc->address);
    }
}

typedef struct {
    const char *label;
    const char *devices;
    const char *mac;
    const char *network;
    const char *bridge;
} IfaceCase;

static const IfaceCase iface_cases[] = {
    { "network-upper-mac",
      "<interface type='network'><mac address='52:54:00:AA:BB:CC'/>"
      "<source network='default'/></interface>",
      "52:54:00:aa:bb:cc", "default", NULL },
    { "network-running",
      "<interface type='network'><mac address='52:54:00:aa:bb:cc'/>"
      "<source network='default' portid='11111111-2222-4333-8444-555555555555' "
      "bridge='virbr0'/><target dev='vnet0'/></interface>",
      "52:54:00:aa:bb:cc", "default", "virbr0" },
    { "network-no-mac", "<interface type='network'><source network='lab'/></interface>", NULL,
      "lab", NULL },
    { "bridge",
      "<interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='br0'/>"
      "</interface>",
      "52:54:00:00:00:01", NULL, "br0" },
    { "bridge-in-target",
      "<interface type='ethernet'><mac address='52:54:00:00:00:02'/>"
      "<target dev='tap0' bridge='br1'/></interface>",
      "52:54:00:00:00:02", NULL, "br1" },
    { "user", "<interface type='user'><mac address='52:54:00:00:00:03'/></interface>",
      "52:54:00:00:00:03", NULL, NULL },
};

static void
test_interface(gconstpointer data)
{
    const IfaceCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwDomain) domain = NULL;
    g_autofree char *xml = make_domain(tc->devices, "");

    domain = parse_text(xml, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(domain->interfaces->len, ==, 1);
    g_assert_cmpstr(iface_at(domain, 0)->mac, ==, tc->mac);
    g_assert_cmpstr(iface_at(domain, 0)->network, ==, tc->network);
    g_assert_cmpstr(iface_at(domain, 0)->bridge, ==, tc->bridge);
}

typedef struct {
    const char *label;
    const char *xml;
    const char *needles[3];
} BadCase;

#define DOMAIN_HEAD "<domain type='kvm'><name>web01</name><uuid>" UUID_A "</uuid>"

static const BadCase bad_cases[] = {
    { "empty", "", { "domain XML" } },
    { "not-xml", "this is not xml", { "domain XML", "not well-formed" } },
    { "truncated", DOMAIN_HEAD "<devices><interface type='network'>", { "not well-formed" } },
    { "unclosed-tag", "<domain", { "not well-formed" } },
    { "two-roots", DOMAIN_HEAD "</domain><domain/>", { "not well-formed" } },
    { "undeclared-entity", DOMAIN_HEAD "<title>&foo;</title></domain>", { "domain XML" } },
    { "internal-doctype",
      "<!DOCTYPE domain [<!ELEMENT domain ANY>]>" DOMAIN_HEAD "</domain>",
      { "DOCTYPE" } },
    { "root-network", "<network><name>default</name></network>", { "root element is 'network'" } },
    { "root-namespaced",
      "<x:domain xmlns:x='urn:example'><x:name>web01</x:name></x:domain>",
      { "root element is 'domain'" } },
    { "missing-name", "<domain><uuid>" UUID_A "</uuid></domain>", { "no <name>" } },
    { "blank-name", "<domain><name>  </name><uuid>" UUID_A "</uuid></domain>", { "no <name>" } },
    { "missing-uuid",
      "<domain><name>web01</name></domain>",
      { "guest 'web01'", "no valid <uuid>" } },
    { "invalid-uuid",
      "<domain><name>web01</name><uuid>not-a-uuid</uuid></domain>",
      { "guest 'web01'", "no valid <uuid>" } },
    { "uuid-injection",
      "<domain><name>web01</name><uuid>" UUID_A "/../../x</uuid></domain>",
      { "no valid <uuid>" } },
    { "bad-mac",
      DOMAIN_HEAD "<devices><interface type='network'><mac address='52:54:00:zz:00:01'/>"
                  "<source network='default'/></interface></devices></domain>",
      { "guest 'web01'", "'52:54:00:zz:00:01' is not a MAC address" } },
    { "short-mac",
      DOMAIN_HEAD "<devices><interface type='network'><mac address='52:54:00:00:01'/>"
                  "</interface></devices></domain>",
      { "'52:54:00:00:01'" } },
    { "mac-dashes",
      DOMAIN_HEAD "<devices><interface type='network'><mac address='52-54-00-00-00-01'/>"
                  "</interface></devices></domain>",
      { "'52-54-00-00-00-01'" } },
    { "unknown-element-in-forwards",
      DOMAIN_HEAD "<metadata><vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'>"
                  "<vf:forward spec='80'/><vf:forwad spec='81'/></vf:forwards></metadata>"
                  "</domain>",
      { "guest 'web01'", "unexpected element 'forwad'" } },
    { "foreign-element-in-forwards",
      DOMAIN_HEAD "<metadata><vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'>"
                  "<o:forward xmlns:o='urn:example:other' spec='81'/></vf:forwards>"
                  "</metadata></domain>",
      { "unexpected element 'forward'" } },
    /* Raw bytes are refused before parsing; the messages stay valid UTF-8 (fuzz). */
    { "raw-bytes-in-namespace",
      DOMAIN_HEAD "<metadata><vf:forwards xmlns:vf='urn:virt-\xff\xfe"
                  "firewalld'/>"
                  "</metadata></domain>",
      { "not well-formed", "invalid UTF-8 at byte 128" } },
    { "raw-bytes-in-open-tag",
      "<domain\xf4\xf4><name>x</name>",
      { "line 1: a NUL byte or invalid UTF-8 at byte 7" } },
    { "second-root-after-whitespace", DOMAIN_HEAD "</domain>\n<domain/>", { "not well-formed" } },
    { "undeclared-prefix-in-metadata",
      DOMAIN_HEAD "<metadata><vf:forwards><vf:forward spec='80'/></vf:forwards></metadata>"
                  "</domain>",
      { "not well-formed", "namespace prefix 'vf' of element 'vf:forwards' is not declared" } },
    { "forward-without-spec",
      DOMAIN_HEAD "<metadata><vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'>"
                  "<vf:forward address='192.168.100.10'/></vf:forwards></metadata></domain>",
      { "guest 'web01'", "without a 'spec'" } },
};

static void
test_bad(gconstpointer data)
{
    const BadCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwDomain) domain = parse_text(tc->xml, &error);

    g_assert_null(domain);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_XML);
    for (guint i = 0; i < G_N_ELEMENTS(tc->needles) && tc->needles[i]; i++)
        assert_contains(error->message, tc->needles[i]);
    /* main.c prints the message as one line: valid UTF-8, no control characters. */
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
    for (const char *p = error->message; *p; p++)
        g_assert_false(g_ascii_iscntrl(*p));
}

/* Hostile fixtures: refused, quickly, and nothing they reference ends up in the result
 * or in the message. */
typedef struct {
    const char *fixture;
    const char *needle;
} HostileCase;

static const HostileCase hostile_cases[] = {
    { "domain-xxe.xml", "a DOCTYPE is not allowed" },
    { "domain-external-dtd.xml", "a DOCTYPE is not allowed" },
    { "domain-billion-laughs.xml", "a DOCTYPE is not allowed" },
};

static void
test_hostile_fixture(gconstpointer data)
{
    const HostileCase *tc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwDomain) domain = NULL;
    g_autoptr(GTimer) timer = g_timer_new();
    gsize len = 0;
    g_autofree char *xml = read_fixture(tc->fixture, &len);

    domain = vfw_domain_parse(xml, len, &error);
    g_assert_null(domain);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_XML);
    g_assert_true(g_str_has_prefix(error->message, "domain XML: "));
    assert_contains(error->message, tc->needle);
    g_assert_null(strstr(error->message, "root:"));
    g_assert_null(strstr(error->message, "lollol"));
    g_assert_cmpfloat(g_timer_elapsed(timer, NULL), <, 1.0);
}

/* An element nested deeper than libxml2 allows is an error, not a stack overflow. */
static void
test_deep_nesting(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwDomain) domain = NULL;
    g_autoptr(GString) xml = g_string_new(DOMAIN_HEAD "<metadata>");

    for (int i = 0; i < 100000; i++)
        g_string_append(xml, "<a>");
    domain = vfw_domain_parse(xml->str, xml->len, &error);
    g_assert_null(domain);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_XML);
}

static GString *
big_document(gsize size)
{
    GString *xml = g_string_sized_new(size + 256);

    g_string_append(xml, DOMAIN_HEAD "<description>");
    while (xml->len < size)
        g_string_append(xml, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n");
    g_string_append(xml, "</description></domain>");
    return xml;
}

static void
test_oversized_parse(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwDomain) domain = NULL;
    g_autoptr(GString) ok = big_document(1024 * 1024);
    g_autoptr(GString) xml = big_document(VFW_XML_MAX_SIZE + 1);

    domain = vfw_domain_parse(ok->str, ok->len, &error);
    g_assert_no_error(error);
    g_assert_nonnull(domain);
    g_clear_pointer(&domain, vfw_domain_free);

    domain = vfw_domain_parse(xml->str, xml->len, &error);
    g_assert_null(domain);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_XML);
    assert_contains(error->message, "larger than");
}

/* ---- vfw_xml_read_stream: stdin of the hook ---- */

static int
temp_file_with(const char *data, gsize len)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("vfw-domain-XXXXXX", &path, &error);

    g_assert_no_error(error);
    g_assert_cmpint(g_unlink(path), ==, 0);
    g_assert_cmpint(write(fd, data, len), ==, (ssize_t)len);
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    return fd;
}

static void
test_read_stream_small(void)
{
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    g_autofree char *xml = read_fixture("domain-web01.xml", &len);
    int fd = temp_file_with(xml, len);
    g_autofree char *data = NULL;
    gsize got = 0;

    data = vfw_xml_read_stream(fd, &got, &error);
    close(fd);
    g_assert_no_error(error);
    g_assert_cmpuint(got, ==, len);
    g_assert_cmpmem(data, got, xml, len);
    g_assert_cmpint(data[got], ==, '\0');
}

static void
test_read_stream_empty(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *data = NULL;
    int fd = temp_file_with("", 0);
    gsize got = 99;

    data = vfw_xml_read_stream(fd, &got, &error);
    close(fd);
    g_assert_no_error(error);
    g_assert_cmpuint(got, ==, 0);
    g_assert_cmpstr(data, ==, "");
}

static void
test_read_stream_oversized_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) xml = big_document(10 * 1024 * 1024 + 1);
    int fd = temp_file_with(xml->str, xml->len);
    g_autofree char *data = NULL;
    gsize got = 0;

    data = vfw_xml_read_stream(fd, &got, &error);
    close(fd);
    g_assert_null(data);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_XML);
    assert_contains(error->message, "larger than");
}

static gpointer
pipe_writer(gpointer data)
{
    int fd = GPOINTER_TO_INT(data);
    char chunk[65536];
    gsize total = 0;

    memset(chunk, 'x', sizeof(chunk));
    /* Writes until the reader gives up (EPIPE) or 12 MiB went through. */
    while (total < 12 * 1024 * 1024) {
        ssize_t n = write(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        total += n;
    }
    close(fd);
    return GSIZE_TO_POINTER(total);
}

static void
test_read_stream_oversized_pipe(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *data = NULL;
    GThread *writer;
    int fds[2];
    gsize got = 0;
    gsize written;

    signal(SIGPIPE, SIG_IGN);
    g_assert_cmpint(pipe(fds), ==, 0);
    writer = g_thread_new("writer", pipe_writer, GINT_TO_POINTER(fds[1]));
    data = vfw_xml_read_stream(fds[0], &got, &error);
    close(fds[0]);
    written = GPOINTER_TO_SIZE(g_thread_join(writer));
    g_assert_null(data);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_XML);
    assert_contains(error->message, "larger than");
    /* Bounded: the reader stopped long before the writer ran out. */
    g_assert_cmpuint(written, <, 12 * 1024 * 1024);
}

static void
test_read_stream_bad_fd(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *data = NULL;
    gsize got = 0;

    data = vfw_xml_read_stream(-1, &got, &error);
    g_assert_null(data);
    g_assert_error(error, VFW_ERROR, VFW_ERROR_XML);
}

static void
test_normalize_mac(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "52:54:00:AB:cd:EF", "52:54:00:ab:cd:ef" },
        { "52:54:00:ab:cd:ef", "52:54:00:ab:cd:ef" },
        { "52:54:00:ab:cd:e", NULL },
        { "52:54:00:ab:cd:eff", NULL },
        { "52-54-00-ab-cd-ef", NULL },
        { "5254.00ab.cdef.00", NULL },
        { "52:54:00:ab:cd:eg", NULL },
        { " 52:54:00:ab:cd:e", NULL },
        { "", NULL },
        { NULL, NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *mac = vfw_normalize_mac(cases[i].in);
        g_assert_cmpstr(mac, ==, cases[i].out);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/domain/realistic", test_realistic);
    for (guint i = 0; i < G_N_ELEMENTS(meta_cases); i++) {
        g_autofree char *path = g_strdup_printf("/domain/metadata/%s", meta_cases[i].label);
        g_test_add_data_func(path, &meta_cases[i], test_metadata);
    }
    for (guint i = 0; i < G_N_ELEMENTS(iface_cases); i++) {
        g_autofree char *path = g_strdup_printf("/domain/interface/%s", iface_cases[i].label);
        g_test_add_data_func(path, &iface_cases[i], test_interface);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/domain/bad/%s", bad_cases[i].label);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    for (guint i = 0; i < G_N_ELEMENTS(hostile_cases); i++) {
        g_autofree char *path = g_strdup_printf("/domain/hostile/%s", hostile_cases[i].fixture);
        g_test_add_data_func(path, &hostile_cases[i], test_hostile_fixture);
    }
    g_test_add_func("/domain/hostile/deep-nesting", test_deep_nesting);
    g_test_add_func("/domain/hostile/oversized", test_oversized_parse);
    g_test_add_func("/domain/read-stream/small", test_read_stream_small);
    g_test_add_func("/domain/read-stream/empty", test_read_stream_empty);
    g_test_add_func("/domain/read-stream/oversized-file", test_read_stream_oversized_file);
    g_test_add_func("/domain/read-stream/oversized-pipe", test_read_stream_oversized_pipe);
    g_test_add_func("/domain/read-stream/bad-fd", test_read_stream_bad_fd);
    g_test_add_func("/domain/normalize-mac", test_normalize_mac);
    return g_test_run();
}
