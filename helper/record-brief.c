/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A guest record (STATEDIR/guests/UUID.state, written by vfw_state_save_guest) read for
 * what a host-port conflict check needs, line by line: the guest's name, UUID and whether
 * it stopped, each rule's kind, family and spec, each lease forward's spec. A start hook
 * checks its ports against every record on the host; GKeyFile builds ~1 MB of nodes per
 * 1,000 recorded rules, and GLib before 2.76 keeps freed nodes in slice caches of its own
 * to the end of the process. Here a record costs what its rules are.
 */
#include "record-brief.h"

#include <string.h>

#include "vfw-error.h"

typedef enum {
    GROUP_OTHER,
    GROUP_GUEST,
    GROUP_RULE,
    GROUP_LEASE,
} GroupKind;

/* The fields of the group being read. */
typedef struct {
    GroupKind kind;
    char *group;
    char *rule_kind;
    char *spec;
    char *family;
} Group;

static void
group_clear(Group *g)
{
    g_clear_pointer(&g->group, g_free);
    g_clear_pointer(&g->rule_kind, g_free);
    g_clear_pointer(&g->spec, g_free);
    g_clear_pointer(&g->family, g_free);
    g->kind = GROUP_OTHER;
}

/* A value as GKeyFile wrote it (g_key_file_set_string: \s, \n, \t, \r, \\ escaped). */
static char *
unescape(const char *text, gsize len)
{
    GString *out = g_string_sized_new(len);

    for (gsize i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\\' && i + 1 < len) {
            char e = text[++i];
            c = e == 's' ? ' ' : e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        }
        g_string_append_c(out, c);
    }
    return g_string_free(out, FALSE);
}

/* Ends the group in @g: a rule or lease forward goes into @gs. Checks what
 * vfw_state_parse_record() checks of these fields (a rule: vfw_state_decode_rule). */
static gboolean
end_group(Group *g, VfwGuestState *gs, GError **error)
{
    VfwPortSpec spec = { 0 };
    gboolean ok = TRUE;

    if (g->kind == GROUP_RULE) {
        VfwRuleKind kind;
        GSocketFamily family;
        ok = vfw_state_decode_rule(g->rule_kind, g->spec, g->family, &kind, &spec, &family, error);
        if (ok) {
            VfwRule *rule = vfw_rule_new_recorded(&spec, family, "", NULL, NULL, NULL, "");
            rule->kind = kind;
            g_ptr_array_add(gs->rules, rule);
        }
    } else if (g->kind == GROUP_LEASE) {
        ok = g->spec && vfw_port_spec_parse(g->spec, &spec, error);
        if (ok)
            g_ptr_array_add(gs->leases, vfw_lease_forward_new(&spec, "", "", NULL, NULL));
    }
    if (!ok && error && !*error)
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "[%s] incomplete", g->group);
    group_clear(g);
    return ok;
}

/* One "key=value" line of group @g (the guest's own fields go into @name, @uuid,
 * @stopped). */
static void
take_value(Group *g, const char *line, gsize len, char **name, char **uuid, gboolean *stopped)
{
    const char *eq = memchr(line, '=', len);
    g_autofree char *key = NULL;
    char **slot = NULL;

    if (!eq)
        return;
    key = g_strstrip(g_strndup(line, eq - line));
    /* GKeyFile skips the blanks after '='; the value runs to the end of the line */
    for (eq++; eq < line + len && g_ascii_isspace(*eq);)
        eq++;
    if (g->kind == GROUP_GUEST) {
        if (strcmp(key, "stopped") == 0) {
            g_autofree char *v = unescape(eq, line + len - eq);
            g_strstrip(v);
            *stopped = strcmp(v, "true") == 0 || strcmp(v, "1") == 0; /* g_key_file_get_boolean */
            return;
        }
        slot = strcmp(key, "name") == 0 ? name : strcmp(key, "uuid") == 0 ? uuid : NULL;
    } else if (g->kind == GROUP_RULE || g->kind == GROUP_LEASE) {
        slot = strcmp(key, "spec") == 0                              ? &g->spec
               : g->kind == GROUP_RULE && strcmp(key, "kind") == 0   ? &g->rule_kind
               : g->kind == GROUP_RULE && strcmp(key, "family") == 0 ? &g->family
                                                                     : NULL;
    }
    if (slot) {
        g_free(*slot);
        *slot = unescape(eq, line + len - eq);
    }
}

/**
 * vfw_record_parse_brief:
 * A guest record read for a conflict check: name, UUID, stopped; each rule with its kind,
 * family and spec (no addresses, no rule text: "" there), each lease forward with its spec.
 * Refuses what vfw_state_parse_record() refuses of those fields (no [guest] name and uuid, a rule
 * or lease without a valid spec).
 */
VfwGuestState *
vfw_record_parse_brief(const char *data, gsize len, GError **error)
{
    g_autoptr(VfwGuestState) gs = vfw_guest_state_new("", "");
    g_autofree char *name = NULL;
    g_autofree char *uuid = NULL;
    gboolean stopped = FALSE;
    Group g = { GROUP_OTHER, NULL, NULL, NULL, NULL };
    const char *at = data, *end = data + len;
    gboolean ok = TRUE;

    /* as GKeyFile, which refuses text that is not UTF-8 (and errors quote the group) */
    if (!g_utf8_validate(data, (gssize)len, NULL)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "not UTF-8 text");
        return NULL;
    }
    while (ok && at < end) {
        const char *nl = memchr(at, '\n', end - at);
        gsize n = (nl ? nl : end) - at;
        const char *line = at;

        at = nl ? nl + 1 : end;
        /* as GKeyFile reads a line: without its "\r\n", from its first non-blank */
        if (n > 0 && line[n - 1] == '\r')
            n--;
        while (n > 0 && g_ascii_isspace(*line))
            line++, n--;
        if (n == 0 || line[0] == '#')
            continue;
        if (line[0] != '[') {
            take_value(&g, line, n, &name, &uuid, &stopped);
            continue;
        }
        while (n > 0 && g_ascii_isspace(line[n - 1])) /* blanks may follow a group's ']' */
            n--;
        ok = end_group(&g, gs, error);
        if (ok && (n < 2 || line[n - 1] != ']')) {
            g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "a group header is not closed");
            ok = FALSE;
        }
        if (!ok)
            break;
        g.group = g_strndup(line + 1, n - 2);
        g.kind = strcmp(g.group, "guest") == 0         ? GROUP_GUEST
                 : g_str_has_prefix(g.group, "rule ")  ? GROUP_RULE
                 : g_str_has_prefix(g.group, "lease ") ? GROUP_LEASE
                                                       : GROUP_OTHER;
    }
    ok = ok && end_group(&g, gs, error);
    group_clear(&g);
    if (ok && (!name || !uuid)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE, "no [guest] name and uuid");
        ok = FALSE;
    }
    if (!ok)
        return NULL;
    g_free(gs->name);
    g_free(gs->uuid);
    gs->name = g_steal_pointer(&name);
    gs->uuid = g_steal_pointer(&uuid);
    gs->stopped = stopped;
    return g_steal_pointer(&gs);
}
