// SPDX-License-Identifier: AGPL-3.0-or-later
// The plan page as a practitioner reads it, for the demo clinic's clients (issue 17.3): the
// reasons shown match the final parameters, a step not done shows only why, every source code
// opens its full citation, and the banner weighs what was lost. Then the ingredient checker
// (issue 17.4). Run by test_demo_plans.sh against `poreclear serve --demo`.
//
//   PC_URL=http://127.0.0.1:PORT PC_DEMO_PASSWORD=... PC_SCREENSHOTS=build/screenshots \
//   node --test --test-reporter=tap tests/browser/demo-plans.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const URL0 = process.env.PC_URL;
const PASSWORD = process.env.PC_DEMO_PASSWORD;
const SHOTS = process.env.PC_SCREENSHOTS || 'build/screenshots';
const CHROMIUM = process.env.PC_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.PC_STEP_TIMEOUT_MS || 10000);

let browser;
let page;
const problems = [];
const clients = {}; // demo role → client id

async function shot(name) {
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function goto(p) {
    await page.goto(URL0 + p);
    await page.waitForSelector('main:not(:has(> .loading))');
}

// GET from the page's own session (same cookies), for the JSON the page was drawn from.
async function apiGet(p) {
    return page.evaluate(async (u) => (await fetch(u, { headers: { Accept: 'application/json' } })).json(), p);
}

before(async () => {
    assert.ok(URL0 && PASSWORD, 'PC_URL and PC_DEMO_PASSWORD are given');
    browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-GB', timezoneId: 'UTC' });
    page = await ctx.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${URL0}/login`);
    await page.fill('#username', 'demo');
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.waitForSelector('#whoami');
    const list = await apiGet('/api/clients');
    for (const c of list.clients || []) {
        if (/pacemaker/i.test(c.notes || '') || c.name === 'Margaret Hill') clients.pacemaker = c.id;
        else if (/isotretinoin/i.test(c.notes || '') || c.name === 'Jordan Lee') clients.isotretinoin = c.id;
        else if (c.name === 'Sofia Rossi') clients.ordinary = c.id;
    }
});

after(async () => {
    if (browser) await browser.close();
});

// Checks every demo plan must pass, whatever the client: returns the plan JSON.
async function checkPlanPage(id) {
    await goto(`/plan?client=${id}`);
    await page.waitForSelector('#plan-verdict');
    const data = await apiGet(`/api/clients/${id}/plan`);
    const plan = data.plan;
    for (const s of plan.steps) {
        const card = page.locator(`#step-${s.step}`);
        const text = await card.textContent();
        if (s.action === 'skip') {
            // a step not done shows only why: no parameters, no caution, no personalisation
            assert.equal(await card.locator('ul.params').count(), 0, `${s.step}: no parameters on a step not done`);
            assert.doesNotMatch(text, /Caution|Personalised|Changes/, `${s.step}: a step not done shows only why`);
            assert.ok(s.reasons.length === 0 || /Rules out/.test(text), `${s.step}: says why it is not done`);
        }
        // each shown reason links every source code it cites to the full citation
        for (const r of s.reasons) {
            const li = card.locator(`li[data-code="${r.code}"]`);
            assert.equal(await li.count(), 1, `${s.step}: reason ${r.code} is shown`);
            const keys = await li.locator('a.cite').evaluateAll((as) => as.map((a) => a.dataset.key));
            assert.deepEqual([...new Set(keys)], r.cites, `${r.code}: every cited key is a link`);
        }
    }
    // every link opens an entry of the sources list carrying the protocol file's full citation
    const links = await page.locator('a.cite').evaluateAll((as) => as.map((a) => [a.dataset.key, a.getAttribute('href')]));
    assert.ok(links.length > 0, 'the plan cites its sources');
    for (const [key, href] of links) {
        const dd = page.locator(`${href} + dd`);
        assert.equal(await dd.count(), 1, `${key}: ${href} exists`);
        assert.equal((await dd.textContent()).trim(), plan.sources[key], `${key}: the full citation`);
    }
    return plan;
}

test('isotretinoin: extraction lost weighs heavily; exfoliation shows no BHA; a skipped step shows only why', async () => {
    assert.ok(clients.isotretinoin, 'the demo clinic has the isotretinoin client');
    const plan = await checkPlanPage(clients.isotretinoin);
    const v = page.locator('#plan-verdict');
    assert.equal(await v.getAttribute('data-weight'), 'core_lost');
    assert.ok(await v.evaluate((el) => el.classList.contains('core_lost')), 'the banner is not the calm green one');
    assert.equal(await v.getAttribute('role'), 'alert');
    assert.match(await v.textContent(), /Extraction ruled out/);
    const bg = await v.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(bg, await page.evaluate(() => {
        const d = document.createElement('div'); d.className = 'verdict ok'; document.body.appendChild(d);
        const c = getComputedStyle(d).backgroundColor; d.remove(); return c;
    }), 'the banner does not look like an OK plan');
    const ex = await page.locator('#step-exfoliate').textContent();
    assert.match(ex, /enzymatic/);
    assert.doesNotMatch(ex, /salicylic|BHA|2 %/i, 'the exfoliation no longer lists salicylic acid 2 %');
    const xt = await page.locator('#step-extract').textContent();
    assert.match(xt, /Isotretinoin within the last 6 months/);
    assert.doesNotMatch(xt, /light pressure/i, 'a blocked extraction shows no caution');
    assert.equal(plan.steps.find((s) => s.step === 'extract').action, 'skip');
    // a source code opens its citation
    const first = page.locator('#step-extract a.cite').first();
    const key = await first.getAttribute('data-key');
    await first.click();
    await page.waitForFunction((k) => decodeURIComponent(window.location.hash) === `#src-${k}`, key);
    assert.ok(await page.locator(`#src-${key}`).evaluate((el) => el.matches(':target')), 'the citation is the target');
    await shot('plan-demo-isotretinoin');
    await page.setViewportSize({ width: 390, height: 844 });
    await goto(`/plan?client=${clients.isotretinoin}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    const wide = await page.evaluate(() => [...document.querySelectorAll('main *')]
        .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .slice(0, 3).map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`).join(', '));
    assert.ok(overflow <= 0, `no horizontal overflow on a phone (${overflow} px: ${wide})`);
    await shot('plan-demo-isotretinoin-phone');
    await page.setViewportSize({ width: 1024, height: 768 });
});

