/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

/*
 * A second, raw connection to the bus a GDBusConnection is on, for the few calls whose
 * messages carry whole policy lists. GDBus turns every reply into a tree of values, about
 * 900 bytes of heap per forward-port (bench/results: most of the hook's peak at 5,000
 * forwards); here a reply stays one block in the D-Bus wire format and its strings are
 * read where they lie. Only what firewalld.c needs: method calls and their replies.
 */
typedef struct VfwWire VfwWire;

VfwWire *vfw_wire_open(GDBusConnection *like, guint timeout_ms, GError **error);
void vfw_wire_free(VfwWire *wire);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwWire, vfw_wire_free)

/* Writing a message body: alignment is relative to the body's start, which D-Bus puts at
 * an 8-byte boundary of the message. */
void vfw_wire_put_string(GByteArray *body, const char *s);
void vfw_wire_put_signature(GByteArray *body, const char *sig);
gsize vfw_wire_open_array(GByteArray *body, guint element_alignment);
void vfw_wire_close_array(GByteArray *body, gsize at, guint element_alignment);
void vfw_wire_align(GByteArray *body, guint alignment);

GByteArray *vfw_wire_method_call_header(guint32 serial, const char *destination, const char *path,
                                        const char *iface, const char *member,
                                        const char *signature, gsize body_len);

/* A method's reply. @body points into @message, which owns the memory. */
typedef struct {
    GBytes *message;
    const guint8 *body;
    gsize body_len;
    gboolean big_endian;
    const char *signature; /* "" when the reply has no body */
} VfwWireReply;

void vfw_wire_reply_clear(VfwWireReply *reply);

gboolean vfw_wire_call(VfwWire *wire, const char *destination, const char *path, const char *iface,
                       const char *member, const char *signature, GByteArray *body,
                       VfwWireReply *reply, GError **error);

gboolean vfw_wire_read_settings(const guint8 *body, gsize len, gboolean big_endian,
                                const char *signature, GPtrArray *rich_rules,
                                GPtrArray *forward_ports, GError **error);
/* What a message's header says of it; error_name points into the message. */
typedef struct {
    guint8 type;
    guint32 serial;
    guint32 reply_serial;   /* 0: none */
    const char *error_name; /* NULL: none */
} VfwWireHeader;

gboolean vfw_wire_parse_message(GBytes *message, VfwWireHeader *header, VfwWireReply *reply,
                                GError **error);
