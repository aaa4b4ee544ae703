// SPDX-License-Identifier: AGPL-3.0-or-later
// Browser tests of the photo pages: Debian's Chromium driven by playwright-core against the real
// `poreclear serve --demo` (started by test_photos.sh with a known demo password). Top-level
// tests run in order and share state; a test whose prerequisite failed is skipped with the
// reason. Screenshots go to $PC_SCREENSHOTS (build/screenshots/).
//
//   PC_URL=http://127.0.0.1:PORT PC_PASSWORD=... PC_BEFORE=b.png PC_AFTER=a.png PC_VISIT2=v.png \
//   node --test --test-reporter=tap tests/browser/photos.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { launchChromium, openPage, screenshot, gotoDrawn, apiCall, needs } from './lib.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const URL0 = process.env.PC_URL;
const PW = process.env.PC_PASSWORD;
const SHOTS = process.env.PC_SCREENSHOTS || 'build/screenshots';
const CHROMIUM = process.env.PC_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.PC_STEP_TIMEOUT_MS || 15000);
const ANALYSIS_TIMEOUT = 90000;

const state = {};
let browser;
let page;
let who = '';
const problems = [];

function need(t, ...keys) {
    return needs(state, t, keys);
}

async function shot(name, opts) {
    await screenshot(page, SHOTS, name, opts);
}

async function goto(p) {
    await gotoDrawn(page, URL0 + p);
}

async function signIn(username) {
    if (who === username) return;
    await page.context().clearCookies();
    await page.goto(`${URL0}/login`);
    await page.fill('#username', username);
    await page.fill('#password', PW);
    await page.click('#login-submit');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.waitForSelector('#whoami');
    who = username;
}

// A JSON API call from inside the page (same cookies, the CSRF token from /api/session).
function call(method, p, body) {
    return apiCall(page, method, p, body);
}

async function uploadViaPage(file, kind) {
    await page.check(`#kind-${kind}`);
    await page.setInputFiles('#photo-file', file);
    await page.click('#photo-upload');
    const res = page.locator('#upload-result .alert');
    await res.waitFor({ timeout: ANALYSIS_TIMEOUT });
    return { ok: await res.evaluate((el) => el.classList.contains('ok')), text: await res.textContent() };
}

before(async () => {
    assert.ok(URL0, 'PC_URL must name the server');
    browser = await launchChromium(chromium, CHROMIUM);
    page = await openPage(browser, { width: 1024, height: 768, timeout: TIMEOUT, problems, label: () => who });
});

after(async () => {
    if (browser) await browser.close();
});

test('setup: the demo practitioner signs in; a client with a treatment session', async () => {
    assert.ok(PW, 'PC_PASSWORD (the demo password) is given');
    await signIn('demo');
    const list = await call('GET', '/api/clients?q=Sofia');
    assert.equal(list.status, 200);
    const sofia = list.data.clients.find((c) => c.name === 'Sofia Rossi');
    assert.ok(sofia, 'the demo clinic has Sofia Rossi');
    state.cid = sofia.id;
    const consent = await call('POST', `/api/clients/${sofia.id}/consents`, { agreed: ['treatment', 'extraction', 'photos'], client_name: 'Sofia Rossi' });
    assert.equal(consent.status, 201, JSON.stringify(consent.data));
    const plan = await call('GET', `/api/clients/${sofia.id}/plan`);
    const body = { consent_id: consent.data.id, implement_set: 'tray A' };
    if (!plan.data.can_start) {
        const review = await call('POST', `/api/clients/${sofia.id}/reviews`, { intake_id: plan.data.intake_id, decision: 'proceed', reason: 'Reviewed for the photo test.' });
        body.review_id = review.data.id;
    }
    const sess = await call('POST', `/api/clients/${sofia.id}/sessions`, body);
    assert.equal(sess.status, 201, JSON.stringify(sess.data));
    state.sid = sess.data.id;
    const photos = await call('GET', `/api/clients/${sofia.id}/photos`);
    assert.equal(photos.status, 200, `the photo API answers (backend of issue 7): ${photos.status} ${JSON.stringify(photos.data)}`);
    state.backend = true;
});

