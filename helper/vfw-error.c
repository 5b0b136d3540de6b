/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vfw-error.h"

G_DEFINE_QUARK(vfw-error-quark, vfw_error)
