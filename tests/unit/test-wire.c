/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The raw D-Bus reader and writer (wire.c), with GLib's own marshalling as the reference:
 * replies GDBus serialises must read back to the same lists, in both byte orders; bodies we
 * marshal must parse in GDBus to the values meant; a cut-off or garbled reply is an error,
 * never a crash.
 */
#include <string.h>

#include "wire.h"

/* what firewalld 1.3.3 returns for getPolicySettings, shortened, with our two lists */
#define SETTINGS                                                                                   \
    "{'description': <'Published ports'>, 'egress_zones': <['virtfw-local']>, "                    \
    "'forward_ports': <[('8080', 'tcp', '80', '192.168.122.10'), "                                 \
    "('5353', 'udp', '53', 'fd00:120::11'), ('9000', 'tcp', '80', '192.168.122.11')]>, "           \
    "'icmp_blocks': <@as []>, 'ingress_zones': <['ANY']>, 'masquerade': <false>, "                 \
    "'priority': <-1>, 'rich_rules': <['rule family=\"ipv4\" source address=\"10.0.0.1\" "         \
    "destination address=\"10.0.0.1\" masquerade', 'rule family=\"ipv6\" masquerade']>, "          \
    "'nested': <<{'a': <(1, 'x', [byte 7])>}>>, 'target': <'CONTINUE'>, 'version': <''>}"