test('photos: a before and an after photo are uploaded, with upload and analysis progress', async (t) => {
    if (!need(t, 'backend')) return;
    await goto(`/photos?client=${state.cid}&session=${state.sid}`);
    assert.equal(await page.getAttribute('#photo-file', 'accept'), 'image/*');
    assert.equal(await page.getAttribute('#photo-file', 'capture'), 'environment', 'a tablet opens the camera');
    assert.equal(await page.inputValue('#photo-session'), String(state.sid), 'the session from the link is chosen');
    await shot('p0-photos-empty', { fullPage: false });
    const b = await uploadViaPage(process.env.PC_BEFORE, 'before');
    assert.ok(b.ok, `the before photo is analysed: ${b.text}`);
    assert.match(await page.textContent('#upload-status'), /Uploaded/);
    assert.match(await page.textContent('#analysis-status'), /done/i);
    const a = await uploadViaPage(process.env.PC_AFTER, 'after');
    assert.ok(a.ok, `the after photo is analysed: ${a.text}`);
    await page.waitForSelector('#photo-list li[data-kind="after"]');
    assert.equal(await page.locator('#photo-list li.photo-card').count(), 2);
    assert.ok(await page.locator(`#photo-list a[href="/compare?session=${state.sid}"]`).count() > 0, 'the page offers the comparison');
    await shot('p1-photos');
    state.photos = true;
});

test('photos: refusals are shown in words (not an image, empty file; busy is retried)', async (t) => {
    if (!need(t, 'backend')) return;
    await goto(`/photos?client=${state.cid}`);
    await page.setInputFiles('#photo-file', { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('this is not a photo at all, just text\n') });
    await page.click('#photo-upload');
    await page.waitForSelector('#upload-result .alert.error');
    let msg = await page.textContent('#upload-result');
    assert.match(msg, /not accepted/i);
    assert.match(await page.getAttribute('#upload-result .alert.error', 'data-code'), /^(type_mismatch|bad_image)$/, 'the server refused it');
    assert.doesNotMatch(msg, /\b(415|400)\b|type_mismatch|bad_image|Server answer/, 'in words, without status numbers or codes');
    await page.setInputFiles('#photo-file', { name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) });
    await page.click('#photo-upload');
    await page.waitForFunction(() => /empty/i.test(document.querySelector('#upload-result')?.textContent || ''));
    msg = await page.textContent('#upload-result');
    assert.equal(await page.getAttribute('#upload-result .alert.error', 'data-code'), 'empty');
    assert.doesNotMatch(msg, /\b400\b/);
    await shot('p1b-photo-refused', { fullPage: false });
    // 503 busy (a full analysis queue is hard to provoke on demand, so the network answers it
    // here): the page counts down Retry-After and sends again by itself; the second answer, a
    // 413, is shown in words
    let posts = 0;
    const pattern = /\/api\/clients\/\d+\/photos\?/;
    await page.route(pattern, (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        posts += 1;
        if (posts === 1) {
            return route.fulfill({ status: 503, headers: { 'Retry-After': '2' }, contentType: 'application/json', body: JSON.stringify({ error: 'The analysis queue is full; nothing was stored.', code: 'busy' }) });
        }
        return route.fulfill({ status: 413, contentType: 'application/json', body: JSON.stringify({ error: 'The photo is over 25 MiB.', code: 'too_large' }) });
    });
    try {
        await page.setInputFiles('#photo-file', process.env.PC_BEFORE);
        await page.click('#photo-upload');
        await page.waitForFunction(() => /busy.*retrying in \d+ s/.test(document.querySelector('#upload-status')?.textContent || ''));
        await page.waitForFunction(() => /too large/i.test(document.querySelector('#upload-result')?.textContent || ''));
        assert.equal(posts, 2, 'the upload was retried once after the 503');
        assert.equal(await page.getAttribute('#upload-result .alert.error', 'data-code'), 'too_large');
        assert.doesNotMatch(await page.textContent('#upload-result'), /\b413\b/);
    } finally {
        await page.unroute(pattern);
    }
    const list = await call('GET', `/api/clients/${state.cid}/photos`);
    assert.equal(list.data.photos.length, state.photos ? 2 : list.data.photos.length, 'nothing was stored');
});

