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

/* The options a verb may take (Verb.options). */
enum {
    OPT_JSON = 1 << 0,
    OPT_DRY_RUN = 1 << 1,
    OPT_OFFLINE = 1 << 2,
    OPT_RESTART = 1 << 3,
    OPT_ADDRESS = 1 << 4,
};

/* An action of a verb that has actions (forward add, network convert). */
typedef struct {
    const char *name;
    const char *params; /* its arguments, for the usage */
    int min_args, max_args;
} Action;

/* One row of the verb table: what `--help`, the usage, the checks of the arguments and
 * the bash completion (tests/style/check-docs.sh compares them) come from. */
typedef struct {
    const char *name;
    const char *params; /* arguments after the verb (or after the action) */
    const char *summary;
    int min_args, max_args; /* positional arguments after the verb; -1: any number */
    const Action *actions;  /* NULL, or the actions, one of which is the first argument */
    guint options;
    gboolean raw; /* arguments passed as they are (the hook's, from libvirt) */
    VfwVerbFunc run;
} Verb;

/* One option of parse_verb()'s table: the Verb.options bit that enables it, and its entry. */
typedef struct {
    guint flag;
    GOptionEntry entry;
} VerbOption;

static gboolean
verb_hook(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings, GError **error)
{
    if (args->argc < 2) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE, "hook: expected qemu|network ARGS...");
        return FALSE;
    }
    return vfw_run_hook(ctx, args->argv[1], (const char *const *)args->argv + 2, warnings, error);
}

static gboolean
verb_version(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings, GError **error)
{
    g_print("virt-firewalld %s\n", PACKAGE_VERSION);
    return TRUE;
}

static const Action forward_actions[] = {
    { "add", "GUEST SPEC [--address A]", 2, 2 },
    { "remove", "GUEST SPEC", 2, 2 },
    { "list", "GUEST", 1, 1 },
    { NULL },
};

static const Action network_actions[] = {
    { "convert", "NAME [--restart] [--dry-run]", 1, 1 },
    { "revert", "NAME [--restart] [--dry-run]", 1, 1 },
    { NULL },
};

static const Verb verbs[] = {
    { "status", "[GUEST...] [--json]", "what is published, live or not, per forward", 0, -1, NULL,
      OPT_JSON, FALSE, vfw_cli_status },
    { "check", "[FILE]", "validate a drop-in or the whole configuration", 0, 1, NULL, 0, FALSE,
      vfw_cli_check },
    { "sync", "[--dry-run|--offline]", "make firewalld match the running guests", 0, 0, NULL,
      OPT_DRY_RUN | OPT_OFFLINE, FALSE, vfw_cli_sync },
    { "doctor", "", "find why a forward cannot work, and the fix", 0, 0, NULL, 0, FALSE,
      vfw_cli_doctor },
    { "watch", "", "daemon: forwards that follow DHCP leases, the host address sets", 0, 0, NULL, 0,
      FALSE, vfw_cli_watch },
    { "forward", "add|remove|list ...", "edit a guest's forwards in its metadata", 2, 3,
      forward_actions, OPT_ADDRESS, FALSE, vfw_cli_forward },
    { "network", "convert|revert NAME", "put a nat network under firewalld, and back", 2, 2,
      network_actions, OPT_RESTART | OPT_DRY_RUN, FALSE, vfw_cli_network },
    { "hook", "qemu|network ARGS...", "what libvirt runs", 0, -1, NULL, 0, TRUE, verb_hook },
    { "version", "", "print the version", 0, 0, NULL, 0, FALSE, verb_version },
};

static void
print_usage(FILE *out)
{
    fprintf(out, "Usage: virt-firewalld [--config-dir DIR] [--state-dir DIR] VERB ...\n"
                 "Verbs:\n");
    for (guint i = 0; i < G_N_ELEMENTS(verbs); i++) {
        if (!verbs[i].actions) {
            fprintf(out, "  %s%s%s\n", verbs[i].name, *verbs[i].params ? " " : "", verbs[i].params);
            continue;
        }
        for (const Action *a = verbs[i].actions; a->name; a++)
            fprintf(out, "  %s %s %s\n", verbs[i].name, a->name, a->params);
    }
    fprintf(out, "'virt-firewalld VERB --help' describes a verb.\n");
}

