/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Corpus replay: runs one harness's LLVMFuzzerTestOneInput over every file of the given
 * corpus directories (or files), without libFuzzer, so the normal gcc build exercises the
 * harnesses and every crash reproducer kept in tests/fuzz/corpus/. TAP output, one line
 * per input; a broken property aborts the program and so fails the test.
 */
#include <string.h>

#include "fuzz-common.h"

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds @path, or the regular files of directory @path in name order, to @inputs. */
static void
collect_inputs(const char *path, GPtrArray *inputs)
{
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_ptr_array_add(inputs, g_strdup(path));
        return;
    }
    dir = g_dir_open(path, 0, NULL);
    while (dir && (name = g_dir_read_name(dir))) {
        if (name[0] != '.')
            g_ptr_array_add(names, g_build_filename(path, name, NULL));
    }
    g_ptr_array_sort(names, compare_strings);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(inputs, g_strdup(g_ptr_array_index(names, i)));
}

/* Runs the harness on the file at @path with a buffer of exactly its size, as libFuzzer
 * does, so that a sanitizer build catches a read past the end. */
static gboolean
replay_one(const char *path, GError **error)
{
    g_autofree char *contents = NULL;
    g_autofree uint8_t *data = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &contents, &len, error))
        return FALSE;
    data = g_malloc(MAX(len, 1));
    memcpy(data, contents, len);
    LLVMFuzzerTestOneInput(data, len);
    return TRUE;
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func(g_free);
    guint failed = 0;

    for (int i = 1; i < argc; i++)
        collect_inputs(argv[i], inputs);
    if (inputs->len == 0) {
        printf("Bail out! no corpus files in the arguments\n");
        return 1;
    }
    printf("1..%u\n", inputs->len);
    for (guint i = 0; i < inputs->len; i++) {
        const char *path = g_ptr_array_index(inputs, i);
        g_autoptr(GError) error = NULL;
        g_autofree char *base = g_path_get_basename(path);

        fflush(stdout);
        if (replay_one(path, &error)) {
            printf("ok %u - %s\n", i + 1, base);
        } else {
            printf("not ok %u - %s: %s\n", i + 1, base, error->message);
            failed++;
        }
    }
    return failed ? 1 : 0;
}