test('assessment: every finding marked with its legend, scores explained, the Hayashi grade', async (t) => {
    if (!need(t, 'photos')) return;
    await goto(`/assessment?client=${state.cid}`);
    await page.waitForSelector('#assessment-photo');
    const marks = await page.locator('#assessment-photo g.marks > *').count();
    assert.ok(marks > 10, `findings are marked on the photo (${marks} shapes)`);
    const blackheads = Number(await page.textContent('#finding-legend [data-count="blackhead"]'));
    assert.ok(blackheads > 0, 'the legend counts blackheads');
    assert.equal(await page.locator('#scores li.score').count(), 8, 'eight scores');
    const clarity = await page.textContent('#scores li[data-score="clarity"]');
    assert.match(clarity, /excellent|good|fair|poor/, 'a score has its word');
    assert.match(clarity, /radiant/i, 'and its plain-language meaning');
    const grade = await page.textContent('#grade');
    assert.match(grade, /Hayashi/, 'the grade names its scale');
    assert.match(grade, /mild|moderate|severe/);
    // hiding a type hides its marks
    await page.uncheck('#finding-legend input[data-type="blackhead"]');
    assert.ok(await page.locator('#assessment-photo g[data-type="blackhead"]').evaluate((g) => g.classList.contains('is-hidden')));
    await page.check('#finding-legend input[data-type="blackhead"]');
    await shot('p2-assessment');
    state.assessment = true;
    // the plan says it uses this assessment and links it
    await goto(`/plan?client=${state.cid}`);
    await page.waitForSelector('#plan-assessment');
    await page.click('#plan-assessment');
    await page.waitForSelector('#assessment-photo');
});

test('before/after: the comparison shows the improvement; slider, lesions, chart', async (t) => {
    if (!need(t, 'photos')) return;
    await goto(`/compare?session=${state.sid}`);
    if (await page.locator('#make-comparison').count()) {
        await page.click('#make-comparison');
    }
    await page.waitForSelector('#compare-summary', { timeout: ANALYSIS_TIMEOUT });
    const comedones = page.locator('#benefits li[data-benefit="comedones"]');
    assert.equal(await comedones.locator('[data-verdict]').getAttribute('data-verdict'), 'improved', 'comedones improved');
    assert.match(await comedones.textContent(), /Improved/, 'said in words');
    assert.match(await page.textContent('#compare-summary'), /Improved/);
    assert.match(await page.textContent('#benefits'), /on its own/, 'the noise is explained');
    assert.equal(await page.locator('#benefits li.benefit').count(), 4, 'the four benefits');
    // one photo, one number (issue 17, 8): the comparison measures only the shared skin and
    // says so beside its numbers, since its "before" differs from the photo's own assessment
    const clarity = page.locator('#benefits li[data-benefit="clarity"]');
    assert.match(await clarity.locator('.shared-note').textContent(), /only on the skin both photos show \(\d+ % of the before photo\)/);
    const gone = Number(await page.textContent('#changes [data-count="disappeared"]'));
    assert.ok(gone > 5, `lesions disappeared (${gone})`);
    // the slider moves the edge of the after photo
    const clip = page.locator('#slider-photo clipPath rect');
    const x0 = Number(await clip.getAttribute('x'));
    await page.fill('#compare-slider', '20');
    const x1 = Number(await clip.getAttribute('x'));
    assert.ok(x1 < x0, `the slider moves the edge (${x0} → ${x1})`);
    await page.check('#show-changes');
    // the pictures load (server-made, behind the session cookie)
    for (const sel of ['#side-by-side img', '#chart img']) {
        await page.waitForFunction((s) => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0; }, sel);
    }
    await shot('p3-compare');
    state.compared = true;
});