/* The hidden `--list-verbs`: the verb table as the bash completion needs it, one line per
 * verb: "VERB ACTION... --OPTION..." (tests/style/check-docs.sh compares). */
static void
print_verb_table(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(verbs); i++) {
        const Verb *v = &verbs[i];
        g_print("%s", v->name);
        for (const Action *a = v->actions; a && a->name; a++)
            g_print(" %s", a->name);
        if (v->options & OPT_JSON)
            g_print(" --json");
        if (v->options & OPT_DRY_RUN)
            g_print(" --dry-run");
        if (v->options & OPT_OFFLINE)
            g_print(" --offline");
        if (v->options & OPT_RESTART)
            g_print(" --restart");
        if (v->options & OPT_ADDRESS)
            g_print(" --address");
        g_print("\n");
    }
}

static int
exit_code_for(const GError *error)
{
    return g_error_matches(error, VFW_ERROR, VFW_ERROR_USAGE) || error->domain == G_OPTION_ERROR
               ? EXIT_USAGE
               : EXIT_FAILURE;
}

/* Parses a verb's options with GOptionContext (--help prints the verb's usage on stdout
 * and exits 0) and checks its arguments against the table. @argv[0] is the verb. */
static gboolean
parse_verb(const Verb *v, int argc, char **argv, VfwCliArgs *args, GError **error)
{
    const VerbOption all[] = {
        { OPT_JSON,
          { "json", 0, 0, G_OPTION_ARG_NONE, &args->json, "Print JSON (see virt-firewalld(8))",
            NULL } },
        { OPT_DRY_RUN,
          { "dry-run", 0, 0, G_OPTION_ARG_NONE, &args->dry_run, "Print what would change", NULL } },
        { OPT_OFFLINE,
          { "offline", 0, 0, G_OPTION_ARG_NONE, &args->offline,
            "Work from our records alone (at boot)", NULL } },
        { OPT_RESTART,
          { "restart", 0, 0, G_OPTION_ARG_NONE, &args->restart, "Restart a running network at once",
            NULL } },
        { OPT_ADDRESS,
          { "address", 0, 0, G_OPTION_ARG_STRING, &args->address,
            "The guest address the forward goes to", "A" } },
    };
    GOptionEntry entries[G_N_ELEMENTS(all) + 1] = { { NULL } };
    g_autoptr(GOptionContext) context = NULL;
    g_autofree char *params = NULL;
    g_autofree char *summary = NULL;
    const Action *action = NULL;
    int positional, n = 0;

    for (guint i = 0; i < G_N_ELEMENTS(all); i++) {
        if (v->options & all[i].flag)
            entries[n++] = all[i].entry;
    }
    if (v->actions && argc > 1) {
        for (const Action *a = v->actions; a->name; a++) {
            if (strcmp(argv[1], a->name) == 0)
                action = a;
        }
    }
    params = action ? g_strdup_printf("%s %s %s", v->name, action->name, action->params)
                    : g_strdup_printf("%s%s%s", v->name, *v->params ? " " : "", v->params);
    context = g_option_context_new(params);
    g_option_context_set_summary(context, v->summary);
    if (v->actions) {
        g_autoptr(GString) list = g_string_new("Actions:");
        for (const Action *a = v->actions; a->name; a++)
            g_string_append_printf(list, "\n  %s %s %s", v->name, a->name, a->params);
        summary = g_string_free(g_steal_pointer(&list), FALSE);
        g_option_context_set_description(context, summary);
    }
    g_option_context_add_main_entries(context, entries, NULL);
    args->argc = argc;
    args->argv = argv;
    if (!g_option_context_parse(context, &args->argc, &args->argv, error)) {
        g_prefix_error(error, "%s: ", v->name);
        return FALSE;
    }
    /* GOptionContext stops at "--" and leaves it: what follows is an argument */
    if (args->argc > 1 && strcmp(args->argv[1], "--") == 0) {
        memmove(args->argv + 1, args->argv + 2, (size_t)(args->argc - 1) * sizeof(char *));
        args->argc--;
    }
    positional = args->argc - 1;
    if (v->actions && positional > 0 && !action) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE, "%s: unknown action '%s' (%s)", v->name,
                    args->argv[1], v->params);
        return FALSE;
    }
    if (action ? positional - 1 < action->min_args || positional - 1 > action->max_args
               : positional < v->min_args || (v->max_args >= 0 && positional > v->max_args)) {
        g_set_error(error, VFW_ERROR, VFW_ERROR_USAGE, "%s: expected %s", v->name,
                    *params == '\0' || !strchr(params, ' ') ? "no arguments"
                                                            : strchr(params, ' ') + 1);
        return FALSE;
    }
    return TRUE;
}

