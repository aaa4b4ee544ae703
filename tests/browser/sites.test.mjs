// SPDX-License-Identifier: AGPL-3.0-or-later
// Browser check of a chain's sites in the staff pages (docs/pages.md, "Sites"): Debian's
// Chromium driven by playwright-core against the real `poreclear serve --demo` (started by
// test_sites.sh). Steps run in order and share state.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { launchChromium, screenshot, gotoDrawn, apiCall, openPage, needs, axeViolations, blockingViolations } from './lib.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const URL0 = process.env.PC_URL;
const PW = process.env.PC_PASSWORD;
const SHOTS = process.env.PC_SCREENSHOTS || 'build/screenshots';
const TIMEOUT = Number(process.env.PC_STEP_TIMEOUT_MS || 15000);

let browser;
const problems = [];
const state = {};

async function signIn(user) {
    const page = await openPage(browser, { width: 1280, height: 900, timeout: TIMEOUT, problems, label: () => user });
    await page.goto(`${URL0}/login`);
    await page.fill('#username', user);
    await page.fill('#password', PW);
    await page.click('#login-submit');
    await page.waitForURL((u) => u.pathname === '/');
    await page.waitForSelector('#whoami');
    return page;
}

// A consent recorded today for Sofia Rossi (the demo client whose plan may start).
async function consentToday(page) {
    const c = await apiCall(page, 'POST', `/api/clients/${state.sofia}/consents`, {
        agreed: ['treatment', 'extraction', 'high_frequency', 'chemical_exfoliation'], client_name: 'Sofia Rossi',
    });
    assert.equal(c.status, 201, JSON.stringify(c.data));
    return c.data.id;
}

before(async () => {
    assert.ok(URL0, 'PC_URL must name the server');
    browser = await launchChromium(chromium, process.env.PC_CHROMIUM || '/usr/bin/chromium');
});

after(async () => {
    if (browser) await browser.close();
    assert.deepEqual(problems, [], 'no page errors');
});

test('a clinic of one site: no site in the top bar, none asked when starting a session', async () => {
    const page = await signIn('demo');
    state.pract = page;
    const clients = await apiCall(page, 'GET', '/api/clients?q=Sofia');
    state.sofia = clients.data.clients[0].id;
    await consentToday(page);
    await gotoDrawn(page, `${URL0}/plan?client=${state.sofia}`);
    await page.waitForSelector('#start-session');
    assert.equal(await page.locator('#site-select').count(), 0, 'no site picker in the top bar');
    assert.equal(await page.locator('#start-site').count(), 0, 'no site in the start form');
});

test('with a second site, a practitioner of the whole chain picks the site of a session', async (t) => {
    if (!needs(state, t, ['pract', 'sofia'])) return;
    const admin = await signIn('admin');
    const north = await apiCall(admin, 'POST', '/api/sites', { name: 'North', address: '1 High Street', time_zone: 'Europe/Paris' });
    assert.equal(north.status, 201, JSON.stringify(north.data));
    state.north = north.data.site.id;
    await admin.context().close();

    const page = state.pract;
    await gotoDrawn(page, `${URL0}/plan?client=${state.sofia}`);
    await page.waitForSelector('#start-site');
    const names = await page.locator('#site-select option').allTextContents();
    assert.deepEqual(names, ['All sites', 'Main site', 'North'], 'the top bar offers every site of the chain');
    const field = page.locator('#start-site select');
    assert.equal(await field.inputValue(), '', 'nothing chosen yet: the page does not guess');
    await page.click('#start-session');
    await page.waitForSelector('#start-errors:not([hidden])');
    assert.match(await page.textContent('#start-errors'), /Choose the site/);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(blockingViolations('plan with sites', await axeViolations(page, AXE)), [], 'axe-core: the site pickers are labelled');
    await screenshot(page, SHOTS, 'sites-plan-choose');
    await field.selectOption({ label: 'North' });
    await page.click('#start-session');
    await page.waitForURL((u) => u.pathname === '/session');
    state.session = Number(new URL(page.url()).searchParams.get('id'));
    const s = await apiCall(page, 'GET', `/api/sessions/${state.session}`);
    assert.equal(s.data.site_id, state.north, 'the session took place at North');
    // remembered: the top bar now says North, and the next start offers it
    await page.waitForSelector('#site-select');
    assert.equal(await page.locator('#site-select').inputValue(), String(state.north));
});

test('the client page lists the sessions of the chosen site', async (t) => {
    if (!needs(state, t, ['session'])) return;
    const page = state.pract;
    // and one at the main site, by the API
    const main = await apiCall(page, 'POST', `/api/clients/${state.sofia}/sessions`, { consent_id: await consentToday(page), site_id: 1 });
    assert.equal(main.status, 201, JSON.stringify(main.data));
    await gotoDrawn(page, `${URL0}/client?id=${state.sofia}`);
    await page.waitForSelector('#sessions-site');
    assert.match(await page.textContent('#sessions-site'), /At North only/);
    const links = await page.locator('#sessions-table a.rowlink').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(links, [`/session?id=${state.session}`], 'only the session at North');
    // all sites: every session, with a column naming the site
    await Promise.all([page.waitForEvent('load'), page.selectOption('#site-select', '')]);
    await page.waitForSelector('#sessions-table');
    assert.equal(await page.locator('#sessions-site').count(), 0);
    const sites = await page.locator('#sessions-table tbody tr td:nth-child(5)').allTextContents();
    assert.ok(sites.includes('North') && sites.includes('Main site'), `every site's sessions: ${sites}`);
    await screenshot(page, SHOTS, 'sites-client');
    // the plan page now asks again (no site chosen)
    await consentToday(page);
    await gotoDrawn(page, `${URL0}/plan?client=${state.sofia}`);
    await page.waitForSelector('#start-site');
    assert.equal(await page.locator('#start-site select').inputValue(), '');
});

