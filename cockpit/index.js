/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virt-firewalld's Cockpit page: every guest's published ports with their live state,
 * the guest networks, doctor's findings; a form that publishes a port (forward add) and
 * buttons that take one out (forward remove) or convert a nat network.
 *
 * Everything goes through the CLI, as root (cockpit.spawn with superuser "require"): the
 * page shows what `virt-firewalld status --json` and `doctor` say, and the CLI's own
 * error messages. It polls every few seconds, so a firewalld reload or a guest that
 * starts or stops shows up without a click.
 */
"use strict";

(function () {
    const _ = cockpit.gettext;
    const POLL_MS = 5000;
    const DOCTOR_EVERY = 6; /* polls between two doctor runs (it asks more of firewalld) */

    let status = null;
    let statusError = null;
    let doctor = null;
    let doctorError = null;
    let polls = 0;
    let pollTimer = null;
    let pending = false; /* a poll is under way */
    let current = Promise.resolve(); /* that poll */
    let again = false; /* poll once more when it ends */
    let dirty = false; /* an action ended; the page shows what it changed only after the next poll */
    let busy = false; /* an action is under way: actions and polls do not overlap */
    let admin = null; /* cockpit.permission({ admin: true }): allowed is true, false or null */
    let lastUpdate = null;
    let notice = null; /* { kind: "success"|"warning"|"danger", title, lines } */
    const rowErrors = new Map(); /* "guest\0spec" or "net\0name" -> message */

    function noAdmin() {
        return admin !== null && admin.allowed === false;
    }

    /* ---- small DOM helpers ------------------------------------------------------- */

    function h(tag, attrs, ...children) {
        const el = document.createElement(tag);
        for (const [key, value] of Object.entries(attrs || {})) {
            if (value === null || value === undefined || value === false)
                continue;
            if (key === "class")
                el.className = value;
            else if (key.startsWith("on"))
                el.addEventListener(key.slice(2), value);
            else if (key === "text")
                el.textContent = value;
            else
                el.setAttribute(key, value === true ? "" : value);
        }
        for (const child of children.flat()) {
            if (child === null || child === undefined || child === false)
                continue;
            el.append(child instanceof Node ? child : document.createTextNode(String(child)));
        }
        return el;
    }

    function button(text, kind, onclick, attrs) {
        return h("button", Object.assign({ type: "button", class: "pf-v6-c-button pf-m-" + kind, onclick }, attrs),
                 h("span", { class: "pf-v6-c-button__text" }, text));
    }

    function label(text, color) {
        return h("span", { class: "pf-v6-c-label pf-m-compact pf-m-" + color },
                 h("span", { class: "pf-v6-c-label__content" },
                   h("span", { class: "pf-v6-c-label__text" }, text)));
    }

    function alert(kind, title, lines, attrs) {
        return h("div", Object.assign({ class: "pf-v6-c-alert pf-m-inline pf-m-" + kind }, attrs),
                 h("p", { class: "pf-v6-c-alert__title" },
                   h("span", { class: "pf-v6-screen-reader" }, kind + ": "), title),
                 lines && lines.length
                     ? h("div", { class: "pf-v6-c-alert__description" }, lines.map(l => h("p", {}, l)))
                     : null);
    }

    function card(id, title, ...body) {
        return h("section", { class: "pf-v6-c-card", id, "aria-labelledby": id + "-title" },
                 h("div", { class: "pf-v6-c-card__header" },
                   h("div", { class: "pf-v6-c-card__title" },
                     h("h2", { class: "pf-v6-c-card__title-text", id: id + "-title" }, title))),
                 h("div", { class: "pf-v6-c-card__body" }, ...body));
    }

    function table(id, caption, headers, rows) {
        return h("table", { class: "pf-v6-c-table pf-m-compact pf-m-grid-md", id, role: "grid" },
                 h("caption", { class: "pf-v6-screen-reader" }, caption),
                 h("thead", { class: "pf-v6-c-table__thead" },
                   h("tr", { class: "pf-v6-c-table__tr" },
                     headers.map(t => h("th", { class: "pf-v6-c-table__th", scope: "col" }, t)))),
                 h("tbody", { class: "pf-v6-c-table__tbody" }, rows.map(cells =>
                     h("tr", { class: "pf-v6-c-table__tr", "data-row": cells.key },
                       cells.values.map((c, i) => h("td", { class: "pf-v6-c-table__td", "data-label": headers[i] }, c))))));
    }

    function empty(text) {
        return h("p", { class: "vfw-muted" }, text);
    }

    /* ---- the CLI ------------------------------------------------------------------ */

    /* Runs `virt-firewalld ARGS...` as root and resolves with { rc, out, err }: its exit
     * status, stdout and stderr. A shell wrapper hands all three over on stdout (stderr
     * after a marker line), so this does not depend on how a Cockpit version passes output
     * and messages along with a process that failed or succeeded. */
    /* cockpit.spawn as a native Promise: older Cockpit versions return their own
     * deferred, whose then() lets an exception thrown in a handler escape instead of
     * rejecting */
    function spawn(argv) {
        return new Promise((resolve, reject) => {
            cockpit.spawn(argv, { superuser: "require", err: "message", environ: ["LC_ALL=C.UTF-8"] })
                    .then(resolve, reject);
        });
    }

    const MARK = "\n\x1evfw-exit=";
    function run(args) {
        const script = 'e=$(mktemp) || exit 1; virt-firewalld "$@" 2>"$e"; rc=$?; ' +
            'printf "\\n\\036vfw-exit=%s\\n" "$rc"; cat "$e"; rm -f "$e"; exit 0';
        return spawn(["/bin/sh", "-c", script, "sh", ...args]).then(text => {
            const at = text.lastIndexOf(MARK);
            if (at < 0)
                throw new Error(_("virt-firewalld did not finish"));
            const rest = text.slice(at + MARK.length);
            const nl = rest.indexOf("\n");
            return { rc: Number(rest.slice(0, nl)), out: text.slice(0, at), err: rest.slice(nl + 1) };
        }, ex => { throw new Error(cliMessage(ex.message || String(ex))) });
    }

    /* stdout of a command that succeeded; with okOne also of exit status 1 (status and
     * doctor: "something is missing or wrong", stdout holds the full answer). Rejects with
     * the CLI's own message. */
    function vfw(args, okOne) {
        return run(args).then(r => {
            if (r.rc === 0 || (okOne && r.rc === 1))
                return r.out;
            throw new Error(cliMessage(r.err) || _("virt-firewalld failed"));
        });
    }

    /* an action: resolves with its warnings, rejects with the CLI's own message */
    function vfwWithWarnings(args) {
        return run(args).then(r => {
            const text = cliMessage(r.err);
            if (r.rc !== 0)
                throw new Error(text || _("virt-firewalld failed"));
            return text.split("\n").filter(l => l.startsWith("warning: "))
                    .map(l => l.slice("warning: ".length));
        });
    }

    /* stderr without the program name and the usage hint */
    function cliMessage(text) {
        return text.split("\n")
                .map(l => l.replace(/^virt-firewalld: /, ""))
                .filter(l => l.trim() !== "" && !l.startsWith("Try 'virt-firewalld"))
                .join("\n");
    }

    /* ---- doctor's text output ------------------------------------------------------ */

    /* doctor prints sections ("firewalld:"), verdicts ("  ok   WHAT: DETAIL" and
     * "  FAIL WHAT: DETAIL"), each optionally followed by "       fix: COMMAND", and
     * "  info ..." lines. */
    function parseDoctor(text) {
        const out = { failed: [], ok: 0, info: [], clean: /no problems found/.test(text) };
        let section = "";
        let last = null;
        for (const line of text.split("\n")) {
            let m;
            if (/^\S.*:$/.test(line)) {
                section = line.slice(0, -1);
            } else if ((m = line.match(/^ {2}(ok|FAIL) +(.*)$/))) {
                last = { section, text: m[2], fixes: [] };
                if (m[1] === "FAIL")
                    out.failed.push(last);
                else
                    out.ok++;
            } else if ((m = line.match(/^ +fix: (.*)$/)) && last) {
                last.fixes.push(m[1]);
            } else if ((m = line.match(/^ {2}info (.*)$/))) {
                out.info.push(section ? section + ": " + m[1] : m[1]);
            }
        }
        return out;
    }

    /* ---- rendering ------------------------------------------------------------------ */

    function stateLabel(state) {
        if (state === "ok")
            return label(_("ok"), "green");
        if (state === "missing")
            return label(_("missing"), "red");
        return label(state.startsWith("stale") ? _("stale") + state.slice(5) : state, "orange");
    }

    function yesNo(value) {
        return value ? _("yes") : _("no");
    }

    function renderForwards() {
        if (statusError)
            return alert("danger", _("virt-firewalld status failed"), [statusError]);
        if (!status)
            return empty(_("Loading..."));
        if (status.forwards.length === 0)
            return empty(_("No published ports. Publish one below."));
        return table("vfw-forwards", _("Published ports"),
                     [_("Guest"), _("Protocol"), _("Host"), _("Guest address"), _("Runtime"),
                         _("Permanent"), _("State")],
                     status.forwards.map(f => ({
                         key: f.guest + " " + f.protocol + " " + f.host + " " + f.guest_address,
                         values: [f.guest, f.protocol, h("span", { class: "vfw-mono" }, f.host),
                             h("span", { class: "vfw-mono" }, f.guest_address),
                             yesNo(f.runtime), yesNo(f.permanent), stateLabel(f.state)],
                     })));
    }

    function interfaceText(i) {
        const parts = [i.network || _("(not a libvirt network)")];
        if (i.mode)
            parts.push("(" + i.mode + ")");
        const addrs = i.addresses.map(a => a.address);
        if (addrs.length)
            parts.push(addrs.join(", "));
        else if (i.subnets.length)
            parts.push(i.subnets.join(", "));
        return parts.join(" ");
    }

    function renderGuests() {
        if (!status)
            return empty(statusError ? "" : _("Loading..."));
        const guests = status.guests || [];
        if (guests.length === 0)
            return empty(_("libvirt knows no guests."));
        const rows = [];
        for (const g of guests) {
            const declared = g.declared.length
                ? h("ul", { class: "pf-v6-c-list pf-m-plain" }, g.declared.map(d => {
                    const key = g.name + "\0" + d.spec;
                    const err = rowErrors.get(key);
                    return h("li", { "data-spec": d.spec },
                             h("span", { class: "vfw-mono" }, d.spec),
                             d.address ? " -> " + d.address : "", " ",
                             d.origin === "metadata"
                                 ? button(_("Remove"), "link pf-m-inline pf-m-danger", () => removeForward(g.name, d.spec),
                                          { "aria-label": cockpit.format(_("Remove forward $0 of $1"), d.spec, g.name), disabled: busy || noAdmin() })
                                 : h("span", { class: "vfw-muted" }, cockpit.format(_("(declared in $0)"), d.origin)),
                             err ? h("div", { class: "pf-v6-c-helper-text" },
                                     h("div", { class: "pf-v6-c-helper-text__item pf-m-error", role: "alert" },
                                       h("span", { class: "pf-v6-c-helper-text__item-text" }, err)))
                                 : null);
                }))
                : empty(_("none"));
            rows.push({
                key: g.name,
                values: [g.name, g.running ? label(_("running"), "green") : label(_("shut off"), "grey"),
                    h("div", {}, g.interfaces.map(i => h("div", {}, interfaceText(i)))),
                    declared,
                    g.problems.length ? h("div", {}, g.problems.map(p => h("div", { class: "pf-v6-c-helper-text__item pf-m-warning" }, p))) : ""],
            });
        }
        return table("vfw-guests", _("Guests"), [_("Guest"), _("State"), _("Networks"), _("Forwards"), _("Problems")], rows);
    }

    function renderNetworks() {
        if (!status)
            return empty(statusError ? "" : _("Loading..."));
        if (status.bridges.length === 0)
            return empty(_("No active libvirt network with a bridge."));
        return table("vfw-networks", _("Networks"), [_("Network"), _("Mode"), _("Bridge"), _("Zone"), ""],
                     status.bridges.map(b => {
                         const err = rowErrors.get("net\0" + b.network);
                         let action = "";
                         if (b.mode === "nat")
                             action = button(_("Convert..."), "secondary", () => confirmNetwork("convert", b),
                                             { "aria-label": cockpit.format(_("Convert network $0 to firewalld"), b.network), disabled: busy || noAdmin() });
                         else if (b.converted)
                             action = button(_("Revert..."), "secondary", () => confirmNetwork("revert", b),
                                             { "aria-label": cockpit.format(_("Revert network $0 to libvirt's nat"), b.network), disabled: busy || noAdmin() });
                         return {
                             key: b.network,
                             values: [b.network, b.mode, b.bridge, b.zone, h("div", {}, action,
                                                                            err ? alert("danger", err) : null)],
                         };
                     }));
    }

    function renderDoctor() {
        if (doctorError)
            return alert("danger", _("virt-firewalld doctor failed"), [doctorError]);
        if (!doctor)
            return empty(_("Running checks..."));
        const parts = [];
        if (doctor.failed.length === 0)
            parts.push(alert("success", cockpit.format(_("No problems found ($0 checks passed)"), doctor.ok)));
        for (const f of doctor.failed) {
            parts.push(h("div", { class: "pf-v6-c-alert pf-m-inline pf-m-warning vfw-finding" },
                         h("p", { class: "pf-v6-c-alert__title" }, f.text),
                         h("div", { class: "pf-v6-c-alert__description" },
                           f.section ? h("p", { class: "vfw-muted" }, f.section) : null,
                           f.fixes.map(x => h("p", { class: "vfw-fix" }, _("Fix:") + " " + x)))));
        }
        if (doctor.info.length)
            parts.push(h("details", {}, h("summary", {}, cockpit.format(_("$0 notes"), doctor.info.length)),
                         h("ul", { class: "pf-v6-c-list" }, doctor.info.map(i => h("li", {}, i)))));
        parts.push(h("div", { class: "vfw-actions" },
                     button(_("Check again"), "secondary", () => runDoctor(true), { disabled: busy })));
        return h("div", {}, parts);
    }

    function replace(id, node) {
        const el = document.getElementById(id);
        if (el)
            el.replaceChildren(node);
    }

    function renderAll() {
        replace("vfw-forwards-body", renderForwards());
        replace("vfw-guests-body", renderGuests());
        replace("vfw-networks-body", renderNetworks());
        replace("vfw-doctor-body", renderDoctor());
        replace("vfw-notice", notice ? alert(notice.kind, notice.title, notice.lines) : "");
        replace("vfw-updated", lastUpdate
            ? cockpit.format(_("Updated $0"), lastUpdate.toLocaleTimeString())
            : "");
        replace("vfw-admin", noAdmin()
            ? alert("warning", _("Administrative access is required to see and change published ports."),
                    [_("Switch to administrative access in Cockpit's top bar.")])
            : "");
        updateForm();
        document.getElementById("vfw-app").setAttribute("aria-busy", busy || dirty || !status ? "true" : "false");
    }

    /* ---- the form ------------------------------------------------------------------ */

    /* the help under each field of the form, when it shows no error */
    const FIELD_HELP = {
        "vfw-address": _("Its DHCP reservation or lease, unless you choose one."),
        "vfw-spec": _("As docker -p: [HOSTADDR:]HOSTPORT[:GUESTPORT][/tcp|udp|sctp]"),
    };

    function formGroup(id, text, control, helper) {
        return h("div", { class: "pf-v6-c-form__group" },
                 h("div", { class: "pf-v6-c-form__group-label" },
                   h("label", { class: "pf-v6-c-form__label", for: id },
                     h("span", { class: "pf-v6-c-form__label-text" }, text))),
                 h("div", { class: "pf-v6-c-form__group-control" }, control,
                   h("div", { class: "pf-v6-c-form__helper-text", id: id + "-helper", "aria-live": "polite" }, helper)));
    }

    function helperText(text, kind) {
        return h("div", { class: "pf-v6-c-helper-text" },
                 h("div", { class: "pf-v6-c-helper-text__item" + (kind ? " pf-m-" + kind : "") },
                   h("span", { class: "pf-v6-c-helper-text__item-text" }, text)));
    }

    function buildForm() {
        const guest = h("select", { id: "vfw-guest", name: "guest", "aria-describedby": "vfw-guest-helper", onchange: () => updateAddresses() });
        const address = h("select", { id: "vfw-address", name: "address", "aria-describedby": "vfw-address-helper" });
        const spec = h("input", {
            id: "vfw-spec", name: "spec", type: "text", required: true, autocomplete: "off", spellcheck: "false",
            placeholder: "8080:80/tcp", "aria-describedby": "vfw-spec-helper",
            oninput: () => setFieldError("vfw-spec", null),
        });
        const form = h("form", { class: "pf-v6-c-form", id: "vfw-add-form", novalidate: true, onsubmit: ev => { ev.preventDefault(); addForward() } },
                       h("div", { class: "vfw-form-row" },
                         formGroup("vfw-guest", _("Guest"), h("span", { class: "pf-v6-c-form-control" }, guest), null),
                         formGroup("vfw-address", _("Guest address"), h("span", { class: "pf-v6-c-form-control" }, address),
                                   helperText(FIELD_HELP["vfw-address"])),
                         formGroup("vfw-spec", _("Port"), h("span", { class: "pf-v6-c-form-control", id: "vfw-spec-control" }, spec),
                                   helperText(FIELD_HELP["vfw-spec"]))),
                       h("div", { class: "pf-v6-c-form__group pf-m-action" },
                         h("div", { class: "pf-v6-c-form__actions" },
                           h("button", { type: "submit", class: "pf-v6-c-button pf-m-primary", id: "vfw-add" },
                             h("span", { class: "pf-v6-c-button__text" }, _("Publish"))))));
        return form;
    }

    function setFieldError(id, message, fallbackHelp) {
        const helper = document.getElementById(id + "-helper");
        const input = document.getElementById(id);
        const control = input && input.parentElement;
        if (!helper || !input)
            return;
        if (message) {
            input.setAttribute("aria-invalid", "true");
            control.classList.add("pf-m-error");
            helper.replaceChildren(h("div", { class: "pf-v6-c-helper-text" },
                                     h("div", { class: "pf-v6-c-helper-text__item pf-m-error", role: "alert" },
                                       h("span", { class: "pf-v6-c-helper-text__item-text" }, message))));
        } else {
            input.removeAttribute("aria-invalid");
            control.classList.remove("pf-m-error");
            helper.replaceChildren(FIELD_HELP[id] ? helperText(FIELD_HELP[id]) : "");
        }
    }

    function setOptions(select, options) {
        const keep = select.value;
        const same = select.options.length === options.length &&
            options.every((o, i) => select.options[i].value === o.value && select.options[i].textContent === o.text);
        if (same)
            return;
        select.replaceChildren(...options.map(o => h("option", { value: o.value }, o.text)));
        if (options.some(o => o.value === keep))
            select.value = keep;
    }

    function currentGuest() {
        const name = document.getElementById("vfw-guest").value;
        return ((status && status.guests) || []).find(g => g.name === name);
    }

    function updateAddresses() {
        const g = currentGuest();
        const options = [{ value: "", text: _("Default") }];
        for (const i of (g ? g.interfaces : [])) {
            for (const a of i.addresses) {
                const how = a.from === "lease" ? _("lease") : _("reservation");
                options.push({ value: a.address, text: cockpit.format("$0 - $1 ($2), $3", a.address, i.network, i.mode || "?", how) });
            }
        }
        setOptions(document.getElementById("vfw-address"), options);
        const nets = g ? g.interfaces.filter(i => i.network).map(interfaceText) : [];
        const helper = document.getElementById("vfw-guest-helper");
        helper.replaceChildren(nets.length ? helperText(cockpit.format(_("On $0"), nets.join("; "))) : "");
    }

    function updateForm() {
        const guests = (status && status.guests) || [];
        setOptions(document.getElementById("vfw-guest"),
                   guests.map(g => ({ value: g.name, text: g.running ? g.name : cockpit.format(_("$0 (shut off)"), g.name) })));
        updateAddresses();
        document.getElementById("vfw-add").disabled = busy || guests.length === 0 || noAdmin();
    }

    /* ---- actions ------------------------------------------------------------------- */

    function withBusy(promise) {
        busy = true;
        renderAll();
        return promise.finally(() => {
            busy = false;
            dirty = true;
            return refresh(true);
        });
    }

    function addForward() {
        const guest = document.getElementById("vfw-guest").value;
        const address = document.getElementById("vfw-address").value;
        const spec = document.getElementById("vfw-spec").value.trim();
        setFieldError("vfw-spec", null);
        setFieldError("vfw-address", null);
        if (!guest)
            return;
        if (!spec) {
            setFieldError("vfw-spec", _("Enter the port to publish, such as 8080:80/tcp."));
            document.getElementById("vfw-spec").focus();
            return;
        }
        const args = ["forward", "add", guest, spec];
        if (address)
            args.push("--address", address);
        notice = null;
        withBusy(vfwWithWarnings(args).then(warnings => {
            const g = currentGuest();
            notice = {
                kind: warnings.length ? "warning" : "success",
                title: g && g.running
                    ? cockpit.format(_("Published $0 for $1"), spec, guest)
                    : cockpit.format(_("Declared $0 for $1: it is published when the guest starts"), spec, guest),
                lines: warnings,
            };
            document.getElementById("vfw-spec").value = "";
        }, ex => {
            /* the CLI's message names what is wrong: an address outside the guest's
             * networks belongs to the address field, everything else to the port */
            const field = /address '[^']*' is not inside|--address/.test(ex.message) ? "vfw-address" : "vfw-spec";
            setFieldError(field, ex.message);
            document.getElementById(field).focus();
        }));
    }

    function removeForward(guest, spec) {
        const key = guest + "\0" + spec;
        rowErrors.delete(key);
        notice = null;
        withBusy(vfwWithWarnings(["forward", "remove", guest, spec]).then(warnings => {
            notice = { kind: warnings.length ? "warning" : "success", title: cockpit.format(_("Removed $0 of $1"), spec, guest), lines: warnings };
        }, ex => {
            rowErrors.set(key, ex.message);
        }));
    }

    /* Convert or revert, after a dialog that says what changes (and shows the definition
     * the network gets, from --dry-run). */
    function confirmNetwork(action, bridge) {
        const name = bridge.network;
        const convert = action === "convert";
        const restart = h("input", { type: "checkbox", class: "pf-v6-c-check__input", id: "vfw-restart", checked: true });
        const xml = h("pre", { class: "vfw-mono", id: "vfw-dry-run" }, _("Loading..."));
        const error = h("div", { id: "vfw-dialog-error" });
        const confirm = button(convert ? _("Convert") : _("Revert"), convert ? "primary" : "danger", () => {
            confirm.disabled = true;
            const args = ["network", action, name];
            if (restart.checked)
                args.push("--restart");
            /* busy until the page shows the outcome (withBusy refreshes everything) */
            withBusy(vfwWithWarnings(args).then(warnings => {
                notice = {
                    kind: warnings.length ? "warning" : "success",
                    title: convert ? cockpit.format(_("Network $0 is now under firewalld"), name)
                        : cockpit.format(_("Network $0 is libvirt's nat network again"), name),
                    lines: warnings,
                };
                dialog.close();
            }, ex => {
                confirm.disabled = false;
                error.replaceChildren(alert("danger", ex.message));
            }));
        }, { id: "vfw-dialog-confirm" });
        const changes = convert
            ? [cockpit.format(_("libvirt stops writing firewall rules for $0; its bridge $1 goes into firewalld's zone virtfw, where guests reach DHCP and DNS on the host and nothing else."), name, bridge.bridge),
                _("firewalld's policy virtfw-nat masquerades the guests' traffic behind the host's address, as libvirt did."),
                _("Published ports of the guests on it start to work."),
                _("The original definition is kept: Revert brings it back.")]
            : [cockpit.format(_("$0 gets back its original nat definition: libvirt writes its own firewall rules for it again."), name),
                _("Published ports of the guests on it stop working: libvirt rejects inbound connections to nat networks.")];
        const dialog = h("dialog", { class: "vfw-dialog", "aria-labelledby": "vfw-dialog-title", id: "vfw-dialog" },
                         h("div", { class: "pf-v6-c-modal-box", role: "document" },
                           h("header", { class: "pf-v6-c-modal-box__header" },
                             h("h1", { class: "pf-v6-c-modal-box__title", id: "vfw-dialog-title" },
                               convert ? cockpit.format(_("Convert network $0 to firewalld?"), name)
                                   : cockpit.format(_("Revert network $0 to libvirt's nat?"), name))),
                           h("div", { class: "pf-v6-c-modal-box__body" },
                             h("ul", { class: "pf-v6-c-list" }, changes.map(c => h("li", {}, c))),
                             h("div", { class: "pf-v6-c-check" },
                               restart,
                               h("label", { class: "pf-v6-c-check__label", for: "vfw-restart" },
                                 _("Restart the network now (its guests lose connectivity for a moment)"))),
                             h("details", {}, h("summary", {}, _("The definition it gets")), xml),
                             error),
                           h("footer", { class: "pf-v6-c-modal-box__footer" },
                             confirm, button(_("Cancel"), "link", () => dialog.close(), { id: "vfw-dialog-cancel" }))));
        dialog.addEventListener("close", () => {
            dialog.remove();
            const again = document.querySelector('[data-row="' + CSS.escape(name) + '"] button');
            if (again)
                again.focus();
        });
        document.body.append(dialog);
        dialog.showModal();
        vfw(["network", action, name, "--dry-run"]).then(out => { xml.textContent = out }, ex => { xml.textContent = ex.message });
    }

    /* ---- polling ------------------------------------------------------------------- */

    function runDoctor(now) {
        if (now) {
            doctor = null;
            renderAll();
        }
        return vfw(["doctor"], true).then(out => {
            doctor = parseDoctor(out);
            doctorError = null;
        }, ex => {
            doctorError = ex.message;
        }).then(renderAll);
    }

    function refresh(withDoctor) {
        if (pending) {
            again = true; /* right after the poll under way, which may predate a change */
            return current;
        }
        pending = true;
        const clears = dirty;
        clearTimeout(pollTimer);
        const jobs = [vfw(["status", "--json"], true).then(out => {
            status = JSON.parse(out);
            statusError = null;
            lastUpdate = new Date();
        }, ex => {
            statusError = ex.message;
        })];
        if (withDoctor || polls % DOCTOR_EVERY === 0)
            jobs.push(runDoctor(false));
        polls++;
        current = Promise.all(jobs).finally(() => {
            pending = false;
            if (clears)
                dirty = false;
            if (again) {
                again = false;
                return refresh(true);
            }
            renderAll();
            pollTimer = setTimeout(() => { if (!busy) refresh(false) }, POLL_MS);
        });
        return current;
    }

    function init() {
        const app = document.getElementById("vfw-app");
        app.replaceChildren(
            h("div", { class: "vfw-header" },
              h("h1", { class: "pf-v6-c-title pf-m-2xl" }, _("Published ports")),
              h("span", { class: "vfw-muted", id: "vfw-updated", "aria-live": "off" })),
            h("p", { class: "vfw-muted" },
              _("Guests' ports published through firewalld by virt-firewalld: they answer on the host's addresses, survive firewalld reloads and follow the guests as they start and stop.")),
            h("div", { id: "vfw-admin" }),
            h("div", { id: "vfw-notice", "aria-live": "polite" }),
            card("vfw-card-forwards", _("Published ports"), h("div", { id: "vfw-forwards-body" })),
            card("vfw-card-add", _("Publish a port"), buildForm()),
            card("vfw-card-guests", _("Guests"), h("div", { id: "vfw-guests-body" })),
            card("vfw-card-networks", _("Networks"), h("div", { id: "vfw-networks-body" })),
            card("vfw-card-doctor", _("Checks"), h("div", { id: "vfw-doctor-body" })));
        admin = cockpit.permission({ admin: true });
        admin.addEventListener("changed", () => { renderAll(); if (admin.allowed) refresh(true) });
        Object.defineProperty(window, "vfwPage", { value: { refresh } });
        renderAll();
        refresh(true);
    }

    document.title = _("Published ports");
    cockpit.translate();
    init();
}());
