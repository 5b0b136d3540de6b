/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hook.h"

void vfw_print_line(const char *prefix, const char *message);
void vfw_print_warnings(GPtrArray *warnings);
gboolean vfw_run_hook(VfwContext *ctx, const char *kind, const char *const *args,
                      GPtrArray *warnings, GError **error);
const char *vfw_hook_kind_from_argv0(const char *argv0);
int vfw_hook_main(const char *kind, char **args);
