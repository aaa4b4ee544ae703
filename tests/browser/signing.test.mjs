// SPDX-License-Identifier: AGPL-3.0-or-later
// Browser tests of the signed record (issue 17, items 2 and 10) and the clinic's settings
// (item 7): the admin's clinic form and the handout that shows it; the session page's choices in
// words, the duration following the clock, the reasons asked for an early end and for values
// outside the protocol, the signing confirmation with the password, late amendments, and
// cancelling an open session — at desktop 1280, tablet 820 and phone 390 px. Debian's Chromium driven by
// playwright-core against the real `poreclear serve --demo` (started by test_signing.sh, which
// passes each demo account's own password). Top-level tests run in order and share state; a
// test whose prerequisite failed is skipped with the reason.
//
//   PC_URL=http://127.0.0.1:PORT PC_PW_ADMIN=.. PC_PW_DEMO=.. PC_PW_TRAINEE=.. PC_PW_DESK=.. \
//   node --test --test-reporter=tap tests/browser/signing.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { launchChromium, openPage, screenshot, gotoDrawn, apiCall, needs, overflowOf } from './lib.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const URL0 = process.env.PC_URL;
const PW = { admin: process.env.PC_PW_ADMIN, demo: process.env.PC_PW_DEMO, trainee: process.env.PC_PW_TRAINEE, desk: process.env.PC_PW_DESK };
const SHOTS = process.env.PC_SCREENSHOTS || 'build/screenshots';
const CHROMIUM = process.env.PC_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.PC_STEP_TIMEOUT_MS || 8000);
const WIDTHS = [['desktop', 1280, 800], ['tablet', 820, 1180], ['phone', 390, 844]];

const state = {};
let browser;
let page;
let who = '';
const problems = [];

async function signIn(username) {
    if (who === username) return;
    await page.context().clearCookies();
    await page.goto(`${URL0}/login`);
    await page.fill('#username', username);
    await page.fill('#password', PW[username]);
    await page.click('#login-submit');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.waitForSelector('#whoami');
    who = username;
}

async function goto(p) {
    await gotoDrawn(page, URL0 + p);
    await page.waitForLoadState('networkidle');
}

function call(method, p, body) {
    return apiCall(page, method, p, body);
}

async function clientNamed(name) {
    const list = await call('GET', `/api/clients?q=${encodeURIComponent(name)}`);
    assert.equal(list.status, 200);
    const c = list.data.clients.find((x) => x.name === name);
    assert.ok(c, `the demo clinic has ${name}`);
    return c.id;
}

// A small real PNG (w x h, one colour): the logo the admin uploads.
function png(w, h) {
    const crcTable = Array.from({ length: 256 }, (_, n) => {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        return c >>> 0;
    });
    const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
    const chunk = (type, data) => {
        const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
        const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
        const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
        return Buffer.concat([len, td, c]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
    const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [20, 110, 140]).flat())]);
    const raw = Buffer.concat(Array.from({ length: h }, () => row));
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

before(async () => {
    assert.ok(URL0, 'PC_URL must name the server');
    browser = await launchChromium(chromium, CHROMIUM);
    page = await openPage(browser, { width: 1280, height: 800, timeout: TIMEOUT, problems, label: () => who });
});

after(async () => {
    if (browser) await browser.close();
});

test('setup: a session for Jordan Lee (every consent item)', async () => {
    for (const k of Object.keys(PW)) assert.ok(PW[k], `the password of ${k} is given`);
    await signIn('demo');
    state.jordan = await clientNamed('Jordan Lee');
    const consent = await call('POST', `/api/clients/${state.jordan}/consents`, { agreed: ['treatment', 'extraction', 'high_frequency', 'chemical_exfoliation', 'photos'], client_name: 'Jordan Lee' });
    assert.equal(consent.status, 201, JSON.stringify(consent.data));
    const sess = await call('POST', `/api/clients/${state.jordan}/sessions`, { consent_id: consent.data.id, implement_set: 'tray A' });
    assert.equal(sess.status, 201, JSON.stringify(sess.data));
    state.sid = sess.data.id;
});

