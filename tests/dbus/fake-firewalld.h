/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake firewalld on a GTestDBus bus, for the error paths a real daemon will not produce
 * on demand (a refusal in the middle of a transaction, a call that never gets an answer).
 * It serves the interfaces of dbus/org.fedoraproject.FirewallD1.xml from a thread of its
 * own, so that the code under test can make its ordinary synchronous calls.
 */
#pragma once

#include <gio/gio.h>

typedef struct FakeFirewalld FakeFirewalld;

/* The places a published item lives in, in vfw_firewalld_edit_everywhere()'s order:
 * policy virtfw-forward runtime, permanent; virtfw-host runtime, permanent; virtfw-pub
 * runtime, permanent; virtfw-pub-host runtime, permanent. */
#define FAKE_PLACES 8

FakeFirewalld *fake_firewalld_start(const char *bus_address, GError **error);
void fake_firewalld_stop(FakeFirewalld *fake);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeFirewalld, fake_firewalld_stop)

void fake_firewalld_set_rules(FakeFirewalld *fake, guint place, const char *const *rules);
GStrv fake_firewalld_get_rules(FakeFirewalld *fake, guint place);
char *fake_firewalld_zone_of(FakeFirewalld *fake, const char *iface, gboolean permanent);
void fake_firewalld_fail(FakeFirewalld *fake, const char *method, const char *target,
                         const char *message);
void fake_firewalld_hang(FakeFirewalld *fake, const char *method, const char *target);
void fake_firewalld_clear_faults(FakeFirewalld *fake);
guint fake_firewalld_writes(FakeFirewalld *fake);
void fake_firewalld_refuse_rule(FakeFirewalld *fake, const char *rule);
guint fake_firewalld_calls_since_hang(FakeFirewalld *fake);
