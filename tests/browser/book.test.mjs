// SPDX-License-Identifier: AGPL-3.0-or-later
// Browser check of the appointment book (web/book.html): Debian's Chromium driven by
// playwright-core against the real `poreclear serve --demo` (started by test_book.sh, clinic
// time zone Europe/Paris; the browser itself runs in UTC, so the times shown must be the
// clinic's, not the browser's). Steps run in order and share state.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launchChromium, screenshot, gotoDrawn, apiCall, openPage, needs } from './lib.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const URL0 = process.env.PC_URL;
const PW = process.env.PC_PASSWORD;
const SHOTS = process.env.PC_SCREENSHOTS || 'build/screenshots';
const TIMEOUT = Number(process.env.PC_STEP_TIMEOUT_MS || 15000);

let browser;
const problems = [];
const state = {};

// A Monday at least `days` days from today ("YYYY-MM-DD").
function mondayAfter(days) {
    const d = new Date();
    d.setUTCDate(d.getUTCDate() + days);
    while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
}

async function signIn(width, height, user) {
    const page = await openPage(browser, { width, height, timeout: TIMEOUT, problems, label: () => user });
    await page.goto(`${URL0}/login`);
    await page.fill('#username', user);
    await page.fill('#password', PW);
    await page.click('#login-submit');
    await page.waitForURL((u) => u.pathname === '/');
    return page;
}

