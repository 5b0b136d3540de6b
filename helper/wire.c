/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A raw D-Bus client for the calls that carry whole policy lists (see wire.h for why).
 *
 * It speaks just enough of the protocol (dbus-specification, "Message Protocol"): SASL
 * EXTERNAL on a Unix socket, Hello, method calls with a body the caller marshalled, and
 * replies read in place. Alignment inside a body is relative to the body's start, which
 * is 8-aligned in every message, so a body can be marshalled on its own.
 */
#include "wire.h"

#include <string.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>

#define BUS_NAME  "org.freedesktop.DBus"
#define BUS_PATH  "/org/freedesktop/DBus"
#define MAX_DEPTH 64
/* the protocol's own limit on a message */
#define MAX_MESSAGE (128u * 1024 * 1024)

enum {
    TYPE_METHOD_CALL = 1,
    TYPE_METHOD_RETURN = 2,
    TYPE_ERROR = 3,
    FLAG_NO_AUTO_START = 0x2,
    FIELD_PATH = 1,
    FIELD_INTERFACE = 2,
    FIELD_MEMBER = 3,
    FIELD_ERROR_NAME = 4,
    FIELD_REPLY_SERIAL = 5,
    FIELD_DESTINATION = 6,
    FIELD_SIGNATURE = 8,
};

struct VfwWire {
    GSocketConnection *conn;
    GSocket *socket;
    guint timeout_ms;
    guint32 serial;
};

/**
 * vfw_wire_free:
 * Closes @wire's connection; NULL-safe.
 */
void
vfw_wire_free(VfwWire *wire)
{
    if (!wire)
        return;
    if (wire->conn)
        g_io_stream_close(G_IO_STREAM(wire->conn), NULL, NULL);
    g_clear_object(&wire->conn);
    g_free(wire);
}

/* ------------------------------------------------------------------ marshalling */

/**
 * vfw_wire_align:
 * Pads @body with zero bytes to a multiple of @alignment.
 */
void
vfw_wire_align(GByteArray *body, guint alignment)
{
    static const guint8 zeros[8] = { 0 };

    if (body->len % alignment)
        g_byte_array_append(body, zeros, alignment - body->len % alignment);
}

static void
put_u32_at(GByteArray *body, gsize at, guint32 value)
{
    guint32 le = GUINT32_TO_LE(value);

    memcpy(body->data + at, &le, 4);
}

static void
put_u32(GByteArray *body, guint32 value)
{
    guint32 le = GUINT32_TO_LE(value);

    vfw_wire_align(body, 4);
    g_byte_array_append(body, (const guint8 *)&le, 4);
}

/**
 * vfw_wire_put_string:
 * Appends @s as a D-Bus string (or object path): length, bytes, NUL.
 */
void
vfw_wire_put_string(GByteArray *body, const char *s)
{
    gsize len = strlen(s);

    put_u32(body, (guint32)len);
    g_byte_array_append(body, (const guint8 *)s, (guint)len + 1);
}

/**
 * vfw_wire_put_signature:
 * Appends @sig as a D-Bus signature (one length byte; at most 255 characters).
 */
void
vfw_wire_put_signature(GByteArray *body, const char *sig)
{
    guint8 len = (guint8)strlen(sig);

    g_byte_array_append(body, &len, 1);
    g_byte_array_append(body, (const guint8 *)sig, len + 1u);
}

/**
 * vfw_wire_open_array:
 * Starts an array whose elements align to @element_alignment; returns where its length
 * goes, for vfw_wire_close_array().
 */
gsize
vfw_wire_open_array(GByteArray *body, guint element_alignment)
{
    gsize at;

    put_u32(body, 0);
    at = body->len - 4;
    vfw_wire_align(body, element_alignment);
    return at;
}

/**
 * vfw_wire_close_array:
 * Ends the array opened at @at: its length counts the elements, not the padding that
 * follows the length itself.
 */
void
vfw_wire_close_array(GByteArray *body, gsize at, guint element_alignment)
{
    gsize first = at + 4;

    if (first % element_alignment)
        first += element_alignment - first % element_alignment;
    put_u32_at(body, at, (guint32)(body->len - first));
}

