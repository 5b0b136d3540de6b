/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the unit tests. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

/* Fails the test, showing both strings, unless @hay contains @needle. */
#define assert_contains(hay, needle)                                                               \
    G_STMT_START                                                                                   \
    {                                                                                              \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_)) {                                                              \
            g_autofree char *m_ = g_strdup_printf("'%s' does not contain '%s'", h_, n_);           \
            g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, m_);                  \
        }                                                                                          \
    }                                                                                              \
    G_STMT_END

/* Error lines end up on one line of stderr or the journal: no control characters. */
static inline void
assert_printable(const char *message)
{
    for (const char *p = message; *p; p++)
        g_assert_false(g_ascii_iscntrl(*p));
}

/* Removes @path and everything below it (temporary test directories). */
static inline void
rm_rf(const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;
        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            rm_rf(child);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}