async function noSidewaysScroll(page) {
    return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

before(async () => {
    assert.ok(URL0, 'PC_URL must name the server');
    browser = await launchChromium(chromium, process.env.PC_CHROMIUM || '/usr/bin/chromium');
});

after(async () => {
    if (browser) await browser.close();
    assert.deepEqual(problems, [], 'no page errors');
});

test('reception books from a free slot of the week view', async () => {
    const page = await signIn(1280, 900, 'desk');
    state.desk = page;
    state.monday = mondayAfter(14);
    const users = await apiCall(page, 'GET', '/api/users');
    state.dana = users.data.users.find((u) => u.username === 'demo').id;
    await gotoDrawn(page, `${URL0}/book?view=week&date=${state.monday}&practitioner=${state.dana}`);
    await page.waitForSelector('#book-board .book-grid.week');
    assert.equal(await page.locator('.book-day').count(), 7, 'a week of seven days');
    const monday = page.locator(`.book-day[data-date="${state.monday}"]`);
    const first = monday.locator('.slot').first();
    assert.equal(await first.textContent(), '09:00 free', 'the first slot is 9:00 on the clinic\'s clock');
    await first.click();
    await page.fill('#book-client-q', 'Sofia');
    await page.waitForSelector('#book-client option:has-text("Sofia Rossi")', { state: 'attached' });
    await page.selectOption('#book-client', { label: await page.locator('#book-client option').first().textContent() });
    await page.click('#book-submit');
    await page.waitForSelector('#booked-note');
    assert.match(await page.textContent('#booked-note'), /Sofia Rossi with Dana Moreau, .* at 09:00/);
    const card = monday.locator('.appt').first();
    await card.waitFor();
    assert.match(await card.locator('.appt-time').textContent(), /^09:00–10:15$/);
    state.appt = Number(await card.getAttribute('data-id'));
    // the demo client has no consent and no photo yet: the front desk sees what to prepare
    assert.equal(await card.locator('.checks li[data-code="consent_missing"]').count(), 1);
    assert.equal(await card.locator('.checks li[data-code="photos_missing"]').count(), 1);
    await screenshot(page, SHOTS, 'book-week');
});

test('move and cancel from the book; arrived', async (t) => {
    if (!needs(state, t, ['appt'], 'a booking')) return;
    const page = state.desk;
    const card = () => page.locator(`.appt[data-id="${state.appt}"]`);
    await card().locator('[data-act="move"]').click();
    const form = card().locator('form[data-form="move"]');
    await form.locator('select[name="start"] option[value*="T11:00:00"]').waitFor({ state: 'attached' });
    const v = await form.locator('select[name="start"] option[value*="T11:00:00"]').getAttribute('value');
    await form.locator('select[name="start"]').selectOption(v);
    await form.locator('button[type="submit"]').click();
    await page.waitForFunction((id) => {
        const el = document.querySelector(`.appt[data-id="${id}"] .appt-time`);
        return el && el.textContent.startsWith('11:00');
    }, state.appt);
    await card().locator('[data-act="arrived"]').click();
    await page.waitForFunction((id) => {
        const el = document.querySelector(`.appt[data-id="${id}"]`);
        return el && el.classList.contains('arrived');
    }, state.appt);
    await card().locator('[data-act="cancel"]').click();
    await card().locator('form[data-form="cancel"] input[name="reason"]').fill('the client called in sick');
    await card().locator('form[data-form="cancel"] button[type="submit"]').click();
    await page.waitForFunction((id) => {
        const el = document.querySelector(`.appt[data-id="${id}"]`);
        return el && el.classList.contains('cancelled');
    }, state.appt);
    assert.match(await card().textContent(), /Cancelled: the client called in sick/);
});

test('drag an appointment onto a free slot; the server checks it again; the keyboard way', async (t) => {
    if (!needs(state, t, ['dana'], 'the practitioners')) return;
    const page = state.desk;
    const users = await apiCall(page, 'GET', '/api/users');
    const tom = users.data.users.find((u) => u.username === 'trainee').id;
    const tuesday = new Date(`${state.monday}T12:00:00Z`);
    tuesday.setUTCDate(tuesday.getUTCDate() + 1);
    const day = tuesday.toISOString().slice(0, 10);
    const mk = async (name) => (await apiCall(page, 'POST', '/api/clients', { name, birth_date: '1988-08-08' })).data.id;
    const c1 = await mk('Drag Client');
    const c2 = await mk('Other Client');
    const at = (hhmm) => `${day}T${hhmm}:00+01:00`;
    const b = await apiCall(page, 'POST', '/api/appointments', { client_id: c1, practitioner_id: state.dana, start: at('09:00') });
    assert.equal(b.status, 201, JSON.stringify(b.data));
    const id = b.data.id;
    const where = async () => {
        const g = await apiCall(page, 'GET', `/api/appointments/${id}`);
        return [g.data.practitioner_id, g.data.start.slice(11, 16)];
    };
    const slot = (pid, hhmm) => page.locator(`#book-board .book-col[data-practitioner="${pid}"] .slot[data-start^="${day}T${hhmm}"]`);
    const drag = async (target) => {
        const from = await page.locator(`.appt[data-id="${id}"] .appt-drag`).boundingBox();
        await target.scrollIntoViewIfNeeded();
        const to = await target.boundingBox();
        await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
        await page.mouse.down();
        await page.mouse.move(from.x + 40, from.y + 30, { steps: 4 });
        await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
        await page.mouse.up();
    };
    await gotoDrawn(page, `${URL0}/book?view=day&date=${day}`);
    await page.waitForSelector(`.appt[data-id="${id}"] .appt-drag`);
    // 1. with the pointer, onto Tom's 14:00: another practitioner and time
    await drag(slot(tom, '14:00'));
    await page.waitForSelector('#moved-note');
    assert.match(await page.textContent('#moved-note'), /Drag Client with Tom Trainee, .* at 14:00/);
    assert.deepEqual(await where(), [tom, '14:00']);
    await screenshot(page, SHOTS, 'book-dragged');
    // 2. a slot taken since the page was drawn: the server refuses the move and says why
    const taken = await apiCall(page, 'POST', '/api/appointments', { client_id: c2, practitioner_id: state.dana, start: at('11:00') });
    assert.equal(taken.status, 201);
    await drag(slot(state.dana, '11:00'));
    await page.waitForSelector('#book-msg:not([hidden]) .alert.error');
    assert.match(await page.textContent('#book-msg'), /already booked/);
    assert.deepEqual(await where(), [tom, '14:00'], 'nothing moved');
    // 3. the keyboard: Enter picks it up, Escape puts it back; Enter on a slot moves it there
    await page.locator(`.appt[data-id="${id}"] .appt-drag`).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#book-moving:not([hidden])');
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('slot')), true, 'focus on a free slot');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#book-moving', { state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('appt-drag')), true, 'focus back on the handle');
    await page.keyboard.press('Space');
    await page.waitForSelector('#book-moving:not([hidden])');
    await slot(state.dana, '16:00').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction((i) => {
        const el = document.querySelector(`.appt[data-id="${i}"] .appt-time`);
        return el && el.textContent.startsWith('16:00');
    }, id);
    assert.deepEqual(await where(), [state.dana, '16:00']);
    assert.equal(await page.locator('#book-form, form[data-form="book"]').count(), 0, 'a slot chosen to move to opens no booking form');
});