static void
put_field(GByteArray *header, guint8 code, const char *type, const char *value)
{
    vfw_wire_align(header, 8);
    g_byte_array_append(header, &code, 1);
    vfw_wire_put_signature(header, type);
    if (type[0] == 'g')
        vfw_wire_put_signature(header, value);
    else
        vfw_wire_put_string(header, value);
}

/**
 * vfw_wire_method_call_header:
 * The header of a method call: the fixed part and the header fields, padded to the 8-byte
 * boundary where a body of @body_len bytes starts (vfw_wire_call() sends the body as it is,
 * not copied behind it).
 */
GByteArray *
vfw_wire_method_call_header(guint32 serial, const char *destination, const char *path,
                            const char *iface, const char *member, const char *signature,
                            gsize body_len)
{
    GByteArray *m = g_byte_array_sized_new(256);
    const guint8 fixed[4] = { 'l', TYPE_METHOD_CALL, FLAG_NO_AUTO_START, 1 };
    gsize fields;

    g_byte_array_append(m, fixed, 4);
    put_u32(m, (guint32)body_len);
    put_u32(m, serial);
    fields = vfw_wire_open_array(m, 8);
    put_field(m, FIELD_PATH, "o", path);
    if (iface)
        put_field(m, FIELD_INTERFACE, "s", iface);
    put_field(m, FIELD_MEMBER, "s", member);
    put_field(m, FIELD_DESTINATION, "s", destination);
    if (signature && *signature)
        put_field(m, FIELD_SIGNATURE, "g", signature);
    vfw_wire_close_array(m, fields, 8);
    vfw_wire_align(m, 8);
    return m;
}

/* ------------------------------------------------------------------ reading in place */

typedef struct {
    const guint8 *data;
    gsize len;
    gsize pos;
    gboolean big_endian;
    guint depth;
} Reader;

static gboolean
bad(GError **error, const char *what)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed D-Bus message: %s", what);
    return FALSE;
}

static gboolean
rd_align(Reader *r, guint alignment)
{
    gsize pos = r->pos;

    if (pos % alignment)
        pos += alignment - pos % alignment;
    if (pos > r->len)
        return FALSE;
    r->pos = pos;
    return TRUE;
}

static gboolean
rd_fixed(Reader *r, guint size, guint64 *out)
{
    guint8 b[8];
    guint64 v = 0;

    if (!rd_align(r, size) || r->len - r->pos < size)
        return FALSE;
    memcpy(b, r->data + r->pos, size);
    r->pos += size;
    for (guint i = 0; i < size; i++)
        v |= (guint64)b[r->big_endian ? size - 1 - i : i] << (8 * i);
    if (out)
        *out = v;
    return TRUE;
}

static gboolean
rd_u32(Reader *r, guint32 *out)
{
    guint64 v;

    if (!rd_fixed(r, 4, &v))
        return FALSE;
    *out = (guint32)v;
    return TRUE;
}

/* @len bytes of text followed by a NUL, no NUL inside, valid UTF-8: a C string in place */
static gboolean
rd_text(Reader *r, gsize len, const char **out)
{
    const char *s = (const char *)r->data + r->pos;

    if (r->len - r->pos < len + 1 || s[len] != '\0' || memchr(s, '\0', len) ||
        !g_utf8_validate(s, (gssize)len, NULL))
        return FALSE;
    r->pos += len + 1;
    if (out)
        *out = s;
    return TRUE;
}

static gboolean
rd_string(Reader *r, const char **out)
{
    guint32 len;

    return rd_u32(r, &len) && rd_text(r, len, out);
}

static gboolean
rd_signature(Reader *r, const char **out)
{
    if (r->pos >= r->len)
        return FALSE;
    return rd_text(r, r->data[r->pos++], out);
}

