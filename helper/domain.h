/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* The XML namespace of our domain metadata. */
#define VFW_METADATA_NS "urn:virt-firewalld:forwards:1"

/* One guest NIC as the domain XML declares it. */
typedef struct {
    char *mac;     /* lower-case aa:bb:cc:dd:ee:ff, NULL when libvirt has not assigned one */
    char *network; /* libvirt network name for type='network', else NULL */
    char *bridge;  /* bridge the NIC is on, when the XML says */
    char *target;  /* host-side device (tap) of a running guest, when the XML says */
} VfwInterface;

/* One <vf:forward spec="..." address="..."/> from the domain's metadata. */
typedef struct {
    char *spec;
    char *address; /* optional guest address for this forward */
} VfwMetaForward;

typedef struct {
    char *name;
    char *uuid;
    GPtrArray *interfaces;    /* VfwInterface */
    GPtrArray *meta_forwards; /* VfwMetaForward */
} VfwDomain;

void vfw_domain_free(VfwDomain *domain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwDomain, vfw_domain_free)

VfwDomain *vfw_domain_parse(const char *xml, gsize len, GError **error);
char *vfw_normalize_mac(const char *text);