test('clinic settings: the admin sets name, address, phone, time zone and a logo on the form', async (t) => {
    if (!needs(state, t, ['sid'])) return;
    await signIn('admin');
    await goto('/admin#clinic');
    await page.waitForSelector('#clinic-form');
    // a logo that is not an image, and one too large, are refused on the page before sending
    await page.setInputFiles('#clinic-form input[type="file"]', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.waitForSelector('#clinic-errors:not([hidden])');
    assert.match(await page.textContent('#clinic-errors'), /PNG or JPEG/);
    await page.setInputFiles('#clinic-form input[type="file"]', { name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(200 * 1024, 1) });
    assert.match(await page.textContent('#clinic-errors'), /at most 128 KB/);
    // an unknown time zone: the server's reason, in words, naming the field
    await page.fill('#clinic-form [name="name"]', 'Clínica Sol');
    await page.fill('#clinic-form [name="time_zone"]', 'Mars/Olympus');
    await page.click('#clinic-save');
    await page.waitForSelector('#clinic-errors:not([hidden]) .alert');
    assert.match(await page.textContent('#clinic-errors'), /time_zone|time zone/i);
    const before = await call('GET', '/api/settings/clinic');
    assert.equal(before.data.name, '', 'a refused form stored nothing');
    // the real thing
    await page.fill('#clinic-form [name="address"]', 'Calle Mayor 1\n28013 Madrid');
    await page.fill('#clinic-form [name="phone"]', '+34 910 000 000');
    await page.fill('#clinic-form [name="time_zone"]', 'Europe/Madrid');
    await page.setInputFiles('#clinic-form input[type="file"]', { name: 'logo.png', mimeType: 'image/png', buffer: png(160, 48) });
    await page.waitForSelector('#logo-img');
    await page.click('#clinic-save');
    await page.waitForSelector('#clinic-notice .alert');
    const saved = await call('GET', '/api/settings/clinic');
    assert.equal(saved.data.name, 'Clínica Sol');
    assert.equal(saved.data.address, 'Calle Mayor 1\n28013 Madrid');
    assert.equal(saved.data.phone, '+34 910 000 000');
    assert.equal(saved.data.time_zone, 'Europe/Madrid');
    assert.match(saved.data.logo, /^data:image\/png;base64,/);
    // a reload shows what is stored
    await page.reload();
    await page.waitForSelector('#clinic-form #logo-img');
    assert.equal(await page.$('#clinic-notice .alert'), null, 'a fresh page');
    assert.equal(await page.inputValue('#clinic-form [name="phone"]'), '+34 910 000 000');
    assert.ok(await page.evaluate(() => document.getElementById('logo-img').naturalWidth === 160), 'the stored logo is drawn');
    await screenshot(page, SHOTS, 's1-clinic-settings');
    state.clinic = true;
});

test('clinic settings: the form fits a tablet (820) and a phone (390)', async (t) => {
    if (!needs(state, t, ['clinic'])) return;
    await signIn('admin');
    const bad = [];
    for (const [label, w, hgt] of WIDTHS) {
        await page.setViewportSize({ width: w, height: hgt });
        await goto('/admin#clinic');
        await page.waitForSelector('#logo-img');
        const o = await overflowOf(page);
        if (o.length) bad.push(`${label} ${w}: ${o.join('; ')}`);
    }
    await screenshot(page, SHOTS, 's2-clinic-settings-phone-390');
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(bad, []);
});

test('handout: names the clinic, gives its number where it says to call, shows its logo', async (t) => {
    if (!needs(state, t, ['clinic'])) return;
    await signIn('desk');
    await page.goto(`${URL0}/api/sessions/${state.sid}/aftercare.html`);
    const text = await page.textContent('body');
    assert.match(text, /Clínica Sol/);
    assert.match(text, /28013 Madrid/);
    assert.match(text, /call Clínica Sol on \+34 910 000 000/i);
    assert.ok(await page.evaluate(() => [...document.images].some((i) => i.naturalWidth === 160)), 'the logo is drawn on the handout');
    await screenshot(page, SHOTS, 's3-handout-clinic');
    // the aftercare page says the same
    await goto(`/aftercare?session=${state.sid}`);
    assert.match(await page.textContent('#handout-clinic'), /Clínica Sol/);
    assert.equal((await page.textContent('#clinic-phone')).trim(), '+34 910 000 000');
});

// A modal dialog as the person sees it: the window (not the whole page), the dialog's top.
async function dialogShot(sel, name) {
    await page.evaluate((q) => { document.querySelector(q).scrollTop = 0; }, sel);
    await screenshot(page, SHOTS, name, { fullPage: false });
}

// The session page at the current step: its data-step, or null when none is current.
async function currentStep() {
    const li = page.locator('#session-steps li.step.current');
    return (await li.count()) ? li.getAttribute('data-step') : null;
}

test('session: choices in words, the duration follows the clock, an early end and values outside the protocol ask why', async (t) => {
    if (!needs(state, t, ['sid'])) return;
    await signIn('demo');
    await goto(`/session?id=${state.sid}`);
    assert.equal(await currentStep(), 'cleanse');
    // the protocol's choices as a select in words, not a free-text raw value
    const cleanser = page.locator('#record-cleanse select[data-param="cleanser"]');
    assert.equal(await cleanser.count(), 1, 'the cleanser is chosen from the protocol\'s list');
    assert.deepEqual(await cleanser.locator('option').allTextContents(), ['gentle cleanser', 'cream cleanser', 'gel cleanser']);
    assert.match(await page.textContent('#record-cleanse'), /protocol 5–15 min/, 'the allowed range is shown beside the duration');
    await page.click('#start-cleanse');
    await page.waitForSelector('#timer-cleanse');
    // the duration entered follows the server-measured time (0 min a moment after the start)
    assert.equal(await page.inputValue('#record-cleanse input[data-param="duration_min"]'), '0');
    assert.ok(await page.locator('#early-cleanse').isVisible(), 'an early end asks why, before anything is sent');
    assert.match(await page.textContent('#early-hint-cleanse'), /less than half/);
    await page.click('#sign-cleanse');
    await page.waitForSelector('#errors-cleanse .alert');
    assert.match(await page.textContent('#errors-cleanse'), /ended early/i);
    assert.equal(await page.locator('#step-cleanse .record').count(), 0, 'nothing recorded without the reason');
    await page.fill('#record-cleanse textarea[name="early_reason"]', 'Client asked to move on.');
    await page.fill('#record-cleanse input[data-param="duration_min"]', '600');
    assert.ok(await page.locator('#deviation-cleanse').isVisible(), 'a value outside the protocol asks why');
    assert.match(await page.textContent('#dev-hint-cleanse'), /600 min \(protocol 5–15 min\)/);
    await page.click('#sign-cleanse'); // no deviation reason: the server refuses, the page asks
    await page.waitForSelector('#errors-cleanse .alert[data-code="out_of_range"]');
    assert.match(await page.textContent('#errors-cleanse'), /Outside the protocol's range/);
    assert.doesNotMatch(await page.textContent('#errors-cleanse'), /out_of_range|\b422\b/);
    await screenshot(page, SHOTS, 's4-session-deviation-asked');
    await page.fill('#record-cleanse textarea[name="deviation_reason"]', 'Typed minutes for seconds; corrected in an amendment.');
    await page.click('#sign-cleanse');
    await page.waitForSelector('#step-cleanse .record');
    const rec = await page.textContent('#step-cleanse .record');
    assert.match(rec, /Timed by the server: \d+ s/);
    assert.match(rec, /Ended early.*Client asked to move on/);
    assert.match(rec, /Outside the protocol.*Duration/);
    // exfoliation: the agent in words (salicylic acid (BHA)), never the stored value
    assert.equal(await currentStep(), 'exfoliate');
    const agent = page.locator('#record-exfoliate select[data-param="agent"]');
    assert.ok((await agent.locator('option').allTextContents()).includes('salicylic acid (BHA)'));
    assert.doesNotMatch(await page.textContent('main'), /salicylic_acid|gauze_fingers|warm_towel/, 'no raw values on the page');
    // the rest, quickly: each timed step asks why it ended early; high frequency is not done
    for (let guard = 0; guard < 10; guard++) {
        const step = await currentStep();
        if (!step) break;
        if (step === 'high_frequency') {
            await page.fill('#record-high_frequency textarea[name="notes"]', 'Client declined the electrode today.');
            await page.click('#notdone-high_frequency');
        } else {
            if (await page.locator(`#early-${step}`).isVisible()) await page.fill(`#record-${step} textarea[name="early_reason"]`, 'A quick run-through in the browser test.');
            await page.click(`#sign-${step}`);
        }
        await page.waitForSelector(`#step-${step} .record`);
    }
    const s = await call('GET', `/api/sessions/${state.sid}`);
    const byStep = Object.fromEntries(s.data.steps.map((x) => [x.step, x.record]));
    assert.equal(byStep.cleanse.ended_early, true);
    assert.equal(byStep.cleanse.deviation_reason, 'Typed minutes for seconds; corrected in an amendment.');
    assert.equal(byStep.high_frequency.outcome, 'not_done');
    assert.deepEqual(byStep.high_frequency.params, {});
    state.recorded = true;
});

test('signing: a confirmation shows what will be signed and asks for the password again', async (t) => {
    if (!needs(state, t, ['recorded'])) return;
    await signIn('demo');
    const bad = [];
    for (const [label, w, hgt] of [...WIDTHS].reverse()) {
        await page.setViewportSize({ width: w, height: hgt });
        await goto(`/session?id=${state.sid}`);
        await page.click('#sign-session');
        await page.waitForSelector('#sign-dialog[open] #sign-summary');
        const o = await overflowOf(page);
        if (o.length) bad.push(`${label} ${w}: ${o.join('; ')}`);
        if (label === 'phone') await dialogShot('#sign-dialog', 's5-sign-confirmation-phone-390');
        if (label !== 'desktop') await page.click('#sign-cancel');
    }
    assert.deepEqual(bad, [], 'the confirmation fits every width');
    // what will be signed: each step, done or not, its parameters and time
    const row = (step) => page.locator(`#sign-summary tr[data-step="${step}"]`);
    assert.match(await row('cleanse').textContent(), /Done.*Duration: 600 min.*Ended early/);
    assert.match(await row('high_frequency').textContent(), /Not done — Client declined/);
    assert.doesNotMatch(await row('high_frequency').textContent(), /argon|Gas|✓/, 'a step not done: no parameters, no tick');
    assert.match(await row('mask').textContent(), /\d+ s/, 'the time the server measured');
    await dialogShot('#sign-dialog', 's6-sign-confirmation');
    // a wrong password: nothing signed, said in words
    await page.fill('#sign-dialog input[name="password"]', 'not my password');
    await page.click('#sign-confirm');
    await page.waitForSelector('#sign-dialog-errors .alert');
    assert.match(await page.textContent('#sign-dialog-errors'), /Wrong password — the session is not signed/);
    assert.equal((await call('GET', `/api/sessions/${state.sid}`)).data.status, 'open');
    await page.fill('#sign-dialog input[name="password"]', PW.demo);
    await page.click('#sign-confirm');
    await page.waitForSelector('#amend-form');
    assert.equal(await page.locator('#sign-dialog').count(), 0, 'the dialog is gone');
    assert.equal((await call('GET', `/api/sessions/${state.sid}`)).data.status, 'signed');
    // a not-done step after signing: no tick, no parameters (17.10)
    const hf = await page.textContent('#step-high_frequency');
    assert.doesNotMatch(hf, /✓|Parameters as done/);
    // an amendment is a late entry
    await page.fill('#amend-form textarea', 'Cleanse was 6 min, not 600: minutes typed as seconds.');
    await page.click('#amend-save');
    await page.waitForSelector('.amendment[data-late="true"]');
    assert.match(await page.textContent('.amendment'), /Late entry.*after signing/);
    await page.setViewportSize({ width: 1280, height: 800 });
    state.signed = true;
});

test('cancel: an open session is cancelled with a reason, after a confirmation, and is read-only', async (t) => {
    if (!needs(state, t, ['sid'])) return;
    await signIn('demo');
    const sofia = await clientNamed('Sofia Rossi');
    const consent = await call('POST', `/api/clients/${sofia}/consents`, { agreed: ['treatment'], client_name: 'Sofia Rossi' });
    const sess = await call('POST', `/api/clients/${sofia}/sessions`, { consent_id: consent.data.id });
    assert.equal(sess.status, 201, JSON.stringify(sess.data));
    const bad = [];
    for (const [label, w, hgt] of [...WIDTHS].reverse()) {
        await page.setViewportSize({ width: w, height: hgt });
        await goto(`/session?id=${sess.data.id}`);
        await page.click('#cancel-session');
        await page.waitForSelector('#cancel-dialog[open]');
        const o = await overflowOf(page);
        if (o.length) bad.push(`${label} ${w}: ${o.join('; ')}`);
        if (label !== 'desktop') await page.click('#cancel-back');
    }
    assert.deepEqual(bad, [], 'the confirmation fits every width');
    await page.click('#cancel-confirm');
    assert.match(await page.textContent('#cancel-dialog-errors'), /Say why/);
    assert.equal((await call('GET', `/api/sessions/${sess.data.id}`)).data.status, 'open');
    await page.fill('#cancel-dialog textarea[name="reason"]', 'Client felt unwell and went home.');
    await page.click('#cancel-confirm');
    await page.waitForSelector('#session-cancelled');
    assert.match(await page.textContent('#cancel-reason'), /Client felt unwell/);
    assert.equal(await page.locator('.record-form, #cancel-session, #sign-session, [id^="start-"]').count(), 0, 'nothing more can be done in it');
    await screenshot(page, SHOTS, 's7-session-cancelled');
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.equal((await call('GET', `/api/sessions/${sess.data.id}`)).data.status, 'cancelled');
});

test('no page error and no Content-Security-Policy violation', () => {
    assert.deepEqual(problems, []);
});
