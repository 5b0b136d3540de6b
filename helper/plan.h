/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "config.h"
#include "domain.h"
#include "network.h"

/* One firewalld rich rule that publishes one forward for one address family. */
typedef struct {
    VfwPortSpec spec;     /* host side as declared */
    GSocketFamily family; /* of the rule */
    char *to_addr;        /* guest address, canonical text */
    char *source;         /* client range "ADDR/PREFIX", NULL for any */
    char *network;        /* the libvirt network the guest address is on */
    char *rich_rule;      /* canonical firewalld form, as firewalld prints it back */
    char *origin;         /* where it was declared */
} VfwRule;

/* A forward whose guest address will come from a DHCP lease (no address declared, no
 * reservation): `virt-firewalld watch` publishes it while the lease belongs to @mac. */
typedef struct {
    VfwPortSpec spec;
    char *mac;
    char *network;
    char *source;
    char *origin;
} VfwLeaseForward;

typedef struct {
    GPtrArray *rules;    /* VfwRule */
    GPtrArray *leases;   /* VfwLeaseForward */
    GPtrArray *warnings; /* char*: forwards left out, with the reason */
} VfwPlan;

VfwLeaseForward *vfw_lease_forward_new(const VfwPortSpec *spec, const char *mac,
                                       const char *network, const char *source, const char *origin);
void vfw_lease_forward_free(gpointer data);
char *vfw_lease_origin(const VfwLeaseForward *lf);

void vfw_rule_free(gpointer data);
VfwRule *vfw_rule_new(const VfwPortSpec *spec, GSocketFamily family, const char *to_addr,
                      const char *source, const char *network, const char *origin);
VfwRule *vfw_rule_new_recorded(const VfwPortSpec *spec, GSocketFamily family, const char *to_addr,
                               const char *source, const char *network, const char *origin,
                               const char *rich_rule);
gboolean vfw_rules_same_text(GPtrArray *a, GPtrArray *b);
char *vfw_rich_rule_build(const VfwPortSpec *spec, GSocketFamily family, const char *to_addr,
                          const char *source);

void vfw_plan_free(VfwPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwPlan, vfw_plan_free)

VfwPlan *vfw_plan_for_domain(const VfwConfig *config, const VfwDomain *domain, GHashTable *networks,
                             GError **error);
GPtrArray *vfw_collect_forwards(const VfwGuestDecl *decl, const VfwDomain *domain, GError **error);