static int
run_verb(const Verb *v, VfwContext *ctx, int argc, char **argv)
{
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    /* GOptionContext compacts the array it parses: a copy (the strings are argv's) */
    g_autofree char **copy = g_new0(char *, (gsize)argc + 1);
    VfwCliArgs args = { argc, copy, FALSE, FALSE, FALSE, FALSE, NULL };
    gboolean ok;

    memcpy(copy, argv, sizeof(char *) * (gsize)argc);
    if (!v->raw && !parse_verb(v, argc, copy, &args, &error)) {
        vfw_print_line("virt-firewalld: ", error->message);
        fprintf(stderr, "Try 'virt-firewalld %s --help'.\n", v->name);
        g_free(args.address);
        return exit_code_for(error);
    }
    ok = v->run(ctx, &args, warnings, &error);
    g_free(args.address);
    vfw_print_warnings(warnings);
    if (!ok)
        vfw_print_line("virt-firewalld: ", error->message);
    return ok ? EXIT_SUCCESS : exit_code_for(error);
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *confdir = NULL;
    g_autofree char *statedir = NULL;
    gboolean list_verbs = FALSE;
    const GOptionEntry global[] = {
        { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, &confdir,
          "Configuration directory (default " VFW_CONFDIR ")", "DIR" },
        { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &statedir,
          "State directory (default " VFW_STATEDIR ")", "DIR" },
        { "list-verbs", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &list_verbs, NULL, NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) context = NULL;
    const char *kind;
    VfwContext ctx;

    setlocale(LC_ALL, "");
    vfw_context_init(&ctx);

    kind = vfw_hook_kind_from_argv0(argv[0]);
    if (kind)
        return vfw_hook_main(kind, argv + 1);

    /* the global options, up to the verb (strict POSIX: parsing stops at it) */
    context = g_option_context_new("VERB [ARGS...]");
    g_option_context_set_strict_posix(context, TRUE);
    g_option_context_set_help_enabled(context, FALSE);
    g_option_context_add_main_entries(context, global, NULL);
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        print_usage(stdout);
        return EXIT_SUCCESS;
    }
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        vfw_print_line("virt-firewalld: ", error->message);
        print_usage(stderr);
        return EXIT_USAGE;
    }
    if (list_verbs) {
        print_verb_table();
        return EXIT_SUCCESS;
    }
    if (confdir)
        ctx.confdir = confdir;
    if (statedir)
        ctx.statedir = statedir;
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    for (guint v = 0; v < G_N_ELEMENTS(verbs); v++) {
        if (strcmp(argv[1], verbs[v].name) == 0)
            return run_verb(&verbs[v], &ctx, argc - 1, argv + 1);
    }
    fprintf(stderr, "virt-firewalld: unknown verb '%s'\n", argv[1]);
    print_usage(stderr);
    return EXIT_USAGE;
}
