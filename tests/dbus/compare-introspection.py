#!/usr/bin/env python3
"""Compare our hand-written firewalld D-Bus subset with live introspection.

Usage: compare-introspection.py OURS.xml LIVE.xml [LIVE.xml...]
Prints one line per method, signal and property of OURS, "ok<TAB>WHAT" when an
interface of the same name in one of the LIVE documents has the same member with the
same argument directions and types (for properties: type and access), else
"not ok<TAB>WHAT<TAB>what the live daemon has". The caller turns them into TAP.
"""
import sys
import xml.etree.ElementTree as ET


def members(root):
    found = {}
    for iface in root.iter('interface'):
        for m in iface:
            if m.tag not in ('method', 'signal', 'property'):
                continue
            if m.tag == 'property':
                sig = ('property', m.get('type'), m.get('access'))
            else:
                sig = (m.tag, tuple((a.get('direction', 'out' if m.tag == 'signal' else 'in'),
                                     a.get('type')) for a in m.findall('arg')))
            found[(iface.get('name'), m.get('name'))] = sig
    return found


def main():
    ours = members(ET.parse(sys.argv[1]).getroot())
    live = {}
    for path in sys.argv[2:]:
        live.update(members(ET.parse(path).getroot()))
    for key, sig in sorted(ours.items()):
        desc = '%s.%s %s' % (key[0], key[1], sig)
        if live.get(key) == sig:
            print('ok\t%s' % desc)
        else:
            print('not ok\t%s\tlive firewalld has: %s' % (desc, live.get(key)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
