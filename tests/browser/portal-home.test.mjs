// SPDX-License-Identifier: AGPL-3.0-or-later
// Browser tests of the client's side at home (issue 12.4-12.7) on a phone (390 x 844), against
// the real `poreclear serve --demo` that test_portal_home.sh set up: the client ticks this
// evening's routine by keyboard and the practitioner reads it on the client page; a private
// calendar address that answers; the progress the practitioner shared, the four benefits in
// plain words with the noise said; a label checked and kept on the shelf, which the
// practitioner reads; axe-core on each filled page (no serious or critical violation), nothing
// wider than the screen. Top-level tests run in order and share state.
//
//   PC_URL=.. PC_PASSWORD=.. PC_CLIENT_USER=.. PC_CLIENT_PASSWORD=.. PC_CID=.. \
//   node --test --test-reporter=tap tests/browser/portal-home.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { launchChromium, openPage, screenshot, needs, overflowOf, axeViolations, blockingViolations } from './lib.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const URL0 = process.env.PC_URL;
const SHOTS = process.env.PC_SCREENSHOTS || 'build/screenshots';
const CHROMIUM = process.env.PC_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.PC_STEP_TIMEOUT_MS || 8000);
const CID = process.env.PC_CID;

const state = {};
const problems = [];
const blocking = [];
let browser;
let page;
let who = '';

function need(t, ...keys) {
    return needs(state, t, keys);
}

async function shot(name) {
    await screenshot(page, SHOTS, `portal-home-${name}`);
}

// axe-core and the width check on the page as it is now
async function checkPage(label) {
    blocking.push(...blockingViolations(label, await axeViolations(page, AXE)));
    const o = await overflowOf(page);
    if (o.length) blocking.push(`${label}: wider than 390 px: ${o.join('; ')}`);
}

async function asClient() {
    if (who === 'client') return;
    await page.context().clearCookies();
    await page.goto(`${URL0}/portal/login`);
    await page.fill('#username', process.env.PC_CLIENT_USER);
    await page.fill('#password', process.env.PC_CLIENT_PASSWORD);
    await page.click('#login-submit');
    await page.waitForURL((u) => u.pathname.startsWith('/portal/') && !u.pathname.startsWith('/portal/login'));
    who = 'client';
}

async function asPractitioner() {
    if (who === 'demo') return;
    await page.context().clearCookies();
    await page.goto(`${URL0}/login`);
    await page.fill('#username', 'demo');
    await page.fill('#password', process.env.PC_PASSWORD);
    await page.click('#login-submit');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    who = 'demo';
}

before(async () => {
    assert.ok(URL0 && CID, 'PC_URL and PC_CID name the server and the client');
    browser = await launchChromium(chromium, CHROMIUM);
    page = await openPage(browser, { width: 390, height: 844, timeout: TIMEOUT, problems, label: () => who });
});

after(async () => {
    if (browser) await browser.close();
});

test('the portal\'s navigation leads to the aftercare, progress and products', async () => {
    await asClient();
    await page.goto(`${URL0}/portal/home`);
    await page.waitForSelector('#portal-nav a[href="/portal/aftercare"]');
    for (const href of ['/portal/aftercare', '/portal/progress', '/portal/products'])
        assert.equal(await page.locator(`#portal-nav a[href="${href}"]`).count(), 1, `the navigation links ${href}`);
    state.nav = true;
});

test('aftercare: this evening ticked by keyboard, kept after a reload; what to avoid and the next visit', async (t) => {
    if (!need(t, 'nav')) return;
    await page.goto(`${URL0}/portal/aftercare`);
    await page.waitForSelector('#today');
    const evening = page.locator('#routine-evening input[type="checkbox"]').first();
    assert.equal(await evening.isChecked(), false, 'nothing ticked yet');
    // the morning routine starts tomorrow (the visit was today): no tick offered yet
    assert.match(await page.locator('#routine-morning').textContent(), /Starts/);
    await evening.focus();
    await page.keyboard.press('Space');
    await page.waitForSelector('#portal-msg.ok');
    await page.reload();
    await page.waitForSelector('#today');
    assert.equal(await page.locator('#routine-evening input[type="checkbox"]').first().isChecked(), true, 'the tick is kept');
    const avoid = await page.locator('#avoid-list li').allTextContents();
    assert.ok(avoid.length >= 5 && avoid.some((a) => /No make-up\..*until/.test(a)), `what to avoid until when: ${avoid.join(' | ')}`);
    assert.match(await page.locator('#rebook').textContent(), /Book your next deep pore cleansing facial for .+ \(in 4 weeks\)/);
    await checkPage('/portal/aftercare');
    await shot('aftercare-390');
    state.ticked = true;
});

