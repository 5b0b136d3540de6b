/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vfw-error.h"

/**
 * vfw_error_quark:
 * The GQuark of VFW_ERROR.
 */
GQuark
vfw_error_quark(void)
{
    return g_quark_from_static_string("vfw-error-quark");
}
