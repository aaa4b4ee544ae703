// SPDX-License-Identifier: AGPL-3.0-or-later
// Unit tests (node, no browser) of the pages' helpers for issue 17: every error code the server
// can answer has its words in web/js/messages.js (the one mapping), and what a person reads
// holds no status number or machine code.
//
//   node --test --test-reporter=tap tests/browser/pages-unit.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { explain, titleFor } from '../../web/js/messages.js';
import { ApiError } from '../../web/js/api.js';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Every code the server sends: web_error(r, STATUS, "code", ...) in src/web/, and every code
// the API document names in its error tables.
function serverCodes() {
    const codes = new Map();
    const dir = path.join(top, 'src/web');
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.c'))) {
        const text = fs.readFileSync(path.join(dir, f), 'utf8');
        for (const m of text.matchAll(/web_error\(\s*\w+,\s*(\d{3}),\s*"([a-z_]+)"/g)) codes.set(m[2], Number(m[1]));
    }
    const api = fs.readFileSync(path.join(top, 'docs/api.md'), 'utf8');
    for (const line of api.split('\n')) {
        const row = line.match(/^\| (\d{3}) \| (.*?) \|/);
        if (row) for (const m of row[2].matchAll(/`([a-z_]+)`/g)) codes.set(m[1], Number(row[1]));
    }
    for (const m of api.matchAll(/`(\d{3}) ([a-z_]+)`/g)) codes.set(m[2], Number(m[1]));
    return codes;
}

test('every error code of the server has words of its own (one mapping, messages.js)', () => {
    const codes = serverCodes();
    assert.ok(codes.size >= 25, `the server's codes are found (${codes.size})`);
    const missing = [...codes.keys()].filter((c) => !titleFor(c));
    assert.deepEqual(missing, [], 'codes without words');
});

test('what a person reads holds no status number, no code and no "Server answer"', () => {
    for (const [code, status] of serverCodes()) {
        const e = explain(new ApiError(status, code, `The server answered ${status} Whatever.`));
        const shown = `${e.title} ${e.text} ${e.detail}`;
        assert.doesNotMatch(shown, new RegExp(`\\b${status}\\b`), `${code}: no status number`);
        assert.ok(!shown.includes(code) || !code.includes('_'), `${code}: no machine code`);
        assert.doesNotMatch(shown, /Server answer/);
        assert.equal(e.code, code, 'the code stays available to the box (data-code)');
    }
    // an unknown code falls back to the status's words, still without numbers
    const e = explain(new ApiError(403, 'some_new_code', ''));
    assert.equal(e.title, 'Not allowed for your role');
    // the server's own sentence follows when it adds something
    const inv = explain(new ApiError(400, 'invalid', 'email: not an e-mail address'));
    assert.equal(inv.detail, 'Email: not an e-mail address.');
});

test('the page checks phone and e-mail as the server does (one table, contact-cases.json)', async () => {
    const { phoneOk, emailOk } = await import('../../web/js/contact.js');
    const cases = JSON.parse(fs.readFileSync(path.join(top, 'tests/browser/contact-cases.json'), 'utf8'));
    for (const [s, want] of cases.phone) assert.equal(phoneOk(s), want, `phone ${JSON.stringify(s)}`);
    for (const [s, want] of cases.email) assert.equal(emailOk(s), want, `e-mail ${JSON.stringify(s)}`);
});

test('medical alerts in words: recognised by their label, unknown ones flagged for review', async () => {
    const { alertText } = await import('../../web/js/alerts.js').catch(() => ({}));
    assert.ok(alertText, 'web/js/alerts.js loads without a browser');
    assert.equal(alertText({ kind: 'implant', name: 'pacemaker', class: 'pacemaker', date: null, recognised: true }), 'Pacemaker');
    assert.match(alertText({ kind: 'medication', name: 'Accutane', class: 'isotretinoin', date: '2026-10-05', recognised: true }), /^Isotretinoin.*\(last taken .*2026\)$/);
    assert.equal(alertText({ kind: 'medication', name: 'Zorblax', class: null, date: null, recognised: false }), 'Unrecognised medication “Zorblax” — review');
    assert.equal(alertText({ kind: 'pregnant', name: 'pregnant', class: null, date: null, recognised: true }), 'Pregnant');
});