// newVisit(): a later visit of the client: a consent with photos and a session started on it
// (reviewed first when the plan asks); the session API's reply.
async function newVisit() {
    const consent = await call('POST', `/api/clients/${state.cid}/consents`, { agreed: ['treatment', 'photos'], client_name: 'Sofia Rossi' });
    const plan = await call('GET', `/api/clients/${state.cid}/plan`);
    const body = { consent_id: consent.data.id };
    if (!plan.data.can_start) {
        const review = await call('POST', `/api/clients/${state.cid}/reviews`, { intake_id: plan.data.intake_id, decision: 'proceed', reason: 'Reviewed for the photo test.' });
        body.review_id = review.data.id;
    }
    return call('POST', `/api/clients/${state.cid}/sessions`, body);
}

test('before/after: a signed session offers no new comparison, and says where to make one', async (t) => {
    if (!need(t, 'backend')) return;
    const sess = await newVisit();
    assert.equal(sess.status, 201, JSON.stringify(sess.data));
    for (const st of ['cleanse', 'exfoliate', 'steam', 'extract', 'mask', 'high_frequency', 'finish'])
        await call('POST', `/api/sessions/${sess.data.id}/steps/${st}/record`, { outcome: 'not_done', notes: 'signed for the comparison test' });
    const signed = await call('POST', `/api/sessions/${sess.data.id}/sign`, { password: PW });
    assert.equal(signed.status, 200, JSON.stringify(signed.data));
    await goto(`/compare?session=${sess.data.id}`);
    await page.waitForSelector('#compare-closed');
    assert.match(await page.textContent('#compare-closed'), /signed: its record takes no new comparison.*later visit/);
    assert.equal(await page.locator('#make-comparison, #compare-again').count(), 0, 'no button to compare');
});

test('progress: scores and counts over time as inline SVG charts with the treatment date', async (t) => {
    if (!need(t, 'photos')) return;
    // a later visit: another before photo in a second session, with fewer lesions
    const s2 = await newVisit();
    if (s2.status === 201) {
        await goto(`/photos?client=${state.cid}&session=${s2.data.id}`);
        const v = await uploadViaPage(process.env.PC_VISIT2, 'before');
        assert.ok(v.ok, `the second visit's photo is analysed: ${v.text}`);
    }
    await goto(`/progress?client=${state.cid}`);
    await page.waitForSelector('#chart-scores');
    assert.ok(await page.locator('#chart-scores g.series').count() >= 4, 'score series are drawn');
    assert.ok(await page.locator('#chart-scores g.series polyline').count() >= 1, 'as lines');
    assert.ok(await page.locator('#chart-scores g.events line').count() >= 1, 'treatment dates are marked');
    assert.match(await page.textContent('#chart-scores'), /Treatment 1/);
    assert.ok(await page.locator('#chart-counts g.series').count() >= 1, 'the counts chart');
    assert.ok(await page.locator('#progress-table tbody tr').count() >= 2, 'the numbers as a table');
    // a series can be added
    await page.check('#chart-scores-shine');
    assert.ok(await page.locator('#chart-scores g.series[data-series="shine"]').count() === 1);
    await page.uncheck('#chart-scores-shine');
    await shot('p4-progress');
});

test('ingredients: a pasted label is checked; the product is saved and listed on the aftercare handout', async (t) => {
    if (!need(t, 'cid')) return;
    await goto(`/ingredients?client=${state.cid}`);
    await page.fill('#label-text', 'Aqua, Isopropyl Myristate, Glycerin, Cetearyl Alcohol, Coconut Oil, Parfum, Phenoxyethanol');
    await page.click('#check-label');
    await page.waitForSelector('#ingredients-table tbody tr', { timeout: TIMEOUT });
    assert.ok(await page.locator('#ingredients-table tbody tr').count() >= 6, 'each ingredient has a row');
    assert.ok(await page.locator('#ingredients-table tr.flagged-row').count() >= 1, 'a comedogenic ingredient is flagged');
    assert.match(await page.textContent('#ingredients-verdict'), /Isopropyl Myristate/i);
    assert.ok((await page.textContent('#ingredients-caveat')).length > 20, 'the caveat is shown');
    await page.fill('#product-name', 'Glow Night Cream');
    assert.ok(await page.isChecked('#decision-replace'), 'replace is proposed for a flagged product');
    await page.click('#save-product');
    await page.waitForSelector('#save-msg .alert.ok');
    await page.waitForSelector('#products-list li');
    assert.match(await page.textContent('#products-list'), /Glow Night Cream/);
    await shot('p5-ingredients');
    if (state.sid) {
        const ac = await call('GET', `/api/sessions/${state.sid}/aftercare`);
        assert.ok(Array.isArray(ac.data.products) && ac.data.products.length > 0,
            `the aftercare JSON carries the client's products (backend): ${JSON.stringify(ac.data.products)}`);
        await goto(`/aftercare?session=${state.sid}`);
        await page.waitForSelector('#handout');
        assert.match(await page.textContent('#handout'), /Glow Night Cream/, 'the handout lists the saved product');
        assert.match(await page.textContent('#handout-products'), /Replace/);
    }
});

