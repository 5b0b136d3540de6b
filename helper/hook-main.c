/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virt-firewalld-hook: what libvirt runs from hooks/qemu.d and hooks/network.d (links to
 * this binary; the directory names the hook). Also `virt-firewalld-hook qemu|network ARGS`.
 * Exit status: 0, or 1 when the guest (prepare/start) or network (start) must not start.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hook-run.h"

int
main(int argc, char **argv)
{
    const char *kind = vfw_hook_kind_from_argv0(argv[0]);

    if (kind)
        return vfw_hook_main(kind, argv + 1);
    if (argc >= 2)
        return vfw_hook_main(argv[1], argv + 2);
    fprintf(stderr, "Usage: virt-firewalld-hook qemu|network ARGS... (what libvirt runs)\n");
    return 2;
}
