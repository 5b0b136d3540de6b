/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virt-firewalld watch`: the daemon behind forwards of guests without a fixed address,
 * and behind the host address sets that forwards without a host address match on.
 * It follows libvirt's lease status files (inotify through GFileMonitor), our own guest
 * records (a guest starting with lease forwards), firewalld's Reloaded signal and its
 * restarts (NameOwnerChanged), the kernel's address changes (rtnetlink), and a 30 s tick
 * for lease expiry; every event schedules one reconcile (the address sets, then
 * vfw_leases_reconcile()), coalesced over 20 ms.
 */
#include "cli.h"

#include <errno.h>
#include <glib-unix.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostaddr.h"
#include "lease.h"
#include "vfw-error.h"

#define FW_NAME       "org.fedoraproject.FirewallD1"
#define COALESCE_MS   20
#define EXPIRY_TICK_S 30
#define BACKOFF_MAX_S 60

typedef struct {
    VfwContext *ctx;
    GMainLoop *loop;
    guint pending;
    guint timeout_ms;
    guint reconciles;
    guint backoff_s; /* after a failed reconcile: 1, 2, 4 ... 60 s; 0 after a good one */
    gint64 retry_at; /* monotonic time before which events wait (the backoff) */
} Watch;

static void schedule(Watch *w);

static gboolean
reconcile_now(gpointer data)
{
    Watch *w = data;
    g_autoptr(GError) error = NULL;
    guint changed = 0;

    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    gboolean sets_changed = FALSE;

    w->pending = 0;
    w->reconciles++;
    if (!vfw_host_sets_update(w->ctx, w->timeout_ms, &sets_changed, warnings))
        for (guint i = 0; i < warnings->len; i++)
            fprintf(stderr, "virt-firewalld: watch: %s, retrying on the next event\n",
                    (const char *)g_ptr_array_index(warnings, i));
    if (sets_changed)
        fprintf(stderr, "virt-firewalld: watch: host address sets updated\n");
    if (!vfw_leases_reconcile(w->ctx, w->timeout_ms, &changed, &error)) {
        /* firewalld refusing a change refuses it again at once: back off, not spin */
        w->backoff_s = w->backoff_s ? MIN(w->backoff_s * 2, BACKOFF_MAX_S) : 1;
        w->retry_at = g_get_monotonic_time() + (gint64)w->backoff_s * G_USEC_PER_SEC;
        fprintf(stderr, "virt-firewalld: watch: %s, retrying in %u s\n", error->message,
                w->backoff_s);
        schedule(w);
    } else {
        w->backoff_s = 0;
        w->retry_at = 0;
        if (changed)
            fprintf(stderr, "virt-firewalld: watch: %u guests' lease forwards updated\n", changed);
    }
    return G_SOURCE_REMOVE;
}

/* One reconcile COALESCE_MS from now, or when the backoff ends if that is later. */
static void
schedule(Watch *w)
{
    gint64 wait_ms = (w->retry_at - g_get_monotonic_time()) / 1000;

    if (!w->pending)
        w->pending = g_timeout_add((guint)MAX(wait_ms, COALESCE_MS), reconcile_now, w);
}

static void
on_file_event(GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
              gpointer data)
{
    if (event != G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED)
        schedule(data);
}

static void
on_dbus_signal(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
               const char *signal, GVariant *params, gpointer data)
{
    schedule(data);
}

static gboolean
on_tick(gpointer data)
{
    schedule(data);
    return G_SOURCE_CONTINUE;
}

/* Address notifications: only that something changed matters (the sets are read anew). */
static gboolean
on_netlink(int fd, GIOCondition cond, gpointer data)
{
    char buf[8192];

    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        ;
    /* ENOBUFS: notifications were lost; a reconcile reads everything anyway */
    schedule(data);
    return G_SOURCE_CONTINUE;
}

static int
open_netlink(GError **error)
{
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
                              .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        g_set_error(error, VFW_ERROR, VFW_ERROR_STATE,
                    "watch: cannot follow the host's addresses (rtnetlink): %s", g_strerror(saved));
        return -1;
    }
    return fd;
}

static gboolean
on_quit(gpointer data)
{
    g_main_loop_quit(((Watch *)data)->loop);
    return G_SOURCE_REMOVE;
}

static GFileMonitor *
watch_dir(const char *path, Watch *w, GError **error)
{
    g_autoptr(GFile) dir = g_file_new_for_path(path);
    GFileMonitor *monitor = g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES, NULL, error);

    if (!monitor)
        return NULL;
    g_file_monitor_set_rate_limit(monitor, COALESCE_MS);
    g_signal_connect(monitor, "changed", G_CALLBACK(on_file_event), w);
    return monitor;
}

/**
 * vfw_cli_watch:
 * `watch`: runs until SIGTERM/SIGINT. Fails only when it cannot set up its watches.
 */
gboolean
vfw_cli_watch(VfwContext *ctx, const VfwCliArgs *args, GPtrArray *warnings, GError **error)
{
    g_autoptr(VfwConfig) config = vfw_config_load(ctx->confdir, NULL);
    g_autofree char *guests_dir = g_build_filename(ctx->statedir, "guests", NULL);
    g_autoptr(GFileMonitor) leases = NULL;
    g_autoptr(GFileMonitor) records = NULL;
    g_autoptr(GDBusConnection) bus = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Watch w = { ctx, loop, 0, config ? config->dbus_timeout_ms : 5000, 0, 0, 0 };
    guint subs[2] = { 0 };
    int nl_fd;

    g_mkdir_with_parents(guests_dir, 0755);
    if (!(leases = watch_dir(ctx->dnsmasq_dir, &w, error)) ||
        !(records = watch_dir(guests_dir, &w, error)))
        return FALSE;
    bus = ctx->bus ? g_object_ref(ctx->bus) : g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
    if (!bus)
        return FALSE;
    subs[0] =
        g_dbus_connection_signal_subscribe(bus, FW_NAME, FW_NAME, "Reloaded", NULL, NULL,
                                           G_DBUS_SIGNAL_FLAGS_NONE, on_dbus_signal, &w, NULL);
    subs[1] = g_dbus_connection_signal_subscribe(
        bus, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged", NULL, FW_NAME,
        G_DBUS_SIGNAL_FLAGS_NONE, on_dbus_signal, &w, NULL);
    if ((nl_fd = open_netlink(error)) < 0)
        return FALSE;
    g_unix_fd_add(nl_fd, G_IO_IN, on_netlink, &w);
    g_timeout_add_seconds(EXPIRY_TICK_S, on_tick, &w);
    g_unix_signal_add(SIGTERM, on_quit, &w);
    g_unix_signal_add(SIGINT, on_quit, &w);
    fprintf(stderr, "virt-firewalld: watch: following DHCP leases in %s and the host's addresses\n",
            ctx->dnsmasq_dir);
    schedule(&w);
    g_main_loop_run(loop);
    g_dbus_connection_signal_unsubscribe(bus, subs[0]);
    g_dbus_connection_signal_unsubscribe(bus, subs[1]);
    close(nl_fd);
    fprintf(stderr, "virt-firewalld: watch: stopped after %u reconciles\n", w.reconciles);
    return TRUE;
}