test('pacemaker: high frequency left out — a reduced plan, amber, not green', async () => {
    assert.ok(clients.pacemaker, 'the demo clinic has the pacemaker client');
    await checkPlanPage(clients.pacemaker);
    const v = page.locator('#plan-verdict');
    assert.equal(await v.getAttribute('data-weight'), 'reduced');
    assert.ok(await v.evaluate((el) => el.classList.contains('reduced')));
    assert.match(await v.textContent(), /High frequency/);
    const hf = await page.locator('#step-high_frequency').textContent();
    assert.match(hf, /Pacemaker/);
    assert.doesNotMatch(hf, /argon|neon|Personalised/i, 'no personalisation on a step not done');
    await shot('plan-demo-pacemaker');
});

test('ordinary client: the full facial, a calm banner, the BHA personalisation cites the FDA', async () => {
    assert.ok(clients.ordinary, 'the demo clinic has the ordinary client');
    const plan = await checkPlanPage(clients.ordinary);
    const v = page.locator('#plan-verdict');
    assert.equal(await v.getAttribute('data-weight'), 'none');
    assert.ok(await v.evaluate((el) => el.classList.contains('ok')));
    assert.ok(plan.steps.every((s) => s.action === 'do'));
    const li = page.locator('#step-exfoliate li[data-code="bha_for_oily_skin"]');
    assert.equal(await li.locator('a.cite[data-key="FDA-SA"]').count(), 1, 'FDA-SA opens its citation');
    assert.match(await page.locator('#plan-sources').textContent(), /21 CFR 333\.310/);
    await shot('plan-demo-ordinary');
});


// POST from the page's own session (the CSRF token from GET /api/session).
async function apiPost(p, body) {
    return page.evaluate(async ([u, b]) => {
        const s = await (await fetch('/api/session', { headers: { Accept: 'application/json' } })).json();
        const r = await fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': s.csrf_token }, body: JSON.stringify(b) });
        return { status: r.status, body: await r.json() };
    }, [p, body]);
}

async function checkLabel(text) {
    await page.fill('#label-text', text);
    await page.click('#check-label');
}

