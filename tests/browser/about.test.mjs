// SPDX-License-Identifier: AGPL-3.0-or-later
// Browser check of the about page: Debian's Chromium driven by playwright-core against the real
// `poreclear serve --demo` (started by test_about.sh). Steps run in order and share the page.
//
//   PC_URL=http://127.0.0.1:PORT PC_PASSWORD=... PC_VERSION=0.1.0 PC_LICENSE=LICENSE \
//   PC_NOTICES=THIRD-PARTY.md node --test --test-reporter=tap tests/browser/about.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const URL0 = process.env.PC_URL;
const PW = process.env.PC_PASSWORD;
const SHOTS = process.env.PC_SCREENSHOTS || 'build/screenshots';
const CHROMIUM = process.env.PC_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.PC_STEP_TIMEOUT_MS || 15000);

let browser;
let page;
const problems = [];

before(async () => {
    assert.ok(URL0, 'PC_URL must name the server');
    browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-GB', timezoneId: 'UTC' });
    page = await ctx.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('pageerror', (e) => problems.push(`${page.url()}: page error: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`${page.url()}: console: ${m.text()}`);
    });
});

after(async () => {
    if (browser) await browser.close();
});

test('the sign-in page names the licence and links the about page', async () => {
    await page.goto(`${URL0}/login`);
    const foot = page.locator('#sitefoot');
    assert.match(await foot.textContent(), /GNU AGPL v3 or later/);
    assert.equal(await page.locator('#sitefoot a#about-link').getAttribute('href'), '/about');
});

test('without signing in, /about sends the person to sign in and back', async () => {
    await page.goto(`${URL0}/about`);
    await page.waitForURL((u) => u.pathname === '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/about');
    await page.fill('#username', 'desk');
    await page.fill('#password', PW);
    await page.click('#login-submit');
    await page.waitForURL((u) => u.pathname === '/about');
    await page.waitForSelector('#about-facts');
});

test('every signed-in page has the footer link to the about page', async () => {
    for (const p of ['/', '/ingredients']) {
        await page.goto(URL0 + p);
        await page.waitForSelector('main:not(:has(> .loading))');
        const link = page.locator('#sitefoot a#about-link');
        assert.equal(await link.count(), 1, `${p} has the footer link`);
        assert.equal(await link.getAttribute('href'), '/about');
    }
    await page.click('#sitefoot a#about-link');
    await page.waitForURL((u) => u.pathname === '/about');
    await page.waitForSelector('#about-facts');
});

test('the about page shows the version, the licence and the source offer', async () => {
    assert.equal((await page.textContent('#about-version')).trim(), process.env.PC_VERSION);
    assert.match(await page.textContent('#about-licence'), /GNU Affero General Public License v3\.0 or later \(AGPL-3\.0-or-later\)/);
    const source = (await page.textContent('#about-source')).trim();
    assert.ok(source.length > 0, 'a source line');
    assert.match(await page.textContent('#about-source-note'), /source/i);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'about.png'), fullPage: true });
});

test('the licence and notices links open the texts the repository holds', async () => {
    const license = await page.getAttribute('#about-license-link', 'href');
    const notices = await page.getAttribute('#about-notices-link', 'href');
    assert.equal(license, '/api/about/license');
    assert.equal(notices, '/api/about/notices');
    let r = await page.goto(URL0 + license);
    assert.equal(r.status(), 200);
    assert.equal(await r.text(), fs.readFileSync(process.env.PC_LICENSE, 'utf8'));
    await page.goBack();
    r = await page.goto(URL0 + notices);
    assert.equal(r.status(), 200);
    assert.equal(await r.text(), fs.readFileSync(process.env.PC_NOTICES, 'utf8'));
});

test('no page errors and no blocked content', () => {
    assert.deepEqual(problems, []);
});
