// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Drives Debian's chromium (headless, through playwright-core from cockpit/node_modules)
// for test-cockpit.sh: reads one JSON command per line on stdin, answers one JSON line
// on stdout ({"ok": true, ...} or {"ok": false, "error": "..."}). The TAP assertions stay
// in the shell test, next to the sandbox's probes of real connections.
//
//   node cockpit-driver.js SCREENSHOT_DIR     (NODE_PATH=.../cockpit/node_modules)
"use strict";

const readline = require("readline");
const path = require("path");
const { chromium } = require("playwright-core");

const shots = process.argv[2];
const CHROMIUM = process.env.VFW_CHROMIUM || "/usr/bin/chromium";
let browser = null;
let page = null;
let frame = null; // our page inside Cockpit's shell

function reply(obj) {
    process.stdout.write(JSON.stringify(obj) + "\n");
}

async function findFrame(timeout) {
    const until = Date.now() + timeout;
    for (;;) {
        const f = page.frames().find(fr => fr.url().includes("/virt-firewalld/index.html"));
        if (f)
            return f;
        if (Date.now() > until)
            throw new Error("no frame of the virt-firewalld page");
        await page.waitForTimeout(100);
    }
}

// the page is idle: no poll or action under way, everything rendered
async function idle(timeout) {
    await frame.waitForFunction(() => {
        const app = document.getElementById("vfw-app");
        return app && app.getAttribute("aria-busy") === "false" &&
            !document.getElementById("vfw-forwards-body").textContent.includes("Loading");
    }, null, { timeout: timeout || 20000 });
}

async function text(selector) {
    const el = await frame.$(selector);
    return el ? (await el.innerText()) : null;
}

async function formState() {
    return {
        notice: await text("#vfw-notice"),
        spec_error: await text("#vfw-spec-helper .pf-m-error"),
        address_error: await text("#vfw-address-helper .pf-m-error"),
        spec_invalid: await frame.getAttribute("#vfw-spec", "aria-invalid"),
        focused: await frame.evaluate(() => document.activeElement && document.activeElement.id),
    };
}

// waits for an action's outcome: a notice, or an error next to a field or in a row
async function outcome(rowSelector) {
    await frame.waitForFunction(sel => {
        const busy = document.getElementById("vfw-app").getAttribute("aria-busy") === "true";
        const done = document.querySelector("#vfw-notice .pf-v6-c-alert") ||
            document.querySelector(".pf-v6-c-form__helper-text .pf-m-error") ||
            (sel && document.querySelector(sel));
        return !busy && done;
    }, rowSelector || null, { timeout: 60000 });
    return formState();
}

const commands = {
    async start({ url, lang }) {
        browser = await chromium.launch({
            executablePath: CHROMIUM,
            args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        const context = await browser.newContext({
            viewport: { width: 1280, height: 1000 },
            locale: lang || "en-US",
        });
        if (lang)
            await context.addCookies([{ name: "CockpitLang", value: lang, url }]);
        page = await context.newPage();
        page.on("pageerror", err => process.stderr.write("page error: " + err.message + "\n"));
        await page.goto(url, { waitUntil: "domcontentloaded" });
        return { title: await page.title() };
    },

    // Cockpit's navigation has our entry: follow it with the keyboard
    async menu({ label }) {
        const link = page.locator("nav a", { hasText: label }).first();
        await link.waitFor({ timeout: 30000 });
        await link.focus();
        await page.keyboard.press("Enter");
        frame = await findFrame(30000);
        await idle(30000);
        return { url: frame.url(), heading: await text("h1") };
    },

    async idle() {
        await idle();
        return {};
    },

    async text({ selector }) {
        return { text: await text(selector) };
    },

    // waits until SELECTOR's text matches REGEX (polling of the page itself: no reload)
    async wait({ selector, regex, timeout }) {
        const re = new RegExp(regex);
        const until = Date.now() + (timeout || 20000);
        let last = null;
        while (Date.now() < until) {
            last = await text(selector);
            if (last !== null && re.test(last))
                return { text: last };
            await page.waitForTimeout(200);
        }
        throw new Error("timed out: " + selector + " is " + JSON.stringify(last));
    },

    async options({ selector }) {
        return {
            options: await frame.$$eval(selector + " option", os => os.map(o => ({ value: o.value, text: o.textContent }))),
        };
    },

    // fills the form and submits it from the keyboard (Enter in the port field)
    async add({ guest, spec, address }) {
        await idle();
        await frame.selectOption("#vfw-guest", guest);
        await frame.selectOption("#vfw-address", address || "");
        await frame.fill("#vfw-spec", "");
        await frame.focus("#vfw-spec");
        await page.keyboard.type(spec);
        await page.keyboard.press("Enter");
        return outcome();
    },

    // the Remove button of GUEST's forward SPEC, from the keyboard
    async remove({ guest, spec }) {
        await idle();
        const name = "Remove forward " + spec + " of " + guest;
        const button = frame.getByRole("button", { name, exact: true });
        await button.focus();
        await page.keyboard.press("Enter");
        return outcome();
    },

    // opens NETWORK's convert/revert dialog; with cancel, Escape closes it again,
    // otherwise Enter on the confirm button runs the action
    async network({ network, action, cancel }) {
        await idle();
        const label = action === "convert" ? "Convert network " + network + " to firewalld"
            : "Revert network " + network + " to libvirt's nat";
        await frame.getByRole("button", { name: label, exact: true }).focus();
        await page.keyboard.press("Enter");
        await frame.waitForSelector("dialog#vfw-dialog[open]");
        await frame.waitForFunction(() => !document.getElementById("vfw-dry-run").textContent.startsWith("Loading"));
        const info = {
            title: await text("#vfw-dialog-title"),
            body: await text("#vfw-dialog .pf-v6-c-modal-box__body"),
            focused: await frame.evaluate(() => document.activeElement && document.activeElement.closest("dialog") !== null),
        };
        if (shots)
            await page.screenshot({ path: path.join(shots, "cockpit-" + action + "-dialog.png") });
        if (cancel) {
            await page.keyboard.press("Escape");
            await frame.waitForSelector("dialog#vfw-dialog", { state: "detached" });
            return Object.assign(info, { closed: true });
        }
        await frame.focus("#vfw-dialog-confirm");
        await page.keyboard.press("Enter");
        await frame.waitForSelector("dialog#vfw-dialog", { state: "detached", timeout: 90000 });
        await idle(60000);
        return Object.assign(info, { notice: await text("#vfw-notice") });
    },

    async screenshot({ name }) {
        const file = path.join(shots, name + ".png");
        await page.screenshot({ path: file, fullPage: true });
        return { file };
    },

    async quit() {
        if (browser)
            await browser.close();
        browser = null;
        return {};
    },
};

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on("line", line => {
    queue = queue.then(async () => {
        let cmd;
        try {
            cmd = JSON.parse(line);
            const fn = commands[cmd.cmd];
            if (!fn)
                throw new Error("unknown command " + cmd.cmd);
            reply(Object.assign({ ok: true }, await fn(cmd)));
        } catch (err) {
            reply({ ok: false, error: String(err && err.message ? err.message : err).split("\n")[0] });
        }
    });
});
rl.on("close", () => {
    queue.then(() => browser ? browser.close() : null).then(() => process.exit(0));
});
