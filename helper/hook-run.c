/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running as libvirt's hook, and the one-line output every entry point shares. The hook
 * binary (libexecdir/virt-firewalld-hook) is built from this and the core alone: it does
 * not link the libvirt client library, whose load and initialisation measured ~50 ms of
 * every hook run (bench/results), and which a hook must never call anyway.
 */
#include "hook-run.h"

#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfw-error.h"

/**
 * vfw_print_line:
 * Prints @prefix and @message as one line on stderr: control characters a guest or file
 * name may carry are shown escaped, so nobody can forge or split lines in libvirt's log.
 */
void
vfw_print_line(const char *prefix, const char *message)
{
    g_autoptr(GString) line = g_string_new(prefix);

    for (const unsigned char *p = (const unsigned char *)message; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            g_string_append_printf(line, "\\x%02x", *p);
        else
            g_string_append_c(line, (char)*p);
    }
    fprintf(stderr, "%s\n", line->str);
}

/**
 * vfw_print_warnings:
 * One "virt-firewalld: warning: ..." line per warning.
 */
void
vfw_print_warnings(GPtrArray *warnings)
{
    for (guint i = 0; i < warnings->len; i++)
        vfw_print_line("virt-firewalld: warning: ", g_ptr_array_index(warnings, i));
}

/**
 * vfw_run_hook:
 * Runs the @kind ("qemu" or "network") hook with libvirt's @args and stdin.
 */
gboolean
vfw_run_hook(VfwContext *ctx, const char *kind, const char *const *args, GPtrArray *warnings,
             GError **error)
{
    int devnull;

    /* libvirt reads a hook's stdout as the new domain XML for migrate/restore: keep it
     * empty whatever happens below. */
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        close(devnull);
    }
    if (strcmp(kind, "qemu") == 0)
        return vfw_hook_qemu(ctx, args, STDIN_FILENO, warnings, error);
    if (strcmp(kind, "network") == 0)
        return vfw_hook_network(ctx, args, STDIN_FILENO, warnings, error);
    g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE, "unknown hook kind '%s' (qemu or network)",
                kind);
    return FALSE;
}

/**
 * vfw_hook_kind_from_argv0:
 * libvirt runs hooks/qemu.d/NAME and hooks/network.d/NAME: the directory says which.
 * NULL when @argv0 is neither.
 */
const char *
vfw_hook_kind_from_argv0(const char *argv0)
{
    g_autofree char *dir = g_path_get_dirname(argv0);
    g_autofree char *base = g_path_get_basename(dir);

    if (strcmp(base, "qemu.d") == 0)
        return "qemu";
    if (strcmp(base, "network.d") == 0)
        return "network";
    return NULL;
}

/**
 * vfw_hook_main:
 * The whole hook process: run as @kind, print warnings and the error line, and return the
 * exit status (0, or 1 when the guest or network must not start).
 */
int
vfw_hook_main(const char *kind, char **args)
{
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    VfwContext ctx;
    gboolean ok;

    setlocale(LC_ALL, "");
    vfw_context_init(&ctx);
    ok = vfw_run_hook(&ctx, kind, (const char *const *)args, warnings, &error);
    vfw_print_warnings(warnings);
    if (!ok)
        vfw_print_line("virt-firewalld: ", error->message);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