/* The end of the single complete type that starts at @sig, or NULL. */
static const char *
type_end(const char *sig, guint depth)
{
    if (depth > MAX_DEPTH)
        return NULL;
    switch (*sig) {
    case 'y':
    case 'b':
    case 'n':
    case 'q':
    case 'i':
    case 'u':
    case 'x':
    case 't':
    case 'd':
    case 'h':
    case 's':
    case 'o':
    case 'g':
    case 'v':
        return sig + 1;
    case 'a':
        if (sig[1] == '{') {
            const char *key = sig + 2;
            const char *value;
            if (!strchr("ybnqiuxtdhsog", *key) || !*key)
                return NULL;
            value = type_end(key + 1, depth + 1);
            return value && *value == '}' ? value + 1 : NULL;
        }
        return type_end(sig + 1, depth + 1);
    case '(': {
        const char *at = sig + 1;
        if (*at == ')')
            return NULL;
        while (at && *at != ')')
            at = *at ? type_end(at, depth + 1) : NULL;
        return at ? at + 1 : NULL;
    }
    default:
        return NULL;
    }
}

/* Each type code of the D-Bus wire format: the size of its values when that is fixed (0:
 * not fixed), and their alignment. */
typedef struct {
    char code;
    guint8 size;
    guint8 alignment;
} TypeInfo;

static const TypeInfo type_infos[] = {
    { 'y', 1, 1 }, { 'b', 4, 4 }, { 'n', 2, 2 }, { 'q', 2, 2 }, { 'i', 4, 4 }, { 'u', 4, 4 },
    { 'x', 8, 8 }, { 't', 8, 8 }, { 'd', 8, 8 }, { 'h', 4, 4 }, { 's', 0, 4 }, { 'o', 0, 4 },
    { 'g', 0, 1 }, { 'v', 0, 1 }, { 'a', 0, 4 }, { '(', 0, 8 }, { '{', 0, 8 },
};

static const TypeInfo *
type_info(char c)
{
    for (guint i = 0; i < G_N_ELEMENTS(type_infos); i++) {
        if (type_infos[i].code == c)
            return &type_infos[i];
    }
    return NULL;
}

/* Skips one value of the complete type at @sig (which type_end() accepted). */
static gboolean
rd_skip(Reader *r, const char *sig)
{
    const TypeInfo *info = type_info(*sig);
    gboolean ok = FALSE;

    if (!info || ++r->depth > MAX_DEPTH)
        return FALSE;
    if (info->size) {
        ok = rd_fixed(r, info->size, NULL);
    } else if (*sig == 's' || *sig == 'o') {
        ok = rd_string(r, NULL);
    } else if (*sig == 'g') {
        ok = rd_signature(r, NULL);
    } else if (*sig == 'v') {
        const char *inner = NULL;
        const char *end;
        ok = rd_signature(r, &inner) && (end = type_end(inner, 0)) && *end == '\0' &&
             rd_skip(r, inner);
    } else if (*sig == 'a') {
        const TypeInfo *element = type_info(sig[1]);
        guint32 len;
        ok =
            element && rd_u32(r, &len) && rd_align(r, element->alignment) && r->len - r->pos >= len;
        if (ok)
            r->pos += len;
    } else {
        const char *at = sig + 1;
        ok = rd_align(r, 8);
        while (ok && *at != ')' && *at != '}') {
            ok = rd_skip(r, at);
            at = type_end(at, 0);
            ok = ok && at;
        }
    }
    r->depth--;
    return ok;
}

/* Enters an array: its end into @end, the reader at its first element. */
static gboolean
rd_array(Reader *r, guint element_alignment, gsize *end)
{
    guint32 len;

    if (!rd_u32(r, &len) || !rd_align(r, element_alignment) || r->len - r->pos < len)
        return FALSE;
    *end = r->pos + len;
    return TRUE;
}

static gboolean
read_strings(Reader *r, guint per_element, GPtrArray *out)
{
    gsize end;

    if (!rd_array(r, per_element > 1 ? 8 : 4, &end))
        return FALSE;
    while (r->pos < end) {
        if (per_element > 1 && !rd_align(r, 8))
            return FALSE;
        for (guint i = 0; i < per_element; i++) {
            const char *s;
            if (!rd_string(r, &s))
                return FALSE;
            g_ptr_array_add(out, (gpointer)s);
        }
    }
    return r->pos == end;
}

