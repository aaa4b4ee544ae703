// SPDX-License-Identifier: AGPL-3.0-or-later
// The skin analysis and comparison in plain language: finding types (colour + shape + name, the
// overlay's Okabe-Ito palette), the eight 0-100 scores with what each measures (the formulas are
// in docs/analysis.md), the Hayashi grade, the four before/after benefits and their verdicts
// (docs/compare.md). Pure data and functions: no DOM, unit-tested in tests/browser/.

// Okabe & Ito, "Color Universal Design" (2008): the colour-blind-safe palette the server's
// overlay uses (docs/analysis-json.md, "The overlay"). Every type also has its own shape, so the
// marks never rely on colour alone.
export const FINDING_TYPES = [
    { key: 'pore', label: 'Pore', plural: 'Pores', colour: '#56B4E9', shape: 'dot', what: 'a visible pore opening' },
    { key: 'enlarged_pore', label: 'Enlarged pore', plural: 'Enlarged pores', colour: '#0072B2', shape: 'ring', what: 'a wider, darker pore opening' },
    { key: 'blackhead', label: 'Blackhead', plural: 'Blackheads', colour: '#F0E442', shape: 'square', what: 'an open comedone: a dark plug in a pore' },
    { key: 'whitehead', label: 'Whitehead', plural: 'Whiteheads', colour: '#CC79A7', shape: 'diamond', what: 'a closed comedone: a small pale bump' },
    { key: 'papule', label: 'Papule', plural: 'Papules', colour: '#D55E00', shape: 'circle', what: 'a red, inflamed spot' },
    { key: 'pustule', label: 'Pustule', plural: 'Pustules', colour: '#009E73', shape: 'triangle', what: 'an inflamed spot with a yellow-white centre' },
];

export function findingType(key) {
    return FINDING_TYPES.find((t) => t.key === key)
        || { key, label: String(key || 'finding'), plural: String(key || 'findings'), colour: '#666666', shape: 'circle', what: '' };
}

// "Hayashi band edges" used by the comedone and acne scores (docs/analysis.md, Scores).
const H_EDGES = '100 with none, 75 at 5, 50 at 20, 25 at 50 and 0 at 100 or more';

// The scores, in the order a practitioner reads them. `what` says in words what the number
// measures; `how` says how the number is made (docs/analysis.md, "Scores (0–100, higher =
// better)"). The scale constants are the engine's calibration choices, not clinical figures.
export const SCORES = [
    { key: 'clarity', label: 'Clarity / radiance',
        what: 'An overall impression of clear, radiant skin.',
        how: 'Half from the evenness of tone, a quarter from the smoothness of texture and a quarter from how free the skin is of blemishes (acne and comedones). Brightness is not used: a darker skin tone is not less radiant.' },
    { key: 'comedones', label: 'Comedones',
        what: 'How free the skin is of blackheads and whiteheads.',
        how: `From their number: ${H_EDGES} (the band edges of the Hayashi acne scale).` },
    { key: 'acne', label: 'Inflamed spots',
        what: 'How free the skin is of inflamed spots (papules and pustules).',
        how: `From their number: ${H_EDGES} (the band edges of the Hayashi acne scale).` },
    { key: 'pores', label: 'Pores',
        what: 'How little of the skin is taken up by visible pore openings.',
        how: '100 when no pore is visible; it falls as the pores and enlarged pores cover more of the skin: about 37 when they cover 8 % of it.' },
    { key: 'shine', label: 'Shine',
        what: 'How free the skin is of oily shine (bright, washed-out reflections).',
        how: '100 with no shine; 0 when a tenth of the skin or more shines.' },
    { key: 'redness', label: 'Redness',
        what: 'How calm the skin is: redness beyond the skin\'s own usual colour.',
        how: 'Measured against the skin\'s own middle colour, so a naturally rosy or dark skin is not penalised; differences too small to see do not count. About 37 when the skin is on average 2 units redder than its baseline.' },
    { key: 'texture', label: 'Texture',
        what: 'How smooth the surface looks (fine roughness within small patches).',
        how: '100 for smooth skin, falling to 0 as the fine light-dark variation within small patches grows.' },
    { key: 'evenness', label: 'Evenness of tone',
        what: 'How even the colour is from one area of the skin to another.',
        how: '100 when patches differ by no more than about what the eye can just notice; 0 when they differ about five times as much.' },
];

