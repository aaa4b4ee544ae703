// SPDX-License-Identifier: AGPL-3.0-or-later
// Browser tests of the client portal (issue 12) on a phone, 390 x 844: the desk invites a client
// (the staff API, from a staff page), the client opens the link and sets a password, lands on the
// portal's home, signs out and in again, turns on the extra sign-in code (a TOTP computed here
// from the secret the page shows) and needs it at the next sign-in; a staff route refuses the
// client's session. Debian's Chromium driven by playwright-core against the real
// `poreclear serve --demo` (test_portal.sh). Top-level tests run in order and share state; a
// test whose prerequisite failed is skipped with the reason.
//
//   PC_URL=http://127.0.0.1:PORT PC_PASSWORD=.. node --test --test-reporter=tap tests/browser/portal.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { launchChromium, openPage, screenshot, apiCall, needs, overflowOf } from './lib.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const URL0 = process.env.PC_URL;
const PW = process.env.PC_PASSWORD;
const SHOTS = process.env.PC_SCREENSHOTS || 'build/screenshots';
const CHROMIUM = process.env.PC_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.PC_STEP_TIMEOUT_MS || 8000);
const CLIENT_PW = 'my portal password 1';

const state = {};
const problems = [];
let browser;
let staff; // a staff page (desktop)
let phone; // the client's phone

