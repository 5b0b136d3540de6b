/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virt-firewalld: libvirt hooks and operator commands that publish guest ports through
 * firewalld. main() parses, dispatches to a verb, prints the one error line and picks the
 * exit code: 0 success, 1 failure, 2 usage.
 *
 * Run from libvirt's hooks/qemu.d or hooks/network.d (found from argv[0]) it is the hook.
 */
#include "vfw-build-config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hook-run.h"
#include "vfw-error.h"

#define EXIT_USAGE 2

typedef struct {
    const char *name;
    const char *usage;
    gboolean (*run)(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings, GError **error);
} Verb;

static gboolean
verb_hook(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings, GError **error)
{
    if (argc < 2) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE, "hook: expected qemu|network ARGS...");
        return FALSE;
    }
    return vfw_run_hook(ctx, argv[1], (const char *const *)argv + 2, warnings, error);
}

static gboolean
verb_version(VfwContext *ctx, int argc, char **argv, GPtrArray *warnings, GError **error)
{
    g_print("virt-firewalld %s\n", PACKAGE_VERSION);
    return TRUE;
}

static const Verb verbs[] = {
    { "status", "status [GUEST...] [--json]", vfw_cli_status },
    { "check", "check [FILE]", vfw_cli_check },
    { "sync", "sync [--dry-run|--offline]", vfw_cli_sync },
    { "doctor", "doctor", vfw_cli_doctor },
    { "watch", "watch (daemon: forwards that follow DHCP leases)", vfw_cli_watch },
    { "forward", "forward add GUEST SPEC [--address A] | remove GUEST SPEC | list GUEST",
      vfw_cli_forward },
    { "network", "network convert|revert NAME [--restart] [--dry-run]", vfw_cli_network },
    { "hook", "hook qemu|network ARGS... (what libvirt runs)", verb_hook },
    { "version", "version", verb_version },
};

static void
print_usage(FILE *out)
{
    fprintf(out, "Usage: virt-firewalld [--config-dir DIR] [--state-dir DIR] VERB ...\n"
                 "Verbs:\n");
    for (guint i = 0; i < G_N_ELEMENTS(verbs); i++)
        fprintf(out, "  %s\n", verbs[i].usage);
}

static int
exit_code_for(const GError *error)
{
    return g_error_matches(error, VFW_ERROR, VFW_ERROR_USAGE) ? EXIT_USAGE : EXIT_FAILURE;
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autofree char *confdir = NULL;
    g_autofree char *statedir = NULL;
    const char *kind;
    VfwContext ctx;
    gboolean ok = FALSE;
    int i = 1;

    setlocale(LC_ALL, "");
    vfw_context_init(&ctx);

    kind = vfw_hook_kind_from_argv0(argv[0]);
    if (kind)
        return vfw_hook_main(kind, argv + 1);

    for (; i < argc && g_str_has_prefix(argv[i], "--"); i++) {
        if (strcmp(argv[i], "--config-dir") == 0 && i + 1 < argc) {
            confdir = g_strdup(argv[++i]);
        } else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc) {
            statedir = g_strdup(argv[++i]);
        } else if (strcmp(argv[i], "--help") == 0) {
            print_usage(stdout);
            return EXIT_SUCCESS;
        } else {
            fprintf(stderr, "virt-firewalld: unknown option '%s'\n", argv[i]);
            print_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (confdir)
        ctx.confdir = confdir;
    if (statedir)
        ctx.statedir = statedir;
    if (i >= argc) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    for (guint v = 0; v < G_N_ELEMENTS(verbs); v++) {
        if (strcmp(argv[i], verbs[v].name) == 0) {
            ok = verbs[v].run(&ctx, argc - i, argv + i, warnings, &error);
            vfw_print_warnings(warnings);
            if (!ok)
                vfw_print_line("virt-firewalld: ", error->message);
            return ok ? EXIT_SUCCESS : exit_code_for(error);
        }
    }
    fprintf(stderr, "virt-firewalld: unknown verb '%s'\n", argv[i]);
    print_usage(stderr);
    return EXIT_USAGE;
}
