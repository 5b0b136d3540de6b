/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

typedef enum {
    VFW_PROTO_TCP,
    VFW_PROTO_UDP,
    VFW_PROTO_SCTP,
} VfwProto;

/* One parsed forward spec, `[HOSTADDR:]HOSTPORT[-END][:GUESTPORT[-END]][/PROTO]`.
 * Plain value type: every field is validated, host_addr is in canonical text form. */
typedef struct {
    GSocketFamily host_family; /* G_SOCKET_FAMILY_INVALID when no host address */
    char host_addr[48];        /* canonical text of the host address, "" when none */
    guint16 host_port;
    guint16 host_port_end; /* == host_port for a single port */
    guint16 guest_port;
    guint16 guest_port_end; /* a range as long as the host's; or, only as published (never
                             * declared), one guest port for a host range */
    VfwProto proto;
} VfwPortSpec;

/* A shifted range (host ports != guest ports) becomes one rule per port: nft's DNAT to a
 * port range keeps the original port when it can instead of shifting it. */
#define VFW_SHIFTED_RANGE_MAX 64u

gboolean vfw_port_spec_is_shifted_range(const VfwPortSpec *spec);
gboolean vfw_port_spec_is_range_to_one_port(const VfwPortSpec *spec);
const char *vfw_proto_to_string(VfwProto proto);
gboolean vfw_proto_from_string(const char *text, VfwProto *proto);

gboolean vfw_port_spec_parse(const char *text, VfwPortSpec *spec, GError **error);
gboolean vfw_port_spec_parse_declared(const char *text, VfwPortSpec *spec, GError **error);
char *vfw_port_spec_to_string(const VfwPortSpec *spec);
gboolean vfw_port_spec_overlaps(const VfwPortSpec *a, const VfwPortSpec *b);
char *vfw_port_range_to_string(guint16 start, guint16 end);

gboolean vfw_parse_address(const char *text, GSocketFamily want, GInetAddress **out,
                           GError **error);
gboolean vfw_parse_subnet(const char *text, GInetAddressMask **out, GError **error);
