/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The raw D-Bus reader (wire.c) on whole messages as they come off the bus. Properties: the
 * GError contract; every string it hands out lies inside the message and is valid UTF-8;
 * forward-ports come in fours; and where GDBus reads the message as a settings reply and
 * writes it back byte for byte, our reader accepts it too and finds the same rich rules and
 * forward-ports.
 */
#include <string.h>

#include <gio/gio.h>

#include "fuzz-common.h"
#include "wire.h"

/* wire.c's errors are GIO's: a malformed message is G_IO_ERROR_INVALID_DATA */
static void
check_result(gboolean ok, const GError *error)
{
    fuzz_require(ok == (error == NULL), "GError contract");
    fuzz_require(!error || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA),
                 error->message);
}

static void
check_inside(GPtrArray *strings, const guint8 *data, gsize size)
{
    for (guint i = 0; i < strings->len; i++) {
        const char *s = g_ptr_array_index(strings, i);
        fuzz_require((const guint8 *)s >= data && (const guint8 *)s < data + size, "bounds");
        fuzz_require((const guint8 *)s + strlen(s) < data + size, "bounds");
        fuzz_require(g_utf8_validate(s, -1, NULL), "utf-8");
    }
}

/* The lists as GDBus's tree has them, collected the way wire.c collects them. */
static void
reference_lists(GVariant *dict, GPtrArray *rich, GPtrArray *ports)
{
    GVariantIter iter;
    const char *key;
    GVariant *value;

    g_variant_iter_init(&iter, dict);
    while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
        if (strcmp(key, "rich_rules") == 0 && g_variant_is_of_type(value, G_VARIANT_TYPE("as"))) {
            for (gsize i = 0; i < g_variant_n_children(value); i++) {
                const char *s;
                g_variant_get_child(value, i, "&s", &s);
                g_ptr_array_add(rich, (gpointer)s);
            }
        } else if (strcmp(key, "forward_ports") == 0 &&
                   g_variant_is_of_type(value, G_VARIANT_TYPE("a(ssss)"))) {
            for (gsize i = 0; i < g_variant_n_children(value); i++) {
                const char *f[4];
                g_variant_get_child(value, i, "(&s&s&s&s)", &f[0], &f[1], &f[2], &f[3]);
                for (guint k = 0; k < 4; k++)
                    g_ptr_array_add(ports, (gpointer)f[k]);
            }
        }
        g_variant_unref(value);
    }
}

/* GDBus lets by what the specification forbids (a NUL byte inside a string, an array whose
 * last element runs past its length, bytes after the body's value); wire.c refuses those.
 * So the two are compared only on messages GDBus writes back byte for byte. */
static gboolean
is_canonical(GDBusMessage *message, const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    gsize again_size;
    g_autofree guchar *again =
        g_dbus_message_to_blob(message, &again_size, G_DBUS_CAPABILITY_FLAGS_NONE, &error);

    return again && again_size == size && memcmp(again, data, size) == 0;
}

static void
require_same(GPtrArray *a, GPtrArray *b)
{
    fuzz_require(a->len == b->len, "list length differs from GDBus");
    for (guint i = 0; i < a->len; i++)
        fuzz_require(strcmp(g_ptr_array_index(a, i), g_ptr_array_index(b, i)) == 0,
                     (const char *)g_ptr_array_index(a, i));
}

/**
 * LLVMFuzzerTestOneInput:
 * One input is one whole D-Bus message.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GBytes) message = g_bytes_new(data, size);
    g_autoptr(GPtrArray) rich = g_ptr_array_new();
    g_autoptr(GPtrArray) ports = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) gdbus_error = NULL;
    g_autoptr(GDBusMessage) reference = NULL;
    VfwWireReply reply = { .signature = "" };
    VfwWireHeader header;
    gboolean parsed, read = FALSE;
    const guint8 *own;
    gsize own_size;

    fuzz_init();
    own = g_bytes_get_data(message, &own_size);
    parsed = vfw_wire_parse_message(message, &header, &reply, &error);
    check_result(parsed, error);
    if (parsed) {
        fuzz_require(reply.body + reply.body_len == own + own_size, "body ends the message");
        g_clear_error(&error);
        read = vfw_wire_read_settings(reply.body, reply.body_len, reply.big_endian, reply.signature,
                                      rich, ports, &error);
        check_result(read, error);
        if (read) {
            fuzz_require(ports->len % 4 == 0, "forward-ports in fours");
            check_inside(rich, own, own_size);
            check_inside(ports, own, own_size);
        }
    }
    reference = g_dbus_message_new_from_blob((guchar *)data, size, G_DBUS_CAPABILITY_FLAGS_NONE,
                                             &gdbus_error);
    if (reference &&
        g_dbus_message_get_message_type(reference) == G_DBUS_MESSAGE_TYPE_METHOD_RETURN) {
        GVariant *body = g_dbus_message_get_body(reference);
        if (body && g_variant_is_of_type(body, G_VARIANT_TYPE("(a{sv})")) &&
            is_canonical(reference, data, size)) {
            g_autoptr(GVariant) dict = g_variant_get_child_value(body, 0);
            g_autoptr(GPtrArray) want_rich = g_ptr_array_new();
            g_autoptr(GPtrArray) want_ports = g_ptr_array_new();
            fuzz_require(parsed && read, "GDBus reads a settings reply that wire.c refuses");
            reference_lists(dict, want_rich, want_ports);
            require_same(rich, want_rich);
            require_same(ports, want_ports);
        }
    }
    vfw_wire_reply_clear(&reply);
    return 0;
}