test('ingredient checker: an empty box is refused and the old result goes away', async () => {
    await goto('/ingredients');
    await checkLabel('Aqua, Glycerin');
    await page.waitForSelector('#report');
    await checkLabel('   ');
    await page.waitForSelector('#label-empty');
    assert.equal(await page.locator('#report').count(), 0, 'the previous result is no longer shown');
    assert.equal(await page.getAttribute('#label-text', 'aria-invalid'), 'true');
    await checkLabel('');
    await page.waitForSelector('#label-empty');
    assert.equal(await page.locator('#report').count(), 0);
});

test('ingredient checker: gibberish is never called clean', async () => {
    await goto('/ingredients');
    await checkLabel('Xqzzy Blorp, Flumbo Wax');
    const v = page.locator('#ingredients-verdict');
    await v.waitFor();
    assert.equal(await v.getAttribute('data-verdict'), 'incomplete');
    assert.ok(!(await v.evaluate((el) => el.classList.contains('ok'))), 'not a green box');
    assert.doesNotMatch(await v.textContent(), /No ingredient flagged/);
    assert.match(await v.textContent(), /Nothing on this label was recognised/);
    await checkLabel('Aqua, Glycerin, Xqzzy Blorp');
    await page.waitForSelector('#ingredients-verdict[data-verdict="incomplete"]');
    assert.match(await page.textContent('#ingredients-verdict'), /1 of 3 ingredients not recognised.*Xqzzy Blorp/s);
});

test('ingredient checker for a client with an aspirin allergy: salicylic acid is named, in words', async () => {
    const c = await apiPost('/api/clients', { name: 'Asa Allergic', birth_date: '1985-02-03' });
    assert.equal(c.status, 201);
    const i = await apiPost(`/api/clients/${c.body.id}/intakes`, { client: { skin_type: 'oily', fitzpatrick: 2 }, allergies: ['Aspirin'] });
    assert.equal(i.status, 201);
    await goto(`/ingredients?client=${c.body.id}`);
    await checkLabel('Aqua, Salicylic Acid, Glycerin, Niacinamide');
    const box = page.locator('#allergy-check');
    await box.waitFor();
    assert.ok(await box.evaluate((el) => el.classList.contains('error')), 'an error box, not a footnote');
    assert.match(await box.textContent(), /Not for Asa Allergic: Salicylic Acid/);
    assert.match(await box.textContent(), /Recorded allergy: Aspirin/);
    const row = page.locator('#ingredients-table tr', { hasText: 'Salicylic Acid' });
    assert.match(await row.textContent(), /Allergy: Aspirin/);
    assert.ok(await page.isChecked('#decision-replace'), 'the advice defaults to replace');
    assert.match(await page.inputValue('#product-reason'), /Allergy \(Aspirin\): Salicylic Acid/);
    await shot('ingredients-allergic-client');
    // the same client, a label without salicylates: checked, and said so
    await checkLabel('Aqua, Glycerin, Niacinamide');
    await page.waitForSelector('#allergy-check.ok');
    assert.match(await page.textContent('#allergy-check'), /No conflict with Asa Allergic's recorded allergies/);
});

test('blocked plan: each step says it is not done because the whole treatment is blocked, nothing more', async () => {
    const c = await apiPost('/api/clients', { name: 'Fenna Fever', birth_date: '1979-05-20' });
    assert.equal(c.status, 201);
    const i = await apiPost(`/api/clients/${c.body.id}/intakes`, { client: { skin_type: 'oily', fitzpatrick: 5 }, conditions: ['fever', 'rosacea'] });
    assert.equal(i.status, 201);
    const plan = await checkPlanPage(c.body.id);
    assert.equal(plan.weight, 'blocked');
    assert.equal(await page.getAttribute('#plan-verdict', 'data-status'), 'blocked');
    for (const s of plan.steps) {
        const text = await page.locator(`#step-${s.step}`).textContent();
        if (!s.reasons.length) assert.match(text, /Not done: the whole treatment is blocked/, `${s.step}: says why`);
        assert.doesNotMatch(text, /keep acids mild|light pressure|Personalised/i, `${s.step}: only why`);
    }
    await page.setViewportSize({ width: 820, height: 1180 });
    await goto(`/plan?client=${c.body.id}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal overflow on a tablet (${overflow} px)`);
    await shot('plan-blocked-tablet');
    await page.setViewportSize({ width: 1024, height: 768 });
});

test('no script errors or Content-Security-Policy violations', () => {
    assert.deepEqual(problems, []);
});
