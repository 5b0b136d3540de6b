/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* One error domain for the whole program; the code says what kind of thing failed so that
 * main.c can pick the exit code and the hook can decide whether a guest may still start. */
#define VFW_ERROR (vfw_error_quark())

typedef enum {
    VFW_ERROR_USAGE,            /* bad command line */
    VFW_ERROR_CONFIG,           /* a drop-in or the main config is invalid */
    VFW_ERROR_XML,              /* domain or network XML unusable */
    VFW_ERROR_ADDRESS,          /* no usable guest address, or one outside its networks */
    VFW_ERROR_FIREWALLD_ABSENT, /* firewalld not running / not answering in time */
    VFW_ERROR_FIREWALLD,        /* firewalld refused a change */
    VFW_ERROR_LIBVIRT,          /* libvirt API call failed (CLI only) */
    VFW_ERROR_STATE,            /* state directory unusable */
    VFW_ERROR_CONFLICT,         /* host port already published by another guest */
    VFW_ERROR_NOT_APPLICABLE,   /* forward cannot work (e.g. nat-mode network) */
} VfwErrorCode;

GQuark vfw_error_quark(void);