/**
 * vfw_wire_read_settings:
 * Reads a settings dictionary (a{sv}, as getPolicySettings and config.policy getSettings
 * return it) in place: the strings of "rich_rules" (as) onto @rich_rules and those of
 * "forward_ports" (a(ssss)) onto @forward_ports, four per entry, all pointing into @body.
 * Other keys are skipped. FALSE (G_IO_ERROR_INVALID_DATA) when @body is not well formed.
 */
gboolean
vfw_wire_read_settings(const guint8 *body, gsize len, gboolean big_endian, const char *signature,
                       GPtrArray *rich_rules, GPtrArray *forward_ports, GError **error)
{
    Reader r = { .data = body, .len = len, .pos = 0, .big_endian = big_endian };
    gsize end;

    if (g_strcmp0(signature, "a{sv}") != 0)
        return bad(error, "settings are not a dictionary");
    if (!rd_array(&r, 8, &end))
        return bad(error, "settings array");
    while (r.pos < end) {
        const char *key, *type;
        gboolean ok;
        if (!rd_align(&r, 8) || !rd_string(&r, &key) || !rd_signature(&r, &type))
            return bad(error, "settings entry");
        if (strcmp(key, "rich_rules") == 0 && strcmp(type, "as") == 0)
            ok = read_strings(&r, 1, rich_rules);
        else if (strcmp(key, "forward_ports") == 0 && strcmp(type, "a(ssss)") == 0)
            ok = read_strings(&r, 4, forward_ports);
        else {
            const char *type_last = type_end(type, 0);
            ok = type_last && *type_last == '\0' && rd_skip(&r, type);
        }
        if (!ok || r.pos > end)
            return bad(error, key);
    }
    if (r.pos != len)
        return bad(error, "bytes after the settings");
    return TRUE;
}

/**
 * vfw_wire_reply_clear:
 * Frees what @reply holds; it may be cleared again.
 */
void
vfw_wire_reply_clear(VfwWireReply *reply)
{
    g_clear_pointer(&reply->message, g_bytes_unref);
    reply->body = NULL;
    reply->body_len = 0;
    reply->signature = "";
}

static gboolean
read_fields(Reader *r, gsize end, guint32 *reply_serial, const char **error_name,
            const char **signature)
{
    while (r->pos < end) {
        guint64 code;
        const char *type;
        if (!rd_align(r, 8) || !rd_fixed(r, 1, &code) || !rd_signature(r, &type))
            return FALSE;
        if (code == FIELD_REPLY_SERIAL && strcmp(type, "u") == 0) {
            if (!rd_u32(r, reply_serial))
                return FALSE;
        } else if (code == FIELD_ERROR_NAME && strcmp(type, "s") == 0) {
            if (!rd_string(r, error_name))
                return FALSE;
        } else if (code == FIELD_SIGNATURE && strcmp(type, "g") == 0) {
            if (!rd_signature(r, signature))
                return FALSE;
        } else {
            const char *last = type_end(type, 0);
            if (!last || *last || !rd_skip(r, type))
                return FALSE;
        }
    }
    return r->pos == end;
}

/**
 * vfw_wire_parse_message:
 * Splits a whole message (as read from the bus) into its @header and its body; @reply
 * borrows a reference to @message.
 */
gboolean
vfw_wire_parse_message(GBytes *message, VfwWireHeader *header, VfwWireReply *reply, GError **error)
{
    gsize size;
    const guint8 *data = g_bytes_get_data(message, &size);
    Reader r = { .data = data, .len = size, .pos = 4, .big_endian = FALSE };
    guint32 body_len, fields_len;
    gsize fields_end;
    const char *signature = "";

    if (size < 16 || (data[0] != 'l' && data[0] != 'B') || data[3] != 1)
        return bad(error, "header");
    r.big_endian = data[0] == 'B';
    header->type = data[1];
    header->reply_serial = 0;
    header->error_name = NULL;
    if (!rd_u32(&r, &body_len) || !rd_u32(&r, &header->serial) || !rd_u32(&r, &fields_len) ||
        size - 16 < fields_len)
        return bad(error, "header");
    fields_end = 16 + (gsize)fields_len;
    if (!read_fields(&r, fields_end, &header->reply_serial, &header->error_name, &signature) ||
        !rd_align(&r, 8) || r.len - r.pos != body_len)
        return bad(error, "header fields");
    vfw_wire_reply_clear(reply);
    reply->message = g_bytes_ref(message);
    reply->body = data + r.pos;
    reply->body_len = body_len;
    reply->big_endian = r.big_endian;
    reply->signature = signature;
    return TRUE;
}

