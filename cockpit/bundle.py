#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds the Cockpit package's static files from the source folder and node_modules.

    bundle.py SRCDIR NODE_MODULES OUTDIR

Writes into OUTDIR:
  virt-firewalld.css  PatternFly's base CSS and the components the page uses, then the
                      page's own rules; the fonts and images it references inlined
  po.LANG.js          one per SRCDIR/po/LANG.po, in the form cockpit.locale() takes
Nothing is fetched: PatternFly comes from NODE_MODULES (npm ci, package-lock.json).
"""
import base64
import json
import os
import re
import sys

# PatternFly parts the page uses (components/NAME/FILE.css, layouts/NAME/FILE.css)
PARTS = [
    "components/Page/page.css",
    "components/Card/card.css",
    "components/Title/title.css",
    "components/Content/content.css",
    "components/Table/table.css",
    "components/Table/table-grid.css",
    "components/Button/button.css",
    "components/Label/label.css",
    "components/Form/form.css",
    "components/FormControl/form-control.css",
    "components/HelperText/helper-text.css",
    "components/Alert/alert.css",
    "components/ModalBox/modal-box.css",
    "components/Toolbar/toolbar.css",
    "components/DescriptionList/description-list.css",
    "components/EmptyState/empty-state.css",
    "components/List/list.css",
    "layouts/Flex/flex.css",
    "layouts/Stack/stack.css",
]

URL = re.compile(r'url\("?(\./)?(assets/[^")]+)"?\)')


def css_bundle(pf, own):
    parts = [("patternfly-base.css", os.path.join(pf, "patternfly-base.css"))]
    parts += [(p, os.path.join(pf, p)) for p in PARTS]
    out = ["/* Bundled from @patternfly/patternfly %s (package-lock.json) by bundle.py */\n"
           % json.load(open(os.path.join(pf, "package.json")))["version"]]
    assets = set()
    for name, path in parts:
        text = open(path, encoding="utf-8").read()
        # sources' relative url()s are relative to their own folder; all used ones point
        # into the package's assets/
        def relink(m):
            asset = m.group(2)
            assets.add(asset)
            return 'url("fonts/%s")' % asset[len("assets/"):]
        text = re.sub(r'url\("?(?:\.\./)*(\./)?(assets/[^")]+)"?\)', relink, text)
        out.append("/* %s */\n%s\n" % (name, text))
    out.append("/* virt-firewalld */\n" + open(own, encoding="utf-8").read())
    return "".join(out), assets


def inline_assets(css, pf, assets):
    """The fonts the CSS references, as data: URLs (one file to install); the decorative
    background images (login pages, heroes: the page has none) become 'none'."""
    for asset in sorted(assets):
        ref = 'url("fonts/%s")' % asset[len("assets/"):]
        if not asset.endswith(".woff2"):
            css = css.replace(ref, "none")
            continue
        data = base64.b64encode(open(os.path.join(pf, asset), "rb").read()).decode()
        css = css.replace(ref, 'url("data:font/woff2;base64,%s")' % data)
    return css


def po_entries(path):
    """msgid -> msgstr of a .po file (no plurals, no contexts: the page uses neither)."""
    entries, key, cur, fuzzy = {}, None, {}, False
    def flush():
        if "msgid" in cur and cur["msgid"] and cur.get("msgstr") and not fuzzy:
            entries[cur["msgid"]] = cur["msgstr"]
    for raw in open(path, encoding="utf-8"):
        line = raw.strip()
        if not line:
            flush()
            cur, key, fuzzy = {}, None, False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgstr ")):
            key, rest = line.split(" ", 1)
            cur[key] = json.loads(rest)
        elif line.startswith('"') and key:
            cur[key] += json.loads(line)
        else:
            raise SystemExit("%s: cannot read line: %s" % (path, line))
    flush()
    return entries


def po_js(lang, entries):
    head = {"language": lang, "language-direction": "ltr"}
    body = json.dumps(head, ensure_ascii=False)[:-1] + ', "plural-forms": function(n) { return n != 1; }}'
    items = ",\n".join("%s: [null, %s]" % (json.dumps(k, ensure_ascii=False),
                                          json.dumps(v, ensure_ascii=False))
                       for k, v in sorted(entries.items()))
    return "cockpit.locale({\"\": %s,\n%s});\n" % (body, items)


def main():
    if len(sys.argv) != 4:
        raise SystemExit("usage: bundle.py SRCDIR NODE_MODULES OUTDIR")
    src, modules, outdir = sys.argv[1:]
    pf = os.path.join(modules, "@patternfly", "patternfly")
    if not os.path.isfile(os.path.join(pf, "patternfly-base.css")):
        raise SystemExit("bundle.py: no PatternFly in %s: run 'npm ci' in %s" % (modules, src))
    os.makedirs(outdir, exist_ok=True)
    css, assets = css_bundle(pf, os.path.join(src, "virt-firewalld.css"))
    with open(os.path.join(outdir, "virt-firewalld.css"), "w", encoding="utf-8") as f:
        f.write(inline_assets(css, pf, assets))
    podir = os.path.join(src, "po")
    for name in sorted(os.listdir(podir)):
        if name.endswith(".po"):
            lang = name[:-3]
            with open(os.path.join(outdir, "po.%s.js" % lang), "w", encoding="utf-8") as f:
                f.write(po_js(lang, po_entries(os.path.join(podir, name))))


if __name__ == "__main__":
    main()