test('pre-visit warnings: the plan on the appointment\'s date, for practitioners only', async () => {
    const page = await signIn(1280, 900, 'demo');
    state.pract = page;
    const today = new Date().toISOString().slice(0, 10);
    const c = await apiCall(page, 'POST', '/api/clients', { name: 'Plan Client', birth_date: '1975-05-05' });
    assert.equal(c.status, 201);
    const i = await apiCall(page, 'POST', `/api/clients/${c.data.id}/intakes`, {
        client: { skin_type: 'oily', fitzpatrick: 3 }, recent_procedures: [{ kind: 'surgery', date: today }],
    });
    assert.equal(i.status, 201);
    const slots = await apiCall(page, 'GET', `/api/practitioners/${state.dana}/free?from=${state.monday}&to=${state.monday}T23:00:00%2B01:00&duration_min=75`);
    const start = slots.data.slots[slots.data.slots.length - 1].start;
    const b = await apiCall(page, 'POST', '/api/appointments', { client_id: c.data.id, practitioner_id: state.dana, start });
    assert.equal(b.status, 201, JSON.stringify(b.data));
    state.blocked = b.data.id;
    await gotoDrawn(page, `${URL0}/book?view=day&date=${state.monday}`);
    const card = page.locator(`.appt[data-id="${state.blocked}"]`);
    await card.waitFor();
    assert.equal(await card.locator('.checks li[data-code="plan_blocked"]').count(), 1, 'the practitioner sees the block');
    assert.match(await card.locator('.checks li[data-code="plan_blocked"]').textContent(), /blocked/i);
    await screenshot(page, SHOTS, 'book-day-practitioner');
    // reception: the same appointment without the clinical item
    await gotoDrawn(state.desk, `${URL0}/book?view=day&date=${state.monday}`);
    const rc = state.desk.locator(`.appt[data-id="${state.blocked}"]`);
    await rc.waitFor();
    assert.equal(await rc.locator('.checks li[data-code="plan_blocked"]').count(), 0, 'reception is not told why');
    assert.equal(await rc.locator('.checks li[data-code="consent_missing"]').count(), 1);
    assert.doesNotMatch(await rc.textContent(), /surgery|blocked/i);
});

for (const [w, hgt, name] of [[820, 1180, 'tablet'], [390, 844, 'phone']]) {
    test(`the clinic's day view on a ${name} (${w} px): no sideways scrolling`, async (t) => {
        if (!needs(state, t, ['blocked'], 'appointments')) return;
        const page = await signIn(w, hgt, 'desk');
        await gotoDrawn(page, `${URL0}/book?view=day&date=${state.monday}`);
        await page.waitForSelector('.book-grid.day .appt');
        assert.ok(await noSidewaysScroll(page), `the page fits ${w} px`);
        await screenshot(page, SHOTS, `book-day-${name}`);
        await page.selectOption('#book-view', 'week');
        await page.waitForSelector('.book-grid.week');
        assert.ok(await noSidewaysScroll(page), `the week fits ${w} px`);
        await page.context().close();
    });
}

test('a practitioner\'s calendar subscription: make, read without a login, revoke', async () => {
    const page = state.pract;
    await gotoDrawn(page, `${URL0}/book?view=day&date=${state.monday}`);
    await page.waitForSelector('#book-feed:not([hidden]) #feed-create');
    await page.click('#feed-create');
    await page.waitForSelector('#feed-url');
    const url = await page.inputValue('#feed-url');
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/api\/feeds\/[0-9a-f]{32}\.ics$/);
    assert.match(await page.getAttribute('#feed-webcal', 'href'), /^webcal:\/\//);
    await screenshot(page, SHOTS, 'book-feed');
    // a calendar application reads it without a login: the practitioner's appointments
    const anon = await browser.newContext();
    let r = await anon.request.get(url);
    assert.equal(r.status(), 200);
    assert.match(r.headers()['content-type'], /^text\/calendar/);
    const ics = await r.text();
    assert.match(ics, /BEGIN:VCALENDAR/);
    assert.ok(ics.includes(`poreclear-appointment-${state.blocked}-`), 'the appointment is in the feed');
    assert.doesNotMatch(ics, /Plan Client/, 'no client names unless the clinic turns them on');
    // reload: the address is not shown again, only that one is in use
    await gotoDrawn(page, `${URL0}/book?view=day&date=${state.monday}`);
    await page.waitForSelector('#feed-revoke');
    assert.equal(await page.locator('#feed-url').count(), 0, 'shown only when made');
    assert.match(await page.textContent('#feed-state'), /in use since/);
    await page.click('#feed-revoke');
    await page.waitForSelector('#feed-create');
    r = await anon.request.get(url);
    assert.equal(r.status(), 404, 'a revoked address answers nothing');
    await anon.close();
    // reception has no calendar of its own
    await gotoDrawn(state.desk, `${URL0}/book?view=day&date=${state.monday}`);
    await state.desk.waitForSelector('#book-board .book-grid');
    assert.equal(await state.desk.locator('#book-feed:not([hidden])').count(), 0);
});

