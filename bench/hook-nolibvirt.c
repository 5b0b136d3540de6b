/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prototype of a proposed fix, measured by bench/run ("ours, no libvirt" rows): the qemu
 * hook as a separate executable that links only what the hook path uses (GLib/GIO,
 * libxml2: helper/libvfw-core.a with --as-needed), not libvirt and its ~50 dependent
 * libraries. Same code as the installed hook (vfw_hook_qemu), same paths, same behaviour;
 * only main() differs (argv as libvirt passes it: DOMAIN OPERATION SUBOP EXTRA).
 */
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "hook.h"

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    VfwContext ctx;
    gboolean ok;
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

    setlocale(LC_ALL, "");
    vfw_context_init(&ctx);
    if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        close(devnull);
    }
    ok = vfw_hook_qemu(&ctx, (const char *const *)argv + 1, STDIN_FILENO, warnings, &error);
    for (guint i = 0; i < warnings->len; i++)
        fprintf(stderr, "virt-firewalld: warning: %s\n", (char *)g_ptr_array_index(warnings, i));
    if (!ok)
        fprintf(stderr, "virt-firewalld: %s\n", error->message);
    return ok ? 0 : 1;
}