test('privacy: an admin exports a client\'s record and erases the client, confirming by name', async (t) => {
    if (!need(t, 'backend')) return;
    await signIn('admin');
    const c = await call('POST', '/api/clients', { name: 'Erin Erase', birth_date: '1985-06-07' });
    assert.equal(c.status, 201);
    const eid = c.data.id;
    await goto(`/client?id=${eid}`);
    await page.click('#act-privacy');
    await page.waitForSelector('#export-client');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-client')]);
    const tar = fs.readFileSync(await download.path());
    assert.ok(tar.length >= 1024, 'the archive is not empty');
    assert.equal(tar.subarray(257, 262).toString('latin1'), 'ustar', 'a POSIX tar archive');
    assert.ok(tar.includes(Buffer.from('client.json')), 'with client.json');
    assert.ok(tar.includes(Buffer.from('Erin Erase')), 'holding the client');
    assert.ok(await page.locator('#erase-client').isDisabled(), 'erase waits for the name');
    await page.fill('#erase-confirm', 'Erin');
    assert.ok(await page.locator('#erase-client').isDisabled(), 'a partial name is not enough');
    await page.fill('#erase-confirm', 'Erin Erase');
    assert.match(await page.textContent('#erase-client'), /Erin Erase/, 'the button names the client');
    await shot('p6-privacy', { fullPage: false });
    await page.click('#erase-client');
    await page.waitForSelector('#erased-note');
    const gone = await call('GET', `/api/clients/${eid}`);
    assert.equal(gone.status, 404, 'the client is gone');
    const audit = await call('GET', `/api/audit?client_id=${eid}`);
    if (audit.status === 200) {
        assert.ok(!JSON.stringify(audit.data).includes('Erin Erase'), 'the audit log keeps no name');
    }
});

test('ingredients: reception checks a label from the top bar, without a client record', async (t) => {
    if (!need(t, 'cid')) return;
    await signIn('desk');
    await page.click('.mainnav a[href="/ingredients"]');
    await page.waitForSelector('#label-text');
    await page.fill('#label-text', 'Water, Glycerin, Isopropyl Myristate');
    await page.click('#check-label');
    await page.waitForSelector('#ingredients-table tr.flagged-row');
    assert.equal(await page.locator('#product-form:visible').count(), 0, 'no saving without a client');
    const photos = await call('GET', `/api/clients/${state.cid}/photos`);
    assert.equal(photos.status, 403, 'reception cannot see photos');
});

test('photo pages: tablet upright and desktop layouts', async (t) => {
    if (!need(t, 'compared', 'assessment')) return;
    await signIn('demo');
    await page.setViewportSize({ width: 768, height: 1024 });
    await goto(`/compare?session=${state.sid}`);
    await page.waitForSelector('#compare-summary');
    await shot('p7-compare-tablet-portrait', { fullPage: false });
    await page.setViewportSize({ width: 1440, height: 900 });
    await goto(`/assessment?client=${state.cid}`);
    await page.waitForSelector('#assessment-photo');
    await shot('p8-assessment-desktop', { fullPage: false });
    await page.setViewportSize({ width: 1024, height: 768 });
});

test('no script errors or Content-Security-Policy violations on the photo pages', () => {
    assert.deepEqual(problems, []);
});
