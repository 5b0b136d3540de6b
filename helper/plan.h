/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "config.h"
#include "domain.h"
#include "network.h"

/* Our shipped ipsets (ipsets/virtfw-local*.xml): the host's own addresses, to which the
 * zone virtfw-local is bound; forwards without a host address match on it, as `docker -p`
 * does. */
#define VFW_IPSET_LOCAL  "virtfw-local"
#define VFW_IPSET_LOCAL6 "virtfw-local6"

/* An item (what a VfwRule puts into firewalld) with this prefix lives in the policies
 * virtfw-pub and virtfw-pub-host: "pub port=P:proto=X:toport=T:toaddr=A" is a forward-port
 * entry, "pub rule ..." a rich rule. Items without it are rich rules of virtfw-forward and
 * virtfw-host (masquerade: virtfw-forward only). See firewalld.c. */
#define VFW_ITEM_PUB "pub "

typedef enum {
    VFW_RULE_FORWARD,  /* forward-port: publishes one forward (or one port of a shifted range) */
    VFW_RULE_HAIRPIN,  /* masquerade of the guest's connections to its own published ports */
    VFW_RULE_REPLACED, /* what an older version applied and an upgrade takes out: only ever
                        * removed, never put back */
} VfwRuleKind;

/* One firewalld rich rule that publishes one forward for one address family, or (kind
 * hairpin) lets the guest reach its own published ports through the host's address. */
typedef struct {
    VfwRuleKind kind;
    VfwPortSpec spec;     /* host side as declared; one port pair of a shifted range;
                           * unused (zero) for a hairpin rule */
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
VfwRule *vfw_rule_new_hairpin(GSocketFamily family, const char *to_addr, const char *network,
                              const char *origin);
VfwRule *vfw_rule_copy(const VfwRule *rule);
void vfw_rules_add_forward(GPtrArray *to, const VfwPortSpec *spec, GSocketFamily family,
                           const char *to_addr, const char *source, const char *network,
                           const char *origin);
void vfw_rules_merge_ports(GPtrArray *rules);
void vfw_rules_add_hairpins(GPtrArray *rules);
gboolean vfw_rule_is_current(const VfwRule *rule);
gboolean vfw_rules_same_text(GPtrArray *a, GPtrArray *b);
char *vfw_rich_rule_build(const VfwPortSpec *spec, GSocketFamily family, const char *to_addr,
                          const char *source);
char *vfw_hairpin_rule_build(GSocketFamily family, const char *addr);

void vfw_plan_free(VfwPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfwPlan, vfw_plan_free)

VfwPlan *vfw_plan_for_domain(const VfwConfig *config, const VfwDomain *domain, GHashTable *networks,
                             GError **error);
GPtrArray *vfw_collect_forwards(const VfwGuestDecl *decl, const VfwDomain *domain, GError **error);