// A Tuesday at least `days` days from today ("YYYY-MM-DD").
function tuesdayAfter(days) {
    const d = new Date();
    d.setUTCDate(d.getUTCDate() + days);
    while (d.getUTCDay() !== 2) d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
}

test('the book of a site: its appointments and its practitioners', async (t) => {
    if (!needs(state, t, ['north', 'sofia'])) return;
    const admin = await signIn('admin');
    const ids = {};
    for (const [name, sites] of [['northpract', [state.north]], ['mainpract', [1]]]) {
        const u = await apiCall(admin, 'POST', '/api/users', { username: name, display_name: name === 'northpract' ? 'Nora North' : 'Mia Main', role: 'practitioner', certifications: ['extraction'], sites });
        assert.equal(u.status, 201, JSON.stringify(u.data));
        ids[name] = u.data.user.id;
        const hrs = await apiCall(admin, 'PUT', `/api/practitioners/${ids[name]}/hours`, { hours: [{ weekday: 2, start: '09:00', end: '18:00' }] });
        assert.equal(hrs.status, 200, JSON.stringify(hrs.data));
    }
    state.day = tuesdayAfter(14);
    // the clinic's offset on that day, as the server writes it
    const clock = await apiCall(admin, 'GET', `/api/practitioners/${ids.mainpract}/free?from=${state.day}&to=${state.day}T23:59:00Z&duration_min=30`);
    const slot = clock.data.slots.find((s) => s.start.slice(11, 16) === '11:00');
    assert.ok(slot, 'Mia is free at 11:00');
    const other = await apiCall(admin, 'POST', '/api/appointments', { client_id: state.sofia, practitioner_id: ids.mainpract, start: slot.start, duration_min: 30 });
    assert.equal(other.status, 201, JSON.stringify(other.data));
    assert.equal(other.data.site_id, 1, "Mia's one site");
    await admin.context().close();

    const page = await signIn('desk');
    await gotoDrawn(page, `${URL0}/book?view=day&date=${state.day}`);
    await page.waitForSelector('#book-board .book-grid');
    await page.selectOption('#book-site', String(state.north));
    await page.waitForFunction(() => ![...document.querySelectorAll('#book-practitioner option')].some((o) => o.textContent === 'Mia Main'));
    const names = await page.locator('#book-practitioner option').allTextContents();
    assert.ok(names.includes('Nora North') && !names.includes('Mia Main'), `North's practitioners: ${names}`);
    assert.equal(await page.locator('#site-select').inputValue(), String(state.north), 'the top bar follows');
    await page.waitForSelector(`.book-col[data-practitioner="${ids.northpract}"] .slot`);
    assert.equal(await page.locator(`.appt[data-id="${other.data.id}"]`).count(), 0, "the main site's appointment is not in North's book");
    await page.locator(`.book-col[data-practitioner="${ids.northpract}"] .slot`).first().click();
    await page.fill('#book-client-q', 'Sofia');
    await page.waitForSelector('#book-client option:has-text("Sofia Rossi")', { state: 'attached' });
    await page.selectOption('#book-client', { label: await page.locator('#book-client option').first().textContent() });
    assert.equal(await page.locator('#book-where').count(), 0, 'the site is the book\'s: not asked');
    await page.click('#book-submit');
    await page.waitForSelector('#booked-note');
    const card = page.locator(`.book-col[data-practitioner="${ids.northpract}"] .appt`).first();
    await card.waitFor();
    state.appt = Number(await card.getAttribute('data-id'));
    const a = await apiCall(page, 'GET', `/api/appointments/${state.appt}`);
    assert.equal(a.data.site_id, state.north, 'booked at North');
    await screenshot(page, SHOTS, 'sites-book-north');
    // every site: both, each saying where
    await page.selectOption('#book-site', '');
    await page.waitForSelector(`.appt[data-id="${other.data.id}"]`);
    assert.equal(await page.locator(`.appt[data-id="${state.appt}"] .appt-site`).textContent(), 'North');
    assert.equal(await page.locator(`.appt[data-id="${other.data.id}"] .appt-site`).textContent(), 'Main site');
    // the main site's book
    await page.selectOption('#book-site', '1');
    await page.waitForSelector(`.appt[data-id="${state.appt}"]`, { state: 'detached' });
    await page.waitForSelector(`.appt[data-id="${other.data.id}"]`); // drawn again after "Loading…"
    assert.equal(await page.locator(`.appt[data-id="${state.appt}"]`).count(), 0, "North's is not in the main site's book");
    assert.deepEqual(blockingViolations('book with sites', await axeViolations(page, AXE)), [], 'axe-core: the book\'s site picker');
    await page.context().close();
});

test('a session started from the book takes the appointment\'s site', async (t) => {
    if (!needs(state, t, ['appt', 'pract'])) return;
    const page = state.pract;
    await consentToday(page);
    await gotoDrawn(page, `${URL0}/plan?client=${state.sofia}&appointment=${state.appt}`);
    await page.waitForSelector('#start-site');
    assert.equal(await page.locator('#start-site select').inputValue(), String(state.north), 'North, from the appointment');
});
