/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cheap network ends for bench/run's reload-survival measurement.
 *
 *   netprobe serve PORT TEXT
 *       TCP server (IPv4+IPv6) that writes TEXT\n to every connection and closes it; one
 *       process, no fork per connection (socat's fork would dominate 1,000 probes).
 *   netprobe wait HOST T0_NS DEADLINE_MS LO-HI [LO-HI...]
 *       From T0_NS (CLOCK_REALTIME nanoseconds, `date +%s%N`) until every port of the
 *       ranges has answered once with a line starting "hello", or DEADLINE_MS after T0:
 *       sweeps the ports not yet answered with up to 512 parallel non-blocking connects,
 *       each bounded to 250 ms, again and again. Prints
 *       "answered N of M, last at MS ms, first at MS ms, sweeps S" and exits 0 if all did.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PARALLEL   512
#define CONNECT_MS 250

static int64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
serve(int port, const char *text)
{
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
    int one = 1, zero = 0, s = socket(AF_INET6, SOCK_STREAM, 0);
    char line[256];
    int n = snprintf(line, sizeof line, "%s\n", text);

    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    a.sin6_addr = in6addr_any;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 4096) < 0) {
        perror("netprobe serve");
        return 1;
    }
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        if (write(c, line, n) < 0) {
            /* the client went away: nothing to do */
        }
        close(c);
    }
}

typedef struct {
    int fd;
    int port;
    int64_t started;
    int connected;
} Slot;

static int
wait_ports(const char *host, int64_t t0, int64_t deadline_ms, int nranges, char **ranges)
{
    struct sockaddr_in dst = { .sin_family = AF_INET };
    static int64_t first[65536]; /* ns of first answer, 0: not yet */
    int *ports = NULL, nports = 0, answered = 0, sweeps = 0;
    int64_t last = 0, earliest = 0;
    struct rlimit rl = { 4096, 4096 };

    setrlimit(RLIMIT_NOFILE, &rl);
    if (inet_pton(AF_INET, host, &dst.sin_addr) != 1) {
        fprintf(stderr, "netprobe: bad IPv4 address %s\n", host);
        return 2;
    }
    for (int r = 0; r < nranges; r++) {
        int lo, hi;
        if (sscanf(ranges[r], "%d-%d", &lo, &hi) != 2)
            lo = hi = atoi(ranges[r]);
        for (int p = lo; p <= hi && p > 0 && p < 65536; p++) {
            ports = realloc(ports, sizeof *ports * (nports + 1));
            ports[nports++] = p;
        }
    }
    while (answered < nports && now_ns() - t0 < deadline_ms * 1000000) {
        Slot slots[PARALLEL];
        struct pollfd pfd[PARALLEL];
        int next = 0, active = 0;

        sweeps++;
        for (;;) {
            /* fill free slots with ports not yet answered */
            while (active < PARALLEL && next < nports) {
                int p = ports[next++];
                if (first[p])
                    continue;
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                if (fd < 0)
                    break;
                dst.sin_port = htons(p);
                if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) {
                    close(fd);
                    continue;
                }
                slots[active] = (Slot){ fd, p, now_ns(), 0 };
                active++;
            }
            if (active == 0)
                break;
            for (int i = 0; i < active; i++)
                pfd[i] = (struct pollfd){ slots[i].fd, slots[i].connected ? POLLIN : POLLOUT, 0 };
            poll(pfd, active, 20);
            int64_t t = now_ns();
            for (int i = 0; i < active; i++) {
                int done = 0;
                if (pfd[i].revents & (POLLERR | POLLHUP) && !(pfd[i].revents & POLLIN)) {
                    done = 1;
                } else if (!slots[i].connected && pfd[i].revents & POLLOUT) {
                    int err = 0;
                    socklen_t len = sizeof err;
                    getsockopt(slots[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
                    if (err)
                        done = 1;
                    else
                        slots[i].connected = 1;
                } else if (slots[i].connected && pfd[i].revents & POLLIN) {
                    char buf[64];
                    ssize_t n = read(slots[i].fd, buf, sizeof buf);
                    if (n >= 5 && memcmp(buf, "hello", 5) == 0 && !first[slots[i].port]) {
                        first[slots[i].port] = t;
                        answered++;
                        if (t > last)
                            last = t;
                        if (!earliest || t < earliest)
                            earliest = t;
                    }
                    done = 1;
                }
                if (!done && t - slots[i].started > (int64_t)CONNECT_MS * 1000000)
                    done = 1;
                if (done) {
                    close(slots[i].fd);
                    slots[i].fd = -1;
                }
            }
            int k = 0;
            for (int i = 0; i < active; i++)
                if (slots[i].fd >= 0)
                    slots[k++] = slots[i];
            active = k;
        }
        if (answered < nports) {
            struct timespec pause = { 0, 10 * 1000000 };
            nanosleep(&pause, NULL);
        }
    }
    printf("answered %d of %d, last at %lld ms, first at %lld ms, sweeps %d\n", answered, nports,
           last ? (long long)((last - t0) / 1000000) : -1LL,
           earliest ? (long long)((earliest - t0) / 1000000) : -1LL, sweeps);
    return answered == nports ? 0 : 1;
}

int
main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "serve") == 0)
        return serve(atoi(argv[2]), argv[3]);
    if (argc >= 6 && strcmp(argv[1], "wait") == 0)
        return wait_ports(argv[2], strtoll(argv[3], NULL, 10), strtoll(argv[4], NULL, 10), argc - 5,
                          argv + 5);
    fprintf(stderr, "usage: netprobe serve PORT TEXT | wait HOST T0_NS DEADLINE_MS LO-HI...\n");
    return 2;
}
