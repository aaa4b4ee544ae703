// SPDX-License-Identifier: AGPL-3.0-or-later
// Unit tests of the photo pages' pure helpers (node, no browser): web/js/skin.js and the scales
// of web/js/svgchart.js. Run by test_photos.sh.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
    scoreWord, scoreBand, SCORES, FINDING_TYPES, gradeInfo, verdictInfo, noiseSentence, fmtNum, fmtSigned, fmtBytes,
} from '../../web/js/skin.js';
import { niceTicks, linear, useOrdinal, ordinalScale } from '../../web/js/svgchart.js';
import { uploadErrorText, uploadErrorTitle, asSentence, jobText } from '../../web/js/photo-api.js';
import { ApiError } from '../../web/js/api.js';

test('score words follow the analyze bands (85 / 70 / 50 / 30)', () => {
    const table = [[100, 'excellent'], [85, 'excellent'], [84.9, 'good'], [70, 'good'], [69, 'fair'], [50, 'fair'],
        [49, 'poor'], [30, 'poor'], [29.9, 'very poor'], [0, 'very poor'], [null, 'not measured'], [Number.NaN, 'not measured']];
    for (const [v, w] of table) assert.equal(scoreWord(v), w, `score ${v}`);
    assert.equal(scoreBand(71), 'good');
    assert.equal(scoreBand(55), 'fair');
    assert.equal(scoreBand(10), 'poor');
});

test('every score of the analysis JSON has a name and a plain-language explanation', () => {
    const keys = ['pores', 'comedones', 'acne', 'shine', 'redness', 'texture', 'evenness', 'clarity'];
    assert.deepEqual(SCORES.map((s) => s.key).sort(), keys.slice().sort());
    for (const s of SCORES) {
        assert.ok(s.label && s.what.length > 20 && s.how.length > 20, `${s.key} is explained`);
    }
});

test('finding types: six, each with a distinct colour and a distinct shape', () => {
    assert.equal(FINDING_TYPES.length, 6);
    assert.equal(new Set(FINDING_TYPES.map((t) => t.colour)).size, 6);
    assert.equal(new Set(FINDING_TYPES.map((t) => t.shape)).size, 6, 'shape, not only colour');
});

test('Hayashi grades and verdict words', () => {
    assert.equal(gradeInfo(0).name, 'mild');
    assert.equal(gradeInfo(3).name, 'very severe');
    assert.equal(gradeInfo(7), null);
    assert.equal(verdictInfo('improved').words, 'Improved');
    assert.equal(verdictInfo('no_significant_change').words, 'No significant change');
    assert.match(noiseSentence({ noise: 2 }, 3), /±2 .*3 × that \(±6\)/);
});

test('numbers for people', () => {
    assert.equal(fmtNum(131.574), '132');
    assert.equal(fmtNum(45), '45');
    assert.equal(fmtNum(4.217), '4.22');
    assert.equal(fmtSigned(-35), '-35');
    assert.equal(fmtSigned(9.03), '+9.03');
    assert.equal(fmtBytes(2811904), '2.7 MB');
});

test('chart scales: nice ticks cover the range; ordinal axis for photos of one visit', () => {
    assert.deepEqual(niceTicks(0, 100, 5), [0, 20, 40, 60, 80, 100]);
    const t = niceTicks(0, 37, 5);
    assert.ok(t[0] <= 0 && t[t.length - 1] >= 37);
    assert.equal(linear(0, 10, 100, 200)(5), 150);
    assert.deepEqual(niceTicks(0, 3, 5, true), [0, 1, 2, 3], 'counts get whole-number ticks');
    const day = 86400e3;
    assert.equal(useOrdinal([0, 3600e3]), true);
    assert.equal(useOrdinal([0, 30 * day]), false);
    const x = ordinalScale([0, 10, 20], 0, 300);
    assert.equal(x(0), 50);
    assert.equal(x(10), 150);
    assert.equal(x(5), 100, 'a treatment between two photos sits between them');
    assert.ok(x(-5) > 0 && x(-5) < 50, 'a treatment before the first photo sits left of it, inside the chart');
});

test('upload errors are explained in words; job states too', () => {
    assert.match(uploadErrorText(new ApiError(413, 'too_large', 'photo over 25 MiB')), /too large.*25 MB/);
    assert.match(uploadErrorText(new ApiError(415, 'type_mismatch', 'not a JPEG')), /not the image it claims/);
    assert.match(uploadErrorText(new ApiError(503, 'busy', 'queue full')), /busy|Nothing was stored.*Queue full\./);
    assert.doesNotMatch(uploadErrorText(new ApiError(415, 'type_mismatch', 'not a JPEG')), /415|type_mismatch/);
    assert.equal(uploadErrorTitle(new ApiError(400, 'empty', 'the photo is empty (0 bytes)')), 'The file is empty');
    assert.equal(uploadErrorTitle(new ApiError(400, 'whatever', 'x')), null);
    assert.equal(asSentence('the photo is empty (0 bytes)'), 'The photo is empty (0 bytes).');
    assert.equal(jobText({ state: 'queued', position: 2 }), 'Waiting in the queue — position 2');
    assert.equal(jobText({ state: 'running', progress: 0.42, stage: 'finding comedones', kind: 'analysis' }), 'Analysing — finding comedones (42 %)');
    assert.equal(jobText({ state: 'failed', error: 'too little skin' }), 'Failed: too little skin');
});
