/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "state.h"

VfwGuestState *vfw_record_parse_brief(const char *data, gsize len, GError **error);
