// SPDX-License-Identifier: AGPL-3.0-or-later
// Drawing a plan (the protocol library's plan JSON, docs/protocol.md) — used by the plan page,
// the session page and the admin's protocol view. Nothing here decides anything: actions,
// parameters, reasons and sources all come from the server.

import { h, badge, humanize } from './dom.js';

const STEP_NAMES = {
    preparation: 'Preparation and infection control',
    consultation: 'Consultation and intake check',
    cleanse: 'Cleanse',
    analysis: 'Skin analysis',
    skin_analysis: 'Skin analysis',
    exfoliate: 'Exfoliation',
    exfoliation: 'Exfoliation',
    steam: 'Steam',
    extract: 'Extraction',
    extraction: 'Extraction',
    high_frequency: 'High frequency',
    mask: 'Mask',
    finish: 'Finish: toner, moisturiser, SPF',
};
export function stepName(step) {
    return STEP_NAMES[step] || humanize(step);
}

// Units from the parameter's name suffix: duration_min → "min".
const UNITS = [
    ['_min', 'min'], ['_minutes', 'min'], ['_s', 's'], ['_seconds', 's'], ['_cm', 'cm'],
    ['_mm', 'mm'], ['_pct', '%'], ['_percent', '%'], ['_khz', 'kHz'], ['_hz', 'Hz'],
];
export function paramParts(key) {
    for (const [suffix, unit] of UNITS) {
        if (key.endsWith(suffix)) return { label: humanize(key.slice(0, -suffix.length)), unit };
    }
    if (key === 'ph') return { label: 'pH', unit: '' };
    if (key === 'spf') return { label: 'SPF', unit: '' };
    return { label: humanize(key), unit: '' };
}
export function fmtValue(v, unit) {
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (v === null || v === undefined || v === '') return '—';
    if (Array.isArray(v)) return v.map((x) => fmtValue(x, '')).join(', ');
    if (typeof v === 'object') return JSON.stringify(v);
    const s = typeof v === 'string' ? v.replace(/_/g, ' ') : String(v);
    return unit ? `${s} ${unit}` : s;
}

export function paramsList(params, cls) {
    const entries = Object.entries(params || {});
    if (!entries.length) return null;
    return h('ul', { class: cls || 'params' }, entries.map(([k, v]) => {
        const { label, unit } = paramParts(k);
        return h('li', null, h('span', { class: 'k' }, `${label}: `), h('strong', null, fmtValue(v, unit)));
    }));
}

const EFFECT_BADGE = {
    block: ['blocked', 'Blocks'],
    skip: ['blocked', 'Rules out'],
    modify: ['modify', 'Changes'],
    caution: ['caution', 'Caution'],
    review: ['needs_review', 'Review'],
    personalise: ['info', 'Personalised'],
    personalize: ['info', 'Personalised'],
};

export function reasonText(r) {
    return r.text || r.message || r.code || '';
}

const EFFECT_ORDER = { block: 0, skip: 1, review: 2, modify: 3, caution: 4, personalise: 5, personalize: 5 };

// Reasons, the weightiest first; `skipped` drops the personalising ones (they no longer apply).
export function reasonsList(reasons, skipped) {
    let list = (reasons || []).slice();
    if (skipped) list = list.filter((r) => r.effect !== 'personalise' && r.effect !== 'personalize');
    list.sort((a, b) => (EFFECT_ORDER[a.effect] ?? 9) - (EFFECT_ORDER[b.effect] ?? 9));
    if (!list.length) return null;
    return h('ul', { class: 'reasons' }, list.map((r) => {
        const eb = EFFECT_BADGE[r.effect];
        return h('li', { 'data-code': r.code || null },
            eb ? [badge(eb[0], eb[1]), ' '] : null,
            h('span', { class: 'reason-text' }, reasonText(r)),
            r.source ? h('span', { class: 'source' }, 'Source: ', h('cite', null, r.source)) : null);
    }));
}

// What a step's badge says: a skipped step with a blocking reason reads "Blocked".
export function stepKind(s) {
    // skipped because of a contraindication (not merely left out) reads as blocked
    const blocked = (s.reasons || []).some((r) => r.effect === 'block' || r.effect === 'skip');
    if (s.action === 'skip' && blocked) return 'blocked';
    return s.action || 'do';
}

export function stepBadge(s) {
    const kind = stepKind(s);
    const words = { do: 'Do', modify: 'Modified', skip: 'Skip', blocked: 'Blocked — do not do' }[kind];
    return badge(kind, words);
}

// One plan step as a card (the plan page); `extra` is appended inside (session controls).
export function stepCard(s, index, extra) {
    const kind = stepKind(s);
    return h('li', { class: `step ${kind}`, id: `step-${s.step}`, 'data-step': s.step, 'data-action': s.action },
        h('div', { class: 'step-head' },
            h('span', { class: 'step-num', 'aria-hidden': 'true' }, String(index + 1)),
            h('h3', null, s.title && !STEP_NAMES[s.step] ? s.title : stepName(s.step)),
            s.certification ? h('span', { class: 'badge info' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '★'), `Needs ${humanize(s.certification).toLowerCase()} certification`) : null,
            stepBadge(s)),
        s.action !== 'skip' ? paramsList(s.params) : null,
        reasonsList(s.reasons, s.action === 'skip'),
        extra || null);
}

const VERDICTS = {
    ok: ['ok', '✓', 'Plan OK', 'No contraindication found: the standard protocol, personalised for this client.'],
    modified: ['ok', '◐', 'Plan adapted to this client', 'Some steps are changed or skipped — see the reasons on each step.'],
    needs_review: ['needs_review', '⚠', 'Needs review before treating',
        'The intake names something the protocol does not know. A practitioner or admin must review it and record a reason before a session can start.'],
    blocked: ['blocked', '✖', 'BLOCKED — do not treat today',
        'A contraindication rules out the whole treatment. A session can only start after a review recorded with a reason (for example a doctor\'s letter).'],
};

export function verdict(status) {
    const [cls, icon, title, text] = VERDICTS[status] || ['needs_review', '⚠', `Plan status: ${status}`, ''];
    return h('div', { class: `verdict ${cls}`, id: 'plan-verdict', role: status === 'blocked' || status === 'needs_review' ? 'alert' : 'status', 'data-status': status },
        h('span', { class: 'icon', 'aria-hidden': 'true' }, icon),
        h('div', null, h('span', { class: 'title' }, title), h('span', null, text)));
}
