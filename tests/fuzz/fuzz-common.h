/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the libFuzzer harnesses and the corpus replay program. A harness checks the
 * properties its target promises and abort()s when one does not hold, so that libFuzzer
 * (and the replay test) report it like a memory error.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "vfw-error.h"

/* The libFuzzer entry point every harness defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken property with the input that broke it, then aborts. */
#define fuzz_require(cond, text)                                                                   \
    G_STMT_START                                                                                   \
    {                                                                                              \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: %s:%d: property failed: %s (%s)\n", __FILE__, __LINE__, #cond,  \
                    (text) ? (text) : "(null)");                                                   \
            abort();                                                                               \
        }                                                                                          \
    }                                                                                              \
    G_STMT_END

/* A g_critical or g_warning, ours or GLib's, is a bug (a failed precondition, a value
 * GObject refused), not noise: it aborts. GLib's own fatal path raises SIGTRAP, which
 * libFuzzer does not catch, so the handler aborts itself and the input is saved. */
static inline void
fuzz_log_abort(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
    if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)))
        return;
    fprintf(stderr, "fuzz: %s: %s\n", domain ? domain : "", message);
    abort();
}

/* Every harness calls this first. */
static inline void
fuzz_init(void)
{
    static gboolean done;

    if (!done) {
        g_log_set_default_handler(fuzz_log_abort, NULL);
        done = TRUE;
    }
}

/* The GError contract: FALSE exactly when an error is set, in our domain, with a
 * non-empty UTF-8 message for main.c to print. */
static inline void
fuzz_check_result(gboolean ok, const GError *error, const char *input)
{
    fuzz_require(ok == (error == NULL), input);
    if (error) {
        fuzz_require(error->domain == VFW_ERROR, error->message);
        fuzz_require(error->message && *error->message, input);
        fuzz_require(g_utf8_validate(error->message, -1, NULL), input);
    }
}
