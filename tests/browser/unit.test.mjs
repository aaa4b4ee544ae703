// SPDX-License-Identifier: AGPL-3.0-or-later
// Unit tests of the pages' pure helpers (no browser): the intake form's model ↔ the protocol
// engine's intake JSON (docs/intake.md), parameter labels and units, the countdown clock, the
// step status words. With PC_INTAKE_OUT=FILE the full intake the form would send is written
// there, so test_web.sh can check it with the real `poreclear plan`.
//
//   node --test --test-reporter=tap tests/browser/unit.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fromIntake, toIntake, summarize } from '../../web/js/intake-schema.js';
import { paramParts, fmtValue, stepKind } from '../../web/js/plan-view.js';
import { fmtClock, humanize } from '../../web/js/dom.js';

// Everything the form can hold, as its model.
const fullModel = {
    skin_type: 'combination',
    fitzpatrick: 4,
    pregnant: false,
    breastfeeding: true,
    conditions: ['rosacea', 'asthma', 'cold sore'],
    implants: ['pacemaker'],
    allergies: ['aspirin', 'latex'],
    medications: [
        { name: 'Accutane', date: '2026-08-01', extra: '20 mg', notes: '' },
        { name: 'tretinoin', date: '', extra: '', notes: 'nightly' },
    ],
    recent_procedures: [{ name: 'chemical_peel', date: '2026-11-10', extra: 'cheeks', notes: '' }],
    notes: 'Prefers a cool room.',
};

test('the form model becomes the intake schema of docs/intake.md', () => {
    const i = toIntake(fullModel);
    assert.deepEqual(i.client, { skin_type: 'combination', fitzpatrick: 4 });
    assert.deepEqual(i.conditions, ['rosacea', 'asthma', 'cold sore']);
    assert.equal(i.pregnant, false);
    assert.equal(i.breastfeeding, true);
    assert.deepEqual(i.implants, ['pacemaker']);
    assert.deepEqual(i.allergies, ['aspirin', 'latex']);
    assert.deepEqual(i.medications, [
        { name: 'Accutane', last_taken: '2026-08-01', dose: '20 mg' },
        { name: 'tretinoin', notes: 'nightly' }, // no last_taken: still taking it
    ]);
    assert.deepEqual(i.recent_procedures, [{ kind: 'chemical_peel', date: '2026-11-10', area: 'cheeks' }]);
    assert.equal(i.notes, 'Prefers a cool room.');
});

test('an intake read back into the form keeps every field (round trip)', () => {
    const i = toIntake(fullModel);
    assert.deepEqual(toIntake(fromIntake(i)), i);
});

test('an empty intake gives an empty form', () => {
    const m = fromIntake(null);
    assert.equal(m.skin_type, '');
    assert.equal(m.fitzpatrick, 0);
    assert.deepEqual(m.medications, []);
    assert.equal(summarize({}), 'nothing recorded');
});

test('the summary names the facts in plain words', () => {
    const s = summarize(toIntake(fullModel));
    assert.match(s, /Combination skin/);
    assert.match(s, /Fitzpatrick IV/);
    assert.match(s, /Pacemaker/);
    assert.match(s, /Rosacea/);
    assert.match(s, /breastfeeding/);
});

test('parameter labels and units come from the parameter name', () => {
    const table = [
        ['duration_min', 'Duration', 'min'],
        ['distance_cm', 'Distance', 'cm'],
        ['strength_percent', 'Strength', '%'],
        ['frequency_khz', 'Frequency', 'kHz'],
        ['spf', 'SPF', ''],
        ['gas', 'Gas', ''],
    ];
    for (const [key, label, unit] of table) assert.deepEqual(paramParts(key), { label, unit }, key);
    assert.equal(fmtValue(10, 'min'), '10 min');
    assert.equal(fmtValue('gauze_fingers', ''), 'gloved fingers with gauze'); // the protocol's choice in words
    assert.equal(fmtValue('salicylic_acid', ''), 'salicylic acid (BHA)');
    assert.equal(fmtValue('some_new_value', ''), 'some new value'); // never the raw value
    assert.equal(fmtValue(true, ''), 'yes');
});

test('the countdown clock', () => {
    const table = [[0, '00:00'], [-5, '00:00'], [59.2, '01:00'], [600, '10:00'], [3600, '1:00:00'], [3725, '1:02:05']];
    for (const [s, want] of table) assert.equal(fmtClock(s), want, String(s));
    assert.equal(humanize('high_frequency'), 'High frequency');
});

test('a step skipped for a contraindication reads as blocked; other steps keep their action', () => {
    const table = [
        [{ action: 'skip', reasons: [{ effect: 'skip' }] }, 'blocked'],
        [{ action: 'skip', reasons: [{ effect: 'block' }] }, 'blocked'],
        [{ action: 'skip', reasons: [] }, 'skip'],
        [{ action: 'modify', reasons: [{ effect: 'modify' }] }, 'modify'],
        [{ action: 'do', reasons: [{ effect: 'personalise' }] }, 'do'],
    ];
    for (const [step, want] of table) assert.equal(stepKind(step), want, JSON.stringify(step));
});

test('the full intake is written for the protocol engine check', { skip: !process.env.PC_INTAKE_OUT && 'PC_INTAKE_OUT not set' }, () => {
    const i = toIntake(fullModel);
    // what the server adds before validating (docs/api.md, Intake)
    const full = { visit_date: '2026-11-29', ...i, client: { id: 'c-1', birth_date: '1990-04-02', ...i.client } };
    fs.writeFileSync(process.env.PC_INTAKE_OUT, JSON.stringify(full, null, 2));
});
