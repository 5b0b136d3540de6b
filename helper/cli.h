/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hook.h"

/* Operator verbs: `virt-firewalld VERB ARGS...`; argv[0] is the verb. Each returns FALSE
 * with @error set on failure; main.c prints @warnings and the error line. */
typedef gboolean (*VfwVerbFunc)(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings,
                                GError **error);

gboolean vfw_cli_check(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings, GError **error);
gboolean vfw_cli_sync(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings, GError **error);
gboolean vfw_cli_status(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings,
                        GError **error);
gboolean vfw_cli_network(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings,
                         GError **error);
gboolean vfw_cli_forward(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings,
                         GError **error);
gboolean vfw_cli_watch(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings, GError **error);
gboolean vfw_cli_doctor(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings,
                        GError **error);
