#!/bin/bash
# Runs inside the sandbox (see demo.sh); sandbox.sh is sourced. Prints what an admin
# would look at.
set -u
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" 2>&1 | sed 's/^/  /'; }

sb_start_all || { echo "stack did not start"; exit 1; }
say "firewalld $(firewall-cmd --version) and libvirt $(libvirtd --version | awk '{print $NF}') run in the sandbox"
show ls -l /etc/libvirt/hooks/qemu.d/ /etc/libvirt/hooks/network.d/
show ls /usr/lib/firewalld/policies/

say "a routed libvirt network; the DHCP reservation gives web01 192.168.122.10"
sb_net demo route virbr0 192.168.122 --host 52:54:00:12:34:56=10 >/dev/null
show virsh -q -c qemu:///system net-list
sb_fake_guest web01 virbr0 52:54:00:12:34:56 192.168.122.10/24 192.168.122.1 >/dev/null
echo "  (a fake guest namespace holds 192.168.122.10 and answers 'hello-from-web01' on port 80)"

say "declare a published port (Ansible would template this file)"
mkdir -p /etc/virt-firewalld/forwards.d
printf '[web01]\nforward = 8080:80/tcp\n' >/etc/virt-firewalld/forwards.d/web01.conf
show cat /etc/virt-firewalld/forwards.d/web01.conf

say "libvirt starts web01 and runs our qemu hook"
sb_domain_create web01 demo 52:54:00:12:34:56
show virsh -q -c qemu:///system list
show firewall-cmd --info-policy=virtfw-pub
show firewall-cmd --permanent --policy=virtfw-pub --list-forward-ports
echo "  (virtfw-pub's egress zone virtfw-local is bound to the set of this host's addresses:)"
show firewall-cmd --info-ipset=virtfw-local

say "a LAN client (198.51.100.2) connects to the host's 198.51.100.1:8080"
echo "  answer: $(sb_probe_lan tcp 8080)"
say "only connections to the host's addresses are caught, as with docker -p"
sb_guest_serve lan tcp 8080 hello-from-the-LAN-server >/dev/null
echo "  the host -> the LAN server 198.51.100.2:8080: $(sb_probe_host tcp 8080 198.51.100.2)"
echo "  web01 -> the LAN server 198.51.100.2:8080:    $(sb_probe_from web01 tcp 198.51.100.2 8080)"
sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true
echo "  web01 -> its own published port via 198.51.100.1:8080 (hairpin): $(sb_probe_from web01 tcp 198.51.100.1 8080)"
say "what the operator sees"
show virt-firewalld status
say "firewall-cmd --reload drops runtime rules; ours are permanent too"
firewall-cmd -q --reload
echo "  answer after reload: $(sb_probe_lan tcp 8080)"

say "libvirt stops web01: exactly what was added is removed"
sb_domain_destroy web01
show firewall-cmd --policy=virtfw-pub --list-forward-ports
echo "  answer now: '$(sb_probe_lan tcp 8080 2>/dev/null)' (nothing: the port is closed)"
