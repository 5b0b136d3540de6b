#!/usr/bin/env python3
# bench/compare.py RESULTS_A NAME_A RESULTS_B NAME_B OUT.md
#
# The two stacks side by side: what each bench/run wrote (results.md, meta.tsv) on this
# machine's stack (bench/results) and on Debian 13's (bench/results/trixie, from
# 'bash tests/stacks/trixie.sh --bench'). Takes the targets table, the reload table and
# the D-Bus profile rows of the per-write calls from each results.md as they are.
import os
import re
import sys


def meta(d):
    out = {}
    path = os.path.join(d, "meta.tsv")
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.rstrip("\n").partition("\t")
            out[k] = v
    return out


def table_rows(text, heading_re, first_cell_re):
    """Rows (lists of cells) of the first table after a heading matching heading_re."""
    m = re.search(heading_re, text, re.M)
    if not m:
        return []
    rows = []
    started = False
    for line in text[m.end():].splitlines():
        if line.startswith("|"):
            started = True
            cells = [c.strip() for c in line.strip("|").split("|")]
            if re.match(first_cell_re, cells[0]):
                rows.append(cells)
        elif started:
            break
    return rows


def load(d):
    path = os.path.join(d, "results.md")
    text = open(path).read() if os.path.exists(path) else ""
    return {
        "meta": meta(d),
        "targets": table_rows(text, r"^## Targets", r"^(?!target$|---)"),
        "reload": table_rows(text, r"^## 2\. Reload survival", r"^\d"),
        "dbus": table_rows(text, r"^\*\*D-Bus calls of one prepare", r"^(setPolicySettings|update|getPolicySettings|getSettings)$"),
    }


def side_by_side(w, head, a_head, b_head, a_rows, b_rows, last, cell):
    """Appends a table to w: one line per row of a_rows (first column: its key), then cell()
    of that row and of b_rows' row with the same key; '-' where that row is missing or has
    no column last."""
    w.append(f"| {head} | {a_head} | {b_head} |\n|---|---|---|")
    b_by_key = {r[0]: r for r in b_rows}
    for r in a_rows:
        other = b_by_key.get(r[0])
        cells = [cell(x) if x and len(x) > last else "-" for x in (r, other)]
        w.append(f"| {r[0]} | {cells[0]} | {cells[1]} |")
    w.append("")


def main():
    a_dir, a_name, b_dir, b_name, out = sys.argv[1:6]
    a, b = load(a_dir), load(b_dir)
    w = []
    w.append("# virt-firewalld benchmark: the two stacks side by side\n")
    w.append(f"Written by `bench/compare.py` from `{a_dir}` ({a_name}) and `{b_dir}` ({b_name}); "
             "each is one run of `bench/run` on this machine (the second inside the Debian 13 "
             "root of `tests/stacks/trixie.sh --bench`). Compare ratios more than absolute "
             "times: the runs were at different moments of a shared machine.\n")
    w.append(f"| | {a_name} | {b_name} |\n|---|---|---|")
    for key, label in (("firewalld", "firewalld"), ("libvirt", "libvirt"), ("glib", "GLib"),
                       ("date", "run"), ("load_start", "load at the start")):
        w.append(f"| {label} | {a['meta'].get(key, '?')} | {b['meta'].get(key, '?')} |")
    w.append("")
    w.append("## Targets\n")
    side_by_side(w, "target", a_name, b_name, a["targets"], b["targets"], 2,
                 lambda r: f"{r[1]}: {r[2]}")
    w.append("## One write's cost: the D-Bus calls of one prepare (1 forward, 1,000 present), ms\n")
    w.append("Every policy write makes firewalld re-check its whole configuration "
             "(`full_check_config`): this is the per-write cost on each firewalld.\n")
    side_by_side(w, "call", f"{a_name} (ours)", f"{b_name} (ours)", a["dbus"], b["dbus"], 1,
                 lambda r: r[1])
    w.append("## Reload survival (ms): `firewall-cmd --reload` returns / all live after it\n")
    side_by_side(w, "forwards", a_name, b_name, a["reload"], b["reload"], 2,
                 lambda r: f"{r[1]} / {r[2]}")
    with open(out, "w") as f:
        f.write("\n".join(w) + "\n")


if __name__ == "__main__":
    main()