/* ------------------------------------------------------------------ the connection */

static gint64
deadline_of(VfwWire *wire)
{
    return g_get_monotonic_time() + (gint64)wire->timeout_ms * 1000;
}

static gboolean
wait_for(VfwWire *wire, GIOCondition cond, gint64 deadline, GError **error)
{
    gint64 left = deadline - g_get_monotonic_time();

    if (left <= 0) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out");
        return FALSE;
    }
    return g_socket_condition_timed_wait(wire->socket, cond, left, NULL, error);
}

static gboolean
send_all(VfwWire *wire, const guint8 *data, gsize len, gint64 deadline, GError **error)
{
    while (len > 0) {
        gssize n;
        if (!wait_for(wire, G_IO_OUT, deadline, error))
            return FALSE;
        n = g_socket_send(wire->socket, (const char *)data, len, NULL, error);
        if (n < 0)
            return FALSE;
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static gboolean
receive_all(VfwWire *wire, guint8 *data, gsize len, gint64 deadline, GError **error)
{
    while (len > 0) {
        gssize n;
        if (!wait_for(wire, G_IO_IN, deadline, error))
            return FALSE;
        n = g_socket_receive(wire->socket, (char *)data, len, NULL, error);
        if (n < 0)
            return FALSE;
        if (n == 0) {
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                                "the bus closed the connection");
            return FALSE;
        }
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* One whole message off the bus. */
static GBytes *
receive_message(VfwWire *wire, gint64 deadline, GError **error)
{
    guint8 fixed[16];
    Reader r = { .data = fixed, .len = sizeof fixed, .pos = 4, .big_endian = FALSE };
    guint32 body_len, serial, fields_len;
    guint64 total;
    guint8 *data;

    if (!receive_all(wire, fixed, sizeof fixed, deadline, error))
        return NULL;
    r.big_endian = fixed[0] == 'B';
    if ((fixed[0] != 'l' && fixed[0] != 'B') || !rd_u32(&r, &body_len) || !rd_u32(&r, &serial) ||
        !rd_u32(&r, &fields_len)) {
        bad(error, "header");
        return NULL;
    }
    total = 16 + (guint64)fields_len;
    total = (total + 7) / 8 * 8 + body_len;
    if (total > MAX_MESSAGE) {
        bad(error, "too long");
        return NULL;
    }
    data = g_malloc(total);
    memcpy(data, fixed, sizeof fixed);
    if (!receive_all(wire, data + 16, total - 16, deadline, error)) {
        g_free(data);
        return NULL;
    }
    return g_bytes_new_take(data, total);
}

/**
 * vfw_wire_call:
 * Calls @member of @iface on @path at @destination with @body (marshalled by the caller,
 * of @signature; NULL: none) and waits at most the connection's timeout for the reply,
 * which lands in @reply; signals and replies to earlier calls are dropped. A D-Bus error
 * reply is returned as GDBus returns it (a remote error: g_dbus_error_get_remote_error()
 * gives its name), a timeout as G_IO_ERROR_TIMED_OUT.
 */
gboolean
vfw_wire_call(VfwWire *wire, const char *destination, const char *path, const char *iface,
              const char *member, const char *signature, GByteArray *body, VfwWireReply *reply,
              GError **error)
{
    g_autoptr(GByteArray) m = NULL;
    guint32 serial = ++wire->serial;
    gint64 deadline = deadline_of(wire);

    if (body && body->len > MAX_MESSAGE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                    "%s: %u bytes are more than a D-Bus message may hold", member, body->len);
        return FALSE;
    }
    m = vfw_wire_method_call_header(serial, destination, path, iface, member, signature,
                                    body ? body->len : 0);
    if (!send_all(wire, m->data, m->len, deadline, error) ||
        (body && !send_all(wire, body->data, body->len, deadline, error)))
        return FALSE;
    for (;;) {
        g_autoptr(GBytes) message = receive_message(wire, deadline, error);
        VfwWireHeader header;
        if (!message || !vfw_wire_parse_message(message, &header, reply, error))
            return FALSE;
        if (header.reply_serial != serial ||
            (header.type != TYPE_METHOD_RETURN && header.type != TYPE_ERROR))
            continue;
        if (header.type == TYPE_ERROR) {
            Reader r = { .data = reply->body,
                         .len = reply->body_len,
                         .pos = 0,
                         .big_endian = reply->big_endian };
            const char *text = NULL;
            if (!g_str_has_prefix(reply->signature, "s") || !rd_string(&r, &text))
                text = "(no message)";
            g_propagate_error(error, g_dbus_error_new_for_dbus_error(
                                         header.error_name ? header.error_name : "", text));
            vfw_wire_reply_clear(reply);
            return FALSE;
        }
        return TRUE;
    }
}

/* SASL EXTERNAL: the bus takes our uid from the socket's credentials. */
static gboolean
authenticate(VfwWire *wire, GError **error)
{
    g_autofree char *uid = g_strdup_printf("%u", (guint)getuid());
    g_autoptr(GString) line = g_string_new(NULL);
    gint64 deadline = deadline_of(wire);
    char reply[256];
    gsize n = 0;

    g_string_append_c(line, '\0'); /* the credentials byte */
    g_string_append(line, "AUTH EXTERNAL ");
    for (const char *c = uid; *c; c++)
        g_string_append_printf(line, "%02x", (guint)*c);
    g_string_append(line, "\r\n");
    if (!send_all(wire, (const guint8 *)line->str, line->len, deadline, error))
        return FALSE;
    while (n < sizeof reply - 1 && (n < 2 || reply[n - 2] != '\r' || reply[n - 1] != '\n')) {
        if (!receive_all(wire, (guint8 *)reply + n, 1, deadline, error))
            return FALSE;
        n++;
    }
    reply[n] = '\0';
    if (!g_str_has_prefix(reply, "OK ")) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "the bus refused authentication: %s", g_strchomp(reply));
        return FALSE;
    }
    return send_all(wire, (const guint8 *)"BEGIN\r\n", 7, deadline, error);
}