test('rebook from the aftercare page: "Book it now" offers the slots around the date', async () => {
    const page = state.pract;
    // a signed session of the ordinary demo client: every step recorded, then signed
    const clients = await apiCall(page, 'GET', '/api/clients?q=Sofia');
    const cid = clients.data.clients[0].id;
    const cons = await apiCall(page, 'POST', `/api/clients/${cid}/consents`, {
        agreed: ['treatment', 'extraction', 'high_frequency', 'chemical_exfoliation', 'photos'], client_name: 'Sofia Rossi',
    });
    assert.equal(cons.status, 201);
    const s = await apiCall(page, 'POST', `/api/clients/${cid}/sessions`, { consent_id: cons.data.id });
    assert.equal(s.status, 201, JSON.stringify(s.data));
    for (const step of s.data.steps.filter((x) => x.action !== 'skip')) {
        const r = await apiCall(page, 'POST', `/api/sessions/${s.data.id}/steps/${step.step}/record`, { outcome: 'not_done', notes: 'browser test' });
        assert.equal(r.status, 200, JSON.stringify(r.data));
    }
    // signing needs the signer's password again (issue 17.2)
    const signed = await apiCall(page, 'POST', `/api/sessions/${s.data.id}/sign`, { password: PW });
    assert.equal(signed.status, 200, JSON.stringify(signed.data));
    const rebook = signed.data.rebook_date;
    assert.ok(rebook, 'the signed session has a rebooking date');
    await gotoDrawn(page, `${URL0}/aftercare?session=${s.data.id}`);
    await page.click('#book-now');
    await page.waitForURL((u) => u.pathname === '/book' && u.searchParams.get('around') === rebook);
    await page.waitForSelector('#book-for');
    await page.waitForSelector('.book-grid.week');
    const days = await page.locator('.book-day').evaluateAll((els) => els.map((e) => e.dataset.date));
    assert.equal(days.length, 7);
    assert.ok(days.includes(rebook), 'the week shown holds the rebooking date');
    const slot = page.locator('.book-day .slot').first();
    await slot.waitFor();
    await slot.click();
    assert.equal(await page.locator('#book-client option').first().textContent(), 'Sofia Rossi', 'booking for the client of the handout');
    await page.click('#book-submit');
    await page.waitForSelector('#booked-note');
    assert.match(await page.textContent('#booked-note'), /^Sofia Rossi with /);
    await screenshot(page, SHOTS, 'book-rebook');
});

test('admin → E-mail: the SMTP settings and the outbox', async () => {
    const page = await signIn(1024, 768, 'admin');
    await gotoDrawn(page, `${URL0}/admin#mail`);
    await page.waitForSelector('#mail-form');
    await page.fill('#mail-form [name="smtp_url"]', 'http://not-smtp.example:25');
    await page.fill('#mail-form [name="mail_from"]', 'desk@lumen.example');
    await page.click('#mail-save');
    await page.waitForSelector('#mail-errors:not([hidden])');
    assert.match(await page.textContent('#mail-errors'), /smtp:\/\/HOST:PORT/);
    await page.fill('#mail-form [name="smtp_url"]', 'smtp://127.0.0.1:9');
    await page.click('#mail-save');
    await page.waitForSelector('#mail-notice .alert');
    const s = await apiCall(page, 'GET', '/api/settings/mail');
    assert.equal(s.data.smtp_url, 'smtp://127.0.0.1:9');
    assert.equal(s.data.mail_from, 'desk@lumen.example');
    await screenshot(page, SHOTS, 'admin-mail');
    await page.context().close();
});
