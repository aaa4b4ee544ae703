// SPDX-License-Identifier: AGPL-3.0-or-later
// Helpers shared by the browser tests: Debian's Chromium as every suite starts it, screenshots,
// waiting for a page to be drawn, and a JSON API call made from inside the page (its cookies,
// the CSRF token from /api/session).

import fs from 'node:fs';
import path from 'node:path';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export function launchChromium(chromium, executablePath) {
    return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

export async function screenshot(page, dir, name, opts) {
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true, ...(opts || {}) });
}

// Open a page and wait until its module has replaced the "Loading…" placeholder.
export async function gotoDrawn(page, url) {
    await page.goto(url);
    await page.waitForSelector('main:not(:has(> .loading))');
}

export async function apiCall(page, method, p, body) {
    return page.evaluate(async ({ method, p, body }) => {
        const s = await (await fetch('/api/session', { credentials: 'same-origin' })).json();
        const init = { method, credentials: 'same-origin', headers: { 'X-CSRF-Token': s.csrf_token || '' } };
        if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
        const r = await fetch(p, init);
        let data = null;
        try { data = await r.json(); } catch (e) { data = null; }
        return { status: r.status, data };
    }, { method, p, body });
}

// A test's prerequisites from earlier tests: skip (with the reason) when one is missing.
export function needs(state, t, keys, what) {
    for (const k of keys) {
        if (!state[k]) {
            t.skip(`needs ${what || 'an earlier step'} first (${k})`);
            return false;
        }
    }
    return true;
}

// One page in a fresh context (British English, UTC), its page errors and console errors (other
// than the 4xx / 503 answers a test provokes) collected into `problems`, each named with
// `label()` (who is signed in) and the address.
export async function openPage(browser, { width, height, timeout, problems, label }) {
    const ctx = await browser.newContext({ viewport: { width, height }, acceptDownloads: true, locale: 'en-GB', timezoneId: 'UTC' });
    const page = await ctx.newPage();
    page.setDefaultTimeout(timeout);
    page.on('pageerror', (e) => problems.push(`${label()} ${page.url()}: page error: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' && !/status of (4\d\d|503)/.test(m.text())) problems.push(`${label()} ${page.url()}: console: ${m.text()}`);
    });
    return page;
}

// The page is no wider than the window: nothing sticks out sideways. Returns the offenders.
export async function overflowOf(page) {
    return page.evaluate(() => {
        const W = document.documentElement.clientWidth;
        const out = [];
        if (document.documentElement.scrollWidth > W + 1) out.push(`page ${document.documentElement.scrollWidth} px wide`);
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            // a table may scroll inside its own box (.table-wrap); that box itself must fit
            if (!r.width || (el.parentElement && el.parentElement.closest('.table-wrap')) || el.closest('.visually-hidden, .skip-link')) continue;
            if (r.right > W + 1 && getComputedStyle(el).position !== 'fixed') {
                out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''} right edge ${Math.round(r.right)} px`);
                if (out.length > 5) break;
            }
        }
        return out;
    });
}

// axe-core (its source text, axe.min.js) on the page as it is: the violations, each with its
// impact and up to three of its places. Evaluated through the DevTools protocol, so the page's
// Content-Security-Policy stays in force.
export async function axeViolations(page, source) {
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(source);
    return page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, where: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
}

// The violations that fail a page: serious or critical (WCAG 2.1 AA), as "label: id (impact) at ...".
export function blockingViolations(label, violations) {
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${label}: ${v.id} (${v.impact}) at ${v.where.join(', ')}`);
}
