/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "spec.h"

/* What the hook does when a guest's forwards cannot be applied (bad config, conflict). */
typedef enum {
    VFW_ON_ERROR_FAIL, /* the guest does not start */
    VFW_ON_ERROR_WARN, /* warn, publish what can be published, start the guest */
} VfwOnError;

/* One forward declared for a guest, from a drop-in or from the domain's metadata. */
typedef struct {
    VfwPortSpec spec;
    char *address; /* per-forward guest address (metadata only), NULL if none */
    char *origin;  /* "FILE:LINE" or "metadata", for messages */
} VfwDeclForward;

/* One [GUEST] group of the forwards.d drop-ins. */
typedef struct {
    char *group;         /* domain name or UUID */
    GPtrArray *forwards; /* VfwDeclForward */
    GInetAddress *address;
    GInetAddress *address6;
    GInetAddressMask *source;
    char *origin; /* the file that declared the group first */
} VfwGuestDecl;

typedef struct {
    VfwOnError on_error;
    guint dbus_timeout_ms;
    GHashTable *network_zones; /* network name -> firewalld zone */
    GHashTable *guests;        /* group -> VfwGuestDecl */
} VfwConfig;

void vfw_decl_forward_free(gpointer data);
VfwDeclForward *vfw_decl_forward_new(const VfwPortSpec *spec, const char *address,
                                     const char *origin);

void vfw_config_free(VfwConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwConfig, vfw_config_free)

VfwConfig *vfw_config_new(void);
VfwConfig *vfw_config_load(const char *confdir, GError **error);
VfwConfig *vfw_config_load_for_guest(const char *confdir, const char *name, const char *uuid,
                                     GError **error);
gboolean vfw_config_load_main(VfwConfig *config, const char *path, GError **error);
gboolean vfw_config_load_dropin(VfwConfig *config, const char *path, GError **error);
gboolean vfw_config_load_dropin_data(VfwConfig *config, const char *data, gsize len,
                                     const char *origin, GError **error);
const VfwGuestDecl *vfw_config_lookup_guest(const VfwConfig *config, const char *name,
                                            const char *uuid, GError **error);
gboolean vfw_zone_name_is_valid(const char *zone);