export function scoreInfo(key) {
    return SCORES.find((s) => s.key === key) || { key, label: key, what: '', how: '' };
}

// The plain-language bands of `poreclear analyze` (docs/analysis-json.md): ≥ 85 excellent,
// ≥ 70 good, ≥ 50 fair, ≥ 30 poor, below that very poor. Our wording, not a clinical scale.
export function scoreWord(score) {
    if (typeof score !== 'number' || Number.isNaN(score)) return 'not measured';
    if (score >= 85) return 'excellent';
    if (score >= 70) return 'good';
    if (score >= 50) return 'fair';
    if (score >= 30) return 'poor';
    return 'very poor';
}

// A CSS class for a score band (the bar colour); the word is always shown next to it.
export function scoreBand(score) {
    if (typeof score !== 'number' || Number.isNaN(score)) return 'none';
    if (score >= 70) return 'good';
    if (score >= 50) return 'fair';
    return 'poor';
}

// Hayashi N et al., "Establishment of grading criteria for acne severity", J Dermatol
// 2008;35:255-260: lesions on half of the face, 0-5 mild, 6-20 moderate, 21-50 severe, > 50 very
// severe (docs/analysis.md, Grade).
export const GRADES = [
    { grade: 0, name: 'mild', range: '0–5 lesions' },
    { grade: 1, name: 'moderate', range: '6–20 lesions' },
    { grade: 2, name: 'severe', range: '21–50 lesions' },
    { grade: 3, name: 'very severe', range: 'more than 50 lesions' },
];
export const GRADE_SOURCE = 'Hayashi N et al., J Dermatol 2008;35:255–260';

export function gradeInfo(grade) {
    return GRADES.find((g) => g.grade === grade) || null;
}

// The four benefits of a before/after comparison (docs/compare.md §5).
export const BENEFITS = [
    { key: 'comedones', label: 'Comedones', what: 'blackheads and whiteheads on the shared skin', unit: '' },
    { key: 'pores', label: 'Clogged pores', what: 'enlarged pores and blackheads per area of skin', unit: '' },
    { key: 'clarity', label: 'Clarity / radiance', what: 'the clarity score (0–100, higher is better)', unit: '' },
    { key: 'absorption', label: 'Absorption readiness', what: 'share of the skin covered by clogged or open pores and comedones — an indirect (proxy) measure, not a measured uptake of any product', unit: '' },
];

export const VERDICTS = {
    improved: { icon: '✓', words: 'Improved', cls: 'ok' },
    worse: { icon: '✖', words: 'Worse', cls: 'blocked' },
    no_significant_change: { icon: '≈', words: 'No significant change', cls: 'muted' },
};

export function verdictInfo(v) {
    return VERDICTS[v] || { icon: '•', words: String(v || 'unknown'), cls: 'muted' };
}

// The noise behind a verdict, in words (docs/compare.md, "Noise and verdict"): a change counts
// only when it is more than k times what re-photographing the same skin changes by itself.
export function noiseSentence(b, k) {
    const kk = typeof k === 'number' && k > 0 ? k : 3;
    if (!b || typeof b.noise !== 'number') return '';
    return `Taking the same skin again (moved, relit, re-compressed) changes this by about ±${fmtNum(b.noise)} on its own; `
        + `only a change larger than ${fmtNum(kk)} × that (±${fmtNum(kk * b.noise)}) is counted as real.`;
}

// Numbers for people: up to 3 significant digits, no trailing zeros.
export function fmtNum(x, digits) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
    const a = Math.abs(x);
    let d = digits;
    if (d === undefined) d = a >= 100 ? 0 : a >= 10 ? 1 : 2;
    return Number(x.toFixed(d)).toLocaleString('en-GB', { maximumFractionDigits: d });
}

export function fmtSigned(x, digits) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
    const s = fmtNum(x, digits);
    return x > 0 ? `+${s}` : s;
}

export function fmtPercent(fraction, digits) {
    if (typeof fraction !== 'number' || !Number.isFinite(fraction)) return '—';
    return `${fmtSigned(fraction * 100, digits === undefined ? 0 : digits)} %`;
}

// Byte sizes for upload messages.
export function fmtBytes(n) {
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return '—';
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
