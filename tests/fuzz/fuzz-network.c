/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network XML extraction (the network hook's stdin, libvirt's status files). Properties:
 * the GError contract; an accepted network has a name, every <ip> a subnet that holds
 * its own gateway, and every DHCP reservation is found again by its MAC.
 */
#include "fuzz-common.h"
#include "network.h"

static void
check_network(const VfwNetwork *network)
{
    fuzz_require(network->name && *network->name, network->name);
    fuzz_require(vfw_net_mode_to_string(network->mode) != NULL, network->name);
    for (guint i = 0; i < network->ips->len; i++) {
        const VfwNetIp *ip = g_ptr_array_index(network->ips, i);
        fuzz_require(ip->subnet && ip->gateway, network->name);
        fuzz_require(g_inet_address_mask_get_family(ip->subnet) ==
                         g_inet_address_get_family(ip->gateway),
                     network->name);
        fuzz_require(vfw_network_find_subnet(network, ip->gateway) != NULL, network->name);
        for (guint j = 0; j < ip->hosts->len; j++) {
            const VfwDhcpHost *host = g_ptr_array_index(ip->hosts, j);
            fuzz_require(vfw_network_reserved_address(network, host->mac,
                                                      g_inet_address_get_family(host->ip)),
                         host->mac);
        }
    }
}

/**
 * LLVMFuzzerTestOneInput:
 * One input is one network XML document in any of its wrappers.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VfwNetwork) network = NULL;

    fuzz_init();
    network = vfw_network_parse((const char *)data, size, &error);
    fuzz_check_result(network != NULL, error, "network XML");
    if (network)
        check_network(network);
    return 0;
}