test('aftercare: a private calendar address, shown once, that a calendar application reads', async (t) => {
    if (!need(t, 'nav')) return;
    await page.click('#feed-new');
    await page.waitForSelector('#feed-url');
    const url = await page.inputValue('#feed-url');
    assert.match(url, /\/api\/care\/[0-9a-f]{32}\.ics$/);
    const r = await fetch(url); // no cookie: the token is the key
    assert.equal(r.status, 200);
    assert.match(await r.text(), /BEGIN:VCALENDAR/);
    await page.reload();
    await page.waitForSelector('#feed-state');
    assert.equal(await page.locator('#feed-url').count(), 0, 'the address is not shown again');
    await shot('calendar-390');
});

test('the practitioner reads the tick on the client page, in words', async (t) => {
    if (!need(t, 'ticked')) return;
    await asPractitioner();
    await page.goto(`${URL0}/client?id=${CID}`);
    await page.waitForSelector('#adherence-summary');
    assert.match(await page.locator('#adherence-summary').textContent(), /Evening routine ticked on 1 of 1 day since/);
    assert.match(await page.locator('#care-feed-state').textContent(), /calendar app/);
    await checkPage('/client (at home)');
    await shot('staff-adherence-390');
});

test('progress: the shared comparison\'s four benefits in plain words, the noise said; the shared photo', async (t) => {
    if (!need(t, 'nav')) return;
    await asClient();
    await page.goto(`${URL0}/portal/progress`);
    await page.waitForSelector('section.shared[data-kind="comparison"]');
    const card = page.locator('section.shared[data-kind="comparison"]');
    assert.equal(await card.locator('li.benefit').count(), 4, 'four benefits');
    const text = await card.textContent();
    for (const b of ['Comedones', 'Clogged pores', 'Clarity / radiance', 'Absorption readiness']) assert.ok(text.includes(b), `names ${b}`);
    assert.match(text, /measurement's noise/, 'the noise is said');
    assert.match(text, /only a change larger than/, 'the same noise sentence as the staff page');
    assert.equal(await page.locator('section.shared[data-kind="photo"]').count(), 1, 'the shared photo');
    const drawn = await page.$$eval('section.shared img', (imgs) => imgs.filter((i) => i.complete && i.naturalWidth > 0).length);
    assert.ok(drawn >= 2, `the pictures load (${drawn})`);
    await checkPage('/portal/progress');
    await shot('progress-390');
});

test('my products: a pasted label checked in plain words and kept; the practitioner reads the shelf', async (t) => {
    if (!need(t, 'nav')) return;
    await asClient();
    await page.goto(`${URL0}/portal/products`);
    await page.waitForSelector('#label-form');
    await page.focus('#p-name');
    await page.keyboard.type('Night cream');
    await page.focus('#p-label');
    await page.keyboard.type('Aqua (Water), Isopropyl Myristate, Glycerin, Dimethicone');
    await page.focus('#check-keep');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#check-result li.product');
    const res = await page.locator('#check-result').textContent();
    assert.match(res, /may clog pores/);
    assert.match(res, /Isopropyl Myristate \(5 of 5\)/);
    await page.waitForSelector('#shelf li.product');
    assert.equal(await page.locator('#shelf li.product').count(), 1);
    // one the clinic checked, picked from the list
    await page.click('#pick-keep');
    await page.waitForFunction(() => document.querySelectorAll('#shelf li.product').length === 2);
    await checkPage('/portal/products');
    await shot('products-390');
    await asPractitioner();
    await page.goto(`${URL0}/client?id=${CID}`);
    await page.waitForSelector('#shelf-list li');
    const shelf = await page.locator('#shelf-list').textContent();
    assert.match(shelf, /Night cream/);
    assert.match(shelf, /Clinic Gel Cleanser/);
    await shot('staff-shelf-390');
});

test('axe-core and the width on every filled page: no serious or critical violation', () => {
    assert.deepEqual(blocking, []);
    assert.deepEqual(problems, [], 'no page error');
});
