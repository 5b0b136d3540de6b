/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest records (STATEDIR/guests/UUID.state): the whole read (GKeyFile) and the brief one
 * of a conflict check (record-brief.c, line by line). Properties: the GError contract for
 * both; on every record the whole read takes and that reads back to the same text (what
 * vfw_state_save_guest writes), the brief read takes it too and sees the same name, UUID,
 * stopped flag, rule kinds, families and specs, and lease specs: a conflict check never
 * misses a port that a record holds. (A hand-edited file GKeyFile reads otherwise, with a
 * repeated group say, is not compared.)
 */
#include <string.h>

#include "fuzz-common.h"
#include "record-brief.h"

/* GLib 2.74's g_key_file_get_string() sets its GError twice, with a warning, for a value
 * holding an invalid escape and then a backslash at its end ("a\\qb\\"): GLib's slip, not
 * ours (the value is refused either way). Every other warning still aborts. */
static void
log_handler(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
    if (strstr(message, "GError set over the top of a previous GError") &&
        strstr(message, "escape character at end of line"))
        return;
    fuzz_log_abort(domain, level, message, data);
}

static void
compare(const VfwGuestState *full, const VfwGuestState *brief, const char *text)
{
    fuzz_require(strcmp(full->name, brief->name) == 0, text);
    fuzz_require(strcmp(full->uuid, brief->uuid) == 0, text);
    fuzz_require(full->stopped == brief->stopped, text);
    fuzz_require(full->rules->len == brief->rules->len, text);
    for (guint i = 0; i < full->rules->len; i++) {
        const VfwRule *a = g_ptr_array_index(full->rules, i);
        const VfwRule *b = g_ptr_array_index(brief->rules, i);
        fuzz_require(a->kind == b->kind && a->family == b->family, text);
        fuzz_require(memcmp(&a->spec, &b->spec, sizeof a->spec) == 0, text);
    }
    fuzz_require(full->leases->len == brief->leases->len, text);
    for (guint i = 0; i < full->leases->len; i++) {
        const VfwLeaseForward *a = g_ptr_array_index(full->leases, i);
        const VfwLeaseForward *b = g_ptr_array_index(brief->leases, i);
        fuzz_require(memcmp(&a->spec, &b->spec, sizeof a->spec) == 0, text);
    }
}

/**
 * LLVMFuzzerTestOneInput:
 * One input is one record file's content.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    g_autoptr(GError) full_error = NULL;
    g_autoptr(GError) brief_error = NULL;
    g_autoptr(VfwGuestState) full = NULL;
    g_autoptr(VfwGuestState) brief = NULL;
    g_autofree char *again = NULL;
    gsize again_len = 0;

    fuzz_init();
    g_log_set_default_handler(log_handler, NULL);
    /* records are read as files: the bytes up to a NUL, as g_file_get_contents gives them */
    full = vfw_state_parse_record(text, strlen(text), &full_error);
    fuzz_require((full != NULL) == (full_error == NULL), text); /* GKeyFile's own errors too */
    brief = vfw_record_parse_brief(text, strlen(text), &brief_error);
    fuzz_check_result(brief != NULL, brief_error, text);
    if (!full)
        return 0;
    again = vfw_state_record_to_data(full, &again_len);
    if (again_len != strlen(text) || memcmp(again, text, again_len) != 0)
        return 0;
    fuzz_require(brief != NULL, text);
    compare(full, brief, text);
    return 0;
}
