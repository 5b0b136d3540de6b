/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hook.h"

/* What main.c parsed for an operator verb, from its entry in the verb table (GOptionContext
 * for the options, the table's counts for the arguments): the positional arguments
 * (argv[0] is the verb; for verbs with actions, argv[1] is the action) and the options. */
typedef struct {
    int argc;
    char **argv;
    gboolean json;    /* status --json */
    gboolean dry_run; /* sync, network --dry-run */
    gboolean offline; /* sync --offline */
    gboolean restart; /* network --restart */
    char *address;    /* forward add --address */
} VfwCliArgs;

/* Each returns FALSE with @error set on failure; main.c prints @warnings and the line. */
typedef gboolean (*VfwVerbFunc)(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings,
                                GError **error);

gboolean vfw_cli_check(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings,
                       GError **error);
gboolean vfw_cli_sync(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings, GError **error);
gboolean vfw_cli_status(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings,
                        GError **error);
char *vfw_network_orig_path(const VfwContext *ctx, const char *name);
gboolean vfw_cli_network(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings,
                         GError **error);
gboolean vfw_cli_forward(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings,
                         GError **error);
gboolean vfw_cli_watch(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings,
                       GError **error);
gboolean vfw_cli_doctor(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings,
                        GError **error);
