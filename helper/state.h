/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "plan.h"

/* What one guest has (or may have) in firewalld, as recorded in STATEDIR/guests/UUID.state.
 * The record is written BEFORE firewalld is changed and lists every rule that may be there,
 * so a crash at any point leaves a record that removal or sync can finish from. */
typedef struct {
    char *name;
    char *uuid;
    gboolean pending;  /* rules not (all) in firewalld yet: firewalld was absent */
    gboolean stopped;  /* the guest stopped but its rules could not be removed yet */
    GPtrArray *rules;  /* VfwRule */
    GPtrArray *leases; /* VfwLeaseForward: forwards waiting for / following a DHCP lease */
} VfwGuestState;

typedef struct VfwState VfwState;

/* Receives one record and owns it (vfw_state_foreach_guest). */
typedef void (*VfwGuestVisitor)(VfwGuestState *gs, gpointer data);

VfwGuestState *vfw_guest_state_new(const char *name, const char *uuid);
void vfw_guest_state_free(VfwGuestState *gs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwGuestState, vfw_guest_state_free)

VfwState *vfw_state_open(const char *path, guint lock_timeout_ms, GError **error);
void vfw_state_close(VfwState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwState, vfw_state_close)

const char *vfw_state_path(VfwState *state);
gboolean vfw_state_open_ledger(VfwState *state, const char *path, GError **error);
GPtrArray *vfw_state_list_ledger(VfwState *state, GPtrArray *known, GError **error);
gboolean vfw_state_load_guest(VfwState *state, const char *uuid, VfwGuestState **out,
                              GError **error);
gboolean vfw_state_load_guest_any(VfwState *state, const char *uuid, VfwGuestState **out,
                                  GError **error);
gboolean vfw_state_save_guest(VfwState *state, const VfwGuestState *gs, GError **error);
char *vfw_state_record_to_data(const VfwGuestState *gs, gsize *len);
VfwGuestState *vfw_state_parse_record(const char *data, gsize len, GError **error);
gboolean vfw_state_decode_rule(const char *kind, const char *spec_text, const char *family,
                               VfwRuleKind *kind_out, VfwPortSpec *spec, GSocketFamily *family_out,
                               GError **error);
gboolean vfw_state_remove_guest(VfwState *state, const char *uuid, GError **error);
GPtrArray *vfw_state_list_guests(VfwState *state, GError **error);
gboolean vfw_state_foreach_guest(VfwState *state, VfwGuestVisitor visit, gpointer data,
                                 GError **error);
gboolean vfw_state_foreach_guest_brief(VfwState *state, VfwGuestVisitor visit, gpointer data,
                                       GError **error);
gboolean vfw_state_save_file(VfwState *state, const char *subdir, const char *name,
                             const char *data, gsize len, GError **error);
char *vfw_state_load_file(VfwState *state, const char *subdir, const char *name, gsize *len,
                          GError **error);
gboolean vfw_state_remove_file(VfwState *state, const char *subdir, const char *name,
                               GError **error);