static GBytes *
reply_blob(const char *body_text, GDBusMessageByteOrder order)
{
    g_autoptr(GDBusMessage) call = g_dbus_message_new_method_call(
        "org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1",
        "org.fedoraproject.FirewallD1.policy", "getPolicySettings");
    g_autoptr(GDBusMessage) reply = NULL;
    g_autoptr(GError) error = NULL;
    guchar *blob;
    gsize size;

    g_dbus_message_set_serial(call, 7);
    reply = g_dbus_message_new_method_reply(call);
    g_dbus_message_set_byte_order(reply, order);
    g_dbus_message_set_serial(reply, 99);
    g_dbus_message_set_body(reply, g_variant_new_parsed(body_text));
    blob = g_dbus_message_to_blob(reply, &size, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
    g_assert_no_error(error);
    return g_bytes_new_take(blob, size);
}

static void
check_lists(GPtrArray *rich, GPtrArray *ports)
{
    g_assert_cmpuint(rich->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(rich, 0), ==,
                    "rule family=\"ipv4\" source address=\"10.0.0.1\" destination "
                    "address=\"10.0.0.1\" masquerade");
    g_assert_cmpstr(g_ptr_array_index(rich, 1), ==, "rule family=\"ipv6\" masquerade");
    g_assert_cmpuint(ports->len, ==, 12);
    g_assert_cmpstr(g_ptr_array_index(ports, 0), ==, "8080");
    g_assert_cmpstr(g_ptr_array_index(ports, 3), ==, "192.168.122.10");
    g_assert_cmpstr(g_ptr_array_index(ports, 5), ==, "udp");
    g_assert_cmpstr(g_ptr_array_index(ports, 7), ==, "fd00:120::11");
    g_assert_cmpstr(g_ptr_array_index(ports, 11), ==, "192.168.122.11");
}

/* Parses @blob, one of reply_blob()'s, into @reply (the caller clears it): a method return
 * (type 2) of serial 99 answering serial 7. */
static void
parse_reply(GBytes *blob, VfwWireReply *reply)
{
    g_autoptr(GError) error = NULL;
    VfwWireHeader header;

    g_assert_true(vfw_wire_parse_message(blob, &header, reply, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(header.type, ==, 2);
    g_assert_cmpuint(header.serial, ==, 99);
    g_assert_cmpuint(header.reply_serial, ==, 7);
    g_assert_null(header.error_name);
}

/* the body of a reply GDBus wrote reads back in place, in either byte order */
static void
test_read_reply(gconstpointer data)
{
    GDBusMessageByteOrder order = GPOINTER_TO_INT(data);
    g_autoptr(GBytes) blob = reply_blob("(" SETTINGS ",)", order);
    g_autoptr(GPtrArray) rich = g_ptr_array_new();
    g_autoptr(GPtrArray) ports = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    VfwWireReply reply = { .signature = "" };

    parse_reply(blob, &reply);
    g_assert_cmpstr(reply.signature, ==, "a{sv}");
    g_assert_cmpint(reply.big_endian, ==, order == G_DBUS_MESSAGE_BYTE_ORDER_BIG_ENDIAN);
    g_assert_true(vfw_wire_read_settings(reply.body, reply.body_len, reply.big_endian,
                                         reply.signature, rich, ports, &error));
    g_assert_no_error(error);
    check_lists(rich, ports);
    vfw_wire_reply_clear(&reply);
}

/* a policy without our lists: both empty, not an error */
static void
test_read_empty(void)
{
    g_autoptr(GBytes) blob = reply_blob("({'target': <'CONTINUE'>, 'forward_ports': "
                                        "<@a(ssss) []>},)",
                                        G_DBUS_MESSAGE_BYTE_ORDER_LITTLE_ENDIAN);
    g_autoptr(GPtrArray) rich = g_ptr_array_new();
    g_autoptr(GPtrArray) ports = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    VfwWireReply reply = { .signature = "" };

    parse_reply(blob, &reply);
    g_assert_true(vfw_wire_read_settings(reply.body, reply.body_len, reply.big_endian,
                                         reply.signature, rich, ports, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(rich->len + ports->len, ==, 0);
    vfw_wire_reply_clear(&reply);
}

/* every cut-off version of a reply, and one whose array lengths lie, is an error */
static void
test_read_truncated(void)
{
    g_autoptr(GBytes) blob = reply_blob("(" SETTINGS ",)", G_DBUS_MESSAGE_BYTE_ORDER_LITTLE_ENDIAN);
    gsize size;
    const guint8 *data = g_bytes_get_data(blob, &size);

    for (gsize cut = 0; cut < size; cut++) {
        g_autoptr(GBytes) part = g_bytes_new(data, cut);
        g_autoptr(GError) error = NULL;
        VfwWireReply reply = { .signature = "" };
        VfwWireHeader header;
        gboolean ok = vfw_wire_parse_message(part, &header, &reply, &error);
        g_assert_false(ok);
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        vfw_wire_reply_clear(&reply);
    }
    /* a body cut short inside a consistent header: read_settings refuses it */
    for (gsize cut = 0; cut < 40; cut++) {
        g_autoptr(GBytes) whole =
            reply_blob("(" SETTINGS ",)", G_DBUS_MESSAGE_BYTE_ORDER_LITTLE_ENDIAN);
        g_autoptr(GPtrArray) rich = g_ptr_array_new();
        g_autoptr(GPtrArray) ports = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        VfwWireReply reply = { .signature = "" };
        parse_reply(whole, &reply);
        g_assert_false(vfw_wire_read_settings(reply.body, reply.body_len - 1 - cut,
                                              reply.big_endian, reply.signature, rich, ports,
                                              &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        vfw_wire_reply_clear(&reply);
    }
}

/* an error reply: its name and the reply serial it answers */
static void
test_read_error(void)
{
    g_autoptr(GDBusMessage) call = g_dbus_message_new_method_call(
        "org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1",
        "org.fedoraproject.FirewallD1.policy", "getPolicySettings");
    g_autoptr(GDBusMessage) reply = NULL;
    g_autoptr(GBytes) blob = NULL;
    g_autoptr(GError) error = NULL;
    VfwWireReply r = { .signature = "" };
    VfwWireHeader header;
    guchar *data;
    gsize size;

    g_dbus_message_set_serial(call, 3);
    reply = g_dbus_message_new_method_error_literal(call, "org.fedoraproject.FirewallD1.Exception",
                                                    "INVALID_POLICY: virtfw-pub");
    g_dbus_message_set_serial(reply, 4);
    data = g_dbus_message_to_blob(reply, &size, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
    g_assert_no_error(error);
    blob = g_bytes_new_take(data, size);
    g_assert_true(vfw_wire_parse_message(blob, &header, &r, &error));
    g_assert_cmpuint(header.type, ==, 3);
    g_assert_cmpuint(header.reply_serial, ==, 3);
    g_assert_cmpstr(header.error_name, ==, "org.fedoraproject.FirewallD1.Exception");
    g_assert_cmpstr(r.signature, ==, "s");
    vfw_wire_reply_clear(&r);
}

/* what firewalld.c marshals for setPolicySettings parses in GDBus to exactly that */
static void
test_write_call(void)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) message = NULL;
    g_autoptr(GDBusMessage) parsed = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    gsize dict, list;

    vfw_wire_put_string(body, "virtfw-pub");
    dict = vfw_wire_open_array(body, 8);
    vfw_wire_put_string(body, "rich_rules");
    vfw_wire_put_signature(body, "as");
    list = vfw_wire_open_array(body, 4);
    vfw_wire_close_array(body, list, 4);
    vfw_wire_align(body, 8);
    vfw_wire_put_string(body, "forward_ports");
    vfw_wire_put_signature(body, "a(ssss)");
    list = vfw_wire_open_array(body, 8);
    for (guint i = 0; i < 2; i++) {
        vfw_wire_align(body, 8);
        vfw_wire_put_string(body, i ? "9000" : "8080");
        vfw_wire_put_string(body, "tcp");
        vfw_wire_put_string(body, "80");
        vfw_wire_put_string(body, i ? "fd00::1" : "192.168.122.10");
    }
    vfw_wire_close_array(body, list, 8);
    vfw_wire_close_array(body, dict, 8);

    message = vfw_wire_method_call_header(
        5, "org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1",
        "org.fedoraproject.FirewallD1.policy", "setPolicySettings", "sa{sv}", body->len);
    g_assert_cmpuint(message->len % 8, ==, 0);
    g_byte_array_append(message, body->data, body->len);
    parsed = g_dbus_message_new_from_blob(message->data, message->len, G_DBUS_CAPABILITY_FLAGS_NONE,
                                          &error);
    g_assert_no_error(error);
    g_assert_cmpstr(g_dbus_message_get_member(parsed), ==, "setPolicySettings");
    g_assert_cmpstr(g_dbus_message_get_destination(parsed), ==, "org.fedoraproject.FirewallD1");
    g_assert_cmpuint(g_dbus_message_get_serial(parsed), ==, 5);
    g_assert_true(g_dbus_message_get_flags(parsed) & G_DBUS_MESSAGE_FLAGS_NO_AUTO_START);
    text = g_variant_print(g_dbus_message_get_body(parsed), FALSE);
    g_assert_cmpstr(text, ==,
                    "('virtfw-pub', {'rich_rules': <@as []>, 'forward_ports': "
                    "<[('8080', 'tcp', '80', '192.168.122.10'), ('9000', 'tcp', '80', "
                    "'fd00::1')]>})");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/wire/read-reply/little-endian",
                         GINT_TO_POINTER(G_DBUS_MESSAGE_BYTE_ORDER_LITTLE_ENDIAN), test_read_reply);
    g_test_add_data_func("/wire/read-reply/big-endian",
                         GINT_TO_POINTER(G_DBUS_MESSAGE_BYTE_ORDER_BIG_ENDIAN), test_read_reply);
    g_test_add_func("/wire/read-empty", test_read_empty);
    g_test_add_func("/wire/read-truncated", test_read_truncated);
    g_test_add_func("/wire/read-error", test_read_error);
    g_test_add_func("/wire/write-call", test_write_call);
    return g_test_run();
}