/**
 * vfw_wire_open:
 * Opens a raw connection to the same bus as @like (a Unix socket connection: the system
 * bus, or a test's bus) and says Hello. Calls on it time out after @timeout_ms.
 */
VfwWire *
vfw_wire_open(GDBusConnection *like, guint timeout_ms, GError **error)
{
    g_autoptr(VfwWire) wire = g_new0(VfwWire, 1);
    g_autoptr(GSocketAddress) address = NULL;
    g_autoptr(GSocketClient) client = g_socket_client_new();
    GIOStream *stream = g_dbus_connection_get_stream(like);
    VfwWireReply hello = { .signature = "" };

    wire->timeout_ms = timeout_ms;
    if (!G_IS_SOCKET_CONNECTION(stream)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            "the bus connection is not a socket");
        return NULL;
    }
    address = g_socket_connection_get_remote_address(G_SOCKET_CONNECTION(stream), error);
    if (!address)
        return NULL;
    if (!G_IS_UNIX_SOCKET_ADDRESS(address)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            "the bus is not on a Unix socket");
        return NULL;
    }
    g_socket_client_set_timeout(client, (timeout_ms + 999) / 1000);
    wire->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, error);
    if (!wire->conn)
        return NULL;
    wire->socket = g_socket_connection_get_socket(wire->conn);
    if (!authenticate(wire, error) ||
        !vfw_wire_call(wire, BUS_NAME, BUS_PATH, BUS_NAME, "Hello", NULL, NULL, &hello, error))
        return NULL;
    vfw_wire_reply_clear(&hello);
    return g_steal_pointer(&wire);
}