// RFC 6238 with SHA-1, 6 digits, 30 s, `offset` steps from now.
function totp(b32, offset) {
    const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = '';
    for (const c of b32.replace(/\s+/g, '')) bits += alpha.indexOf(c).toString(2).padStart(5, '0');
    const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
    const h = crypto.createHmac('sha1', key).update(msg).digest();
    const o = h[h.length - 1] & 15;
    return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

// axe-core's serious and critical findings on the page as it is (WCAG 2.1 AA, issue 12.7).
async function axeSerious(page) {
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
    return page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
}

async function phoneShot(name) {
    const over = await overflowOf(phone);
    assert.deepEqual(over, [], `${name}: nothing sticks out sideways at 390 px`);
    assert.deepEqual(await axeSerious(phone), [], `${name}: no serious or critical axe-core finding`);
    await screenshot(phone, SHOTS, `portal-${name}`);
}

before(async () => {
    browser = await launchChromium(chromium, CHROMIUM);
    staff = await openPage(browser, { width: 1280, height: 800, timeout: TIMEOUT, problems, label: () => 'staff' });
    phone = await openPage(browser, { width: 390, height: 844, timeout: TIMEOUT, problems, label: () => 'client' });
});

after(async () => {
    if (browser) await browser.close();
});

test('the desk invites a client to the portal', async () => {
    await staff.goto(`${URL0}/login`);
    await staff.fill('#username', 'desk');
    await staff.fill('#password', PW);
    await staff.click('#login-submit');
    await staff.waitForURL((u) => !u.pathname.startsWith('/login'));
    const list = await apiCall(staff, 'GET', '/api/clients?q=Sofia');
    assert.equal(list.status, 200);
    state.cid = list.data.clients[0].id;
    const inv = await apiCall(staff, 'POST', `/api/clients/${state.cid}/invitation`, {});
    assert.equal(inv.status, 201, JSON.stringify(inv.data));
    assert.match(inv.data.url, /\/portal\/accept\?token=[0-9a-f]{64}$/);
    state.url = inv.data.url;
});

test('the client sets a password from the link, on a phone', async (t) => {
    if (!needs(state, t, ['url'], 'the invitation')) return;
    await phone.goto(state.url);
    await phone.waitForSelector('#accept-form');
    await phoneShot('accept');
    await phone.fill('#new_password', CLIENT_PW);
    await phone.fill('#new_password2', 'not the same password');
    await phone.click('#accept-submit');
    await phone.waitForSelector('#portal-msg.bad');
    assert.match(await phone.textContent('#portal-msg'), /not the same/);
    await phone.fill('#new_password2', CLIENT_PW);
    await phone.click('#accept-submit');
    await phone.waitForURL((u) => u.pathname === '/portal/home');
    await phone.waitForSelector('#home-hello:not(:empty)');
    const hello = await phone.textContent('#home-hello');
    assert.match(hello, /Hello Sofia/);
    state.username = hello.match(/user name is (\S+)\./)[1];
    await phoneShot('home');
    // the link works once
    await phone.goto(state.url);
    await phone.fill('#new_password', CLIENT_PW);
    await phone.fill('#new_password2', CLIENT_PW);
    await phone.click('#accept-submit');
    await phone.waitForSelector('#portal-msg.bad');
    assert.match(await phone.textContent('#portal-msg'), /used already or has expired/);
});

test('a staff route refuses the client session', async (t) => {
    if (!needs(state, t, ['username'], 'the account')) return;
    const r = await phone.evaluate(async (cid) => (await fetch(`/api/clients/${cid}`)).status, state.cid);
    assert.equal(r, 403);
});

test('the client signs out and in again', async (t) => {
    if (!needs(state, t, ['username'], 'the account')) return;
    await phone.goto(`${URL0}/portal/home`);
    await phone.click('#portal-logout');
    await phone.waitForURL((u) => u.pathname === '/portal/login');
    await phone.goto(`${URL0}/portal/security`); // no session: sent to sign in, then back
    await phone.waitForURL((u) => u.pathname === '/portal/login');
    await phone.fill('#username', state.username);
    await phone.fill('#password', 'a wrong password');
    await phone.click('#login-submit');
    await phone.waitForSelector('#portal-msg.bad');
    await phoneShot('login-wrong');
    await phone.fill('#password', CLIENT_PW);
    await phone.click('#login-submit');
    await phone.waitForURL((u) => u.pathname === '/portal/security');
    state.signedIn = true;
});

test('the extra sign-in code: set up, then asked for at sign-in', async (t) => {
    if (!needs(state, t, ['signedIn'], 'a signed-in client')) return;
    await phone.waitForSelector('#sec-username:not(:empty)');
    await phone.click('#totp-start');
    await phone.waitForSelector('#totp-confirm-form:not([hidden])');
    const secret = (await phone.textContent('#totp-secret')).replace(/\s+/g, '');
    assert.match(await phone.getAttribute('#totp-link', 'href'), /^otpauth:\/\/totp\//);
    await phoneShot('totp-setup');
    await phone.fill('#totp-code', totp(secret, 0));
    await phone.click('#totp-confirm-form button[type=submit]');
    await phone.waitForSelector('#portal-msg.ok');
    assert.match(await phone.textContent('#totp-state'), /^On/);
    await phone.click('#portal-logout');
    await phone.waitForURL((u) => u.pathname === '/portal/login');
    await phone.fill('#username', state.username);
    await phone.fill('#password', CLIENT_PW);
    await phone.click('#login-submit');
    await phone.waitForSelector('#code-field:not([hidden])');
    await phoneShot('login-code');
    await phone.fill('#code', totp(secret, 1)); // the next step: the first code is spent
    await phone.click('#login-submit');
    await phone.waitForURL((u) => u.pathname === '/portal/home');
    state.secret = secret;
});

test('the intake before the visit: plain questions, an isotretinoin answer', async (t) => {
    if (!needs(state, t, ['secret'], 'a signed-in client')) return;
    await phone.goto(`${URL0}/portal/intake`);
    await phone.waitForSelector('#portal-msg.ok'); // the last answers are filled in
    const legend = await phone.textContent('fieldset:nth-of-type(2) legend');
    assert.match(legend, /isotretinoin \(Roaccutane, Accutane, Absorica\) in the last year/);
    await phone.check('#iso-yes');
    await phone.waitForSelector('#iso-when:not([hidden])');
    const d = new Date(Date.now() - 60 * 86400000).toISOString().slice(0, 10);
    await phone.fill('#iso-date', d);
    await phone.fill('#medications', 'doxycycline');
    await phone.click('#intake-submit');
    await phone.waitForFunction(() => /answers are saved/.test(document.getElementById('portal-msg').textContent));
    // nothing of the screening on the client's page
    const text = await phone.textContent('main');
    assert.doesNotMatch(text, /blocked|contraindicat|screening|needs review/i);
    await phoneShot('intake');
    state.isoDate = d;
});

test('the practitioner sees the new version, what changed and the screening now', async (t) => {
    if (!needs(state, t, ['isoDate'], 'the client\'s intake')) return;
    await staff.context().clearCookies();
    await staff.goto(`${URL0}/login`);
    await staff.fill('#username', 'demo');
    await staff.fill('#password', PW);
    await staff.click('#login-submit');
    await staff.waitForURL((u) => !u.pathname.startsWith('/login'));
    await staff.goto(`${URL0}/client?id=${state.cid}`);
    await staff.waitForSelector('#portal-intake');
    const box = await staff.textContent('#portal-intake');
    assert.match(box, /From the client/);
    assert.match(box, new RegExp(`isotretinoin \\(last taken ${state.isoDate}\\)`));
    assert.match(box, /doxycycline/);
    const status = await staff.textContent('#portal-intake-status');
    assert.doesNotMatch(status, /\bok\b/i, 'the plan is no longer ok');
    const hist = await staff.textContent('#intake-history li:first-child summary');
    assert.match(hist, /from the client/);
    assert.deepEqual(await axeSerious(staff), [], 'the client page: no serious or critical axe-core finding');
    await screenshot(staff, SHOTS, 'portal-practitioner-client');
    // and the phone layout of the same page
    await staff.setViewportSize({ width: 390, height: 844 });
    await screenshot(staff, SHOTS, 'portal-practitioner-client-390');
    await staff.setViewportSize({ width: 1280, height: 800 });
});

test('consent: read, typed name, a signature drawn with pointer events, signed', async (t) => {
    if (!needs(state, t, ['secret'], 'a signed-in client')) return;
    await phone.goto(`${URL0}/portal/consent`);
    await phone.waitForSelector('#consent-items .consent-item');
    const items = await phone.$$eval('#consent-items h3', (els) => els.map((e) => e.textContent));
    assert.ok(items.includes('The deep pore cleansing facial'), items.join(' | '));
    // nothing drawn yet: refused by the page
    await phone.click('#sign-submit');
    await phone.waitForSelector('#portal-msg.bad');
    assert.match(await phone.textContent('#portal-msg'), /draw your signature/);
    // a signature: pointer events synthesised on the canvas (a pen going down, moving, up)
    const box = await phone.locator('#sig-pad').boundingBox();
    await phone.evaluate(({ x0, y0, w, hgt }) => {
        const pad = document.getElementById('sig-pad');
        const fire = (type, x, y) => pad.dispatchEvent(new PointerEvent(type, {
            bubbles: true, cancelable: true, pointerId: 7, pointerType: 'touch', isPrimary: true,
            clientX: x0 + x, clientY: y0 + y, buttons: type === 'pointerup' ? 0 : 1,
        }));
        fire('pointerdown', 20, hgt * 0.6);
        for (let i = 1; i <= 40; i++) fire('pointermove', 20 + i * (w - 40) / 40, hgt * (0.6 - 0.3 * Math.sin(i / 4)));
        fire('pointerup', w - 20, hgt * 0.4);
    }, { x0: box.x, y0: box.y, w: box.width, hgt: box.height });
    await phone.fill('#typed_name', 'Sofia Rossi');
    await phoneShot('consent-drawn');
    await phone.click('#sign-submit');
    await phone.waitForFunction(() => /consent is signed/.test(document.getElementById('portal-msg').textContent));
    await phone.waitForSelector('#signed-list .signed-item');
    await phoneShot('consent-signed');
    state.consentSigned = true;
});

test('the practitioner sees the signed consent on the session page', async (t) => {
    if (!needs(state, t, ['consentSigned'], 'a signed consent')) return;
    // a session of the client today (the staff's consent for the visit, then the session)
    const c = await apiCall(staff, 'POST', `/api/clients/${state.cid}/consents`, { agreed: ['treatment'], client_name: 'Sofia Rossi' });
    assert.equal(c.status, 201, JSON.stringify(c.data));
    const plan = await apiCall(staff, 'GET', `/api/clients/${state.cid}/plan`);
    const body = { consent_id: c.data.id };
    if (!plan.data.can_start) {
        const rv = await apiCall(staff, 'POST', `/api/clients/${state.cid}/reviews`, { intake_id: plan.data.intake_id, decision: 'proceed', reason: 'Reviewed the isotretinoin answer with the client.' });
        assert.equal(rv.status, 201, JSON.stringify(rv.data));
        body.review_id = rv.data.id;
    }
    const sess = await apiCall(staff, 'POST', `/api/clients/${state.cid}/sessions`, body);
    assert.equal(sess.status, 201, JSON.stringify(sess.data));
    await staff.goto(`${URL0}/session?id=${sess.data.id}`);
    await staff.waitForSelector('#online-consent');
    assert.match(await staff.textContent('#online-consent-state'), /Signed .* by Sofia Rossi/);
    const ok = await staff.$eval('#online-signature', (img) => img.complete && img.naturalWidth > 0);
    assert.ok(ok, 'the drawn signature shows as a picture');
    assert.deepEqual(await axeSerious(staff), [], 'the session page: no serious or critical axe-core finding');
    await screenshot(staff, SHOTS, 'portal-session-consent');
    state.sid = sess.data.id;
});

test('the client withdraws the consent; the session page says so', async (t) => {
    if (!needs(state, t, ['sid'], 'the session')) return;
    await phone.goto(`${URL0}/portal/consent`);
    phone.once('dialog', (d) => d.accept());
    await phone.click('#signed-list button.withdraw');
    await phone.waitForFunction(() => /withdrawn/.test(document.getElementById('portal-msg').textContent));
    await phoneShot('consent-withdrawn');
    await staff.goto(`${URL0}/session?id=${state.sid}`);
    await staff.waitForSelector('#online-consent');
    assert.match(await staff.textContent('#online-consent-state'), /Withdrawn/);
});

test('consent by keyboard alone: the typed name as the signature, signed with Enter', async (t) => {
    if (!needs(state, t, ['consentSigned'], 'the consent page')) return;
    await phone.goto(`${URL0}/portal/consent`);
    await phone.waitForSelector('#consent-items .consent-item');
    const before = await phone.$$eval('#signed-list li.signed-item', (els) => els.length);
    await phone.focus('#typed_name');
    await phone.keyboard.press('Tab'); // the box is an image: focus goes on to its buttons
    assert.equal(await phone.evaluate(() => document.activeElement.id), 'sig-typed');
    await phone.keyboard.press('Enter');
    await phone.waitForFunction(() => /typed name is in the box/.test(document.getElementById('portal-msg').textContent));
    const inked = await phone.evaluate(() => {
        const pad = document.getElementById('sig-pad');
        const d = pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++;
        return n;
    });
    assert.ok(inked > 50, `the name is written in the box (${inked} dark pixels)`);
    await phone.keyboard.press('Tab'); // Clear
    await phone.keyboard.press('Tab'); // I agree and sign
    assert.equal(await phone.evaluate(() => document.activeElement.id), 'sign-submit');
    await phone.keyboard.press('Enter');
    await phone.waitForFunction(() => /consent is signed/.test(document.getElementById('portal-msg').textContent));
    await phone.waitForFunction((n) => document.querySelectorAll('#signed-list li.signed-item').length === n + 1, before);
    await phoneShot('consent-keyboard');
});

test('no page error or console error', () => {
    assert.deepEqual(problems, []);
});
