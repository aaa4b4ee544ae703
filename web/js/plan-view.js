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
// The protocol's choices (data/protocol.json) in words: a person reads "salicylic acid (BHA)",
// never the stored value salicylic_acid. A value not listed is shown with spaces for "_".
const VALUE_LABELS = {
    gentle: 'gentle cleanser', cream: 'cream cleanser', gel: 'gel cleanser',
    physical: 'physical', enzymatic: 'enzymatic', chemical: 'chemical (acid)',
    enzyme: 'enzyme', scrub: 'scrub', brush: 'brush',
    glycolic_acid: 'glycolic acid (AHA)', lactic_acid: 'lactic acid (AHA)', salicylic_acid: 'salicylic acid (BHA)',
    plain: 'plain steam', ozone: 'ozone steam', warm_towel: 'warm towel',
    gauze_fingers: 'gloved fingers with gauze', comedone_loop: 'comedone loop',
    direct: 'direct (electrode on the skin)', indirect: 'indirect (client holds the saturator)',
    argon: 'argon (violet)', neon: 'neon (orange)',
    clay: 'clay', charcoal: 'charcoal', sulfur: 'sulfur', salicylic: 'salicylic', calming: 'calming',
};
export function valueLabel(v) {
    if (typeof v !== 'string') return String(v);
    return Object.prototype.hasOwnProperty.call(VALUE_LABELS, v) ? VALUE_LABELS[v] : v.replace(/_/g, ' ');
}
export function fmtValue(v, unit) {
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (v === null || v === undefined || v === '') return '—';
    if (Array.isArray(v)) return v.map((x) => fmtValue(x, '')).join(', ');
    if (typeof v === 'object') return JSON.stringify(v);
    const s = valueLabel(v);
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

// The id of a source key's entry in the sources list (sourcesList).
export function sourceId(key) {
    return `src-${String(key).replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

// A reason's source text with every key it cites (the library lists them in `cites`) turned
// into a link to its full citation in the page's sources list; without `sources` (a page with
// no list) the key carries the citation as its title.
function sourceText(r, sources) {
    const cites = (r.cites || []).filter((k) => k);
    if (!cites.length) return r.source;
    const esc = (k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`(?<![A-Za-z0-9_-])(${cites.map(esc).join('|')})(?![A-Za-z0-9_-])`, 'g');
    const out = [];
    let last = 0;
    for (const m of r.source.matchAll(re)) {
        if (m.index > last) out.push(r.source.slice(last, m.index));
        const key = m[1];
        const full = sources && sources[key];
        out.push(full
            ? h('a', { class: 'cite', href: `#${sourceId(key)}`, title: full, 'data-key': key }, key)
            : h('abbr', { class: 'cite', 'data-key': key }, key));
        last = m.index + key.length;
    }
    if (last < r.source.length) out.push(r.source.slice(last));
    return out;
}

// Reasons, the weightiest first. The library keeps them true to the final plan (a skipped step
// carries only why); `skipped` still drops personalising ones sent by an older server.
// `sources` (the plan's key → full citation) makes every cited key a link to sourcesList.
export function reasonsList(reasons, skipped, sources) {
    let list = (reasons || []).slice();
    if (skipped) list = list.filter((r) => r.effect === 'skip' || r.effect === 'block');
    list.sort((a, b) => (EFFECT_ORDER[a.effect] ?? 9) - (EFFECT_ORDER[b.effect] ?? 9));
    if (!list.length) return null;
    return h('ul', { class: 'reasons' }, list.map((r) => {
        const eb = EFFECT_BADGE[r.effect];
        return h('li', { 'data-code': r.code || null },
            eb ? [badge(eb[0], eb[1]), ' '] : null,
            h('span', { class: 'reason-text' }, reasonText(r)),
            r.source ? h('span', { class: 'source' }, 'Source: ', h('cite', null, sourceText(r, sources))) : null);
    }));
}

// Every source key the plan's reasons cite, with its full citation (the protocol file's
// `sources`, served with the plan); the cite links of reasonsList point here.
export function sourcesList(plan) {
    const sources = plan.sources || {};
    const used = new Set();
    const take = (rs) => (rs || []).forEach((r) => (r.cites || []).forEach((k) => used.add(k)));
    take(plan.reasons);
    (plan.steps || []).forEach((s) => take(s.reasons));
    const keys = Object.keys(sources).filter((k) => used.has(k));
    if (!keys.length) return null;
    return h('section', { class: 'card', id: 'plan-sources', 'aria-labelledby': 'sources-h' },
        h('h2', { id: 'sources-h' }, 'Sources'),
        h('dl', { class: 'sources-list' }, keys.map((k) => [
            h('dt', { id: sourceId(k) }, k),
            h('dd', { 'data-key': k }, sources[k])])));
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
// opts.sources: the plan's sources (cite links); opts.blocked: the whole plan is blocked.
export function stepCard(s, index, extra, opts) {
    const kind = stepKind(s);
    const o = opts || {};
    const why = s.action === 'skip' ? reasonsList(s.reasons, true, o.sources) : reasonsList(s.reasons, false, o.sources);
    return h('li', { class: `step ${kind}`, id: `step-${s.step}`, 'data-step': s.step, 'data-action': s.action },
        h('div', { class: 'step-head' },
            h('span', { class: 'step-num', 'aria-hidden': 'true' }, String(index + 1)),
            h('h3', null, s.title && !STEP_NAMES[s.step] ? s.title : stepName(s.step)),
            s.certification ? h('span', { class: 'badge info' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '★'), `Needs ${humanize(s.certification).toLowerCase()} certification`) : null,
            stepBadge(s)),
        s.action !== 'skip' ? paramsList(s.params) : null,
        why || (s.action === 'skip' && o.blocked
            ? h('p', { class: 'not-done' }, 'Not done: the whole treatment is blocked (see above).') : null),
        extra || null);
}

const VERDICTS = {
    ok: ['ok', '✓', 'Plan OK', 'No contraindication found: the standard protocol, personalised for this client.'],
    modified: ['reduced', '◐', 'Plan adapted to this client', 'Some steps are changed or skipped — see the reasons on each step.'],
    needs_review: ['needs_review', '⚠', 'Needs review before treating',
        'The intake names something the protocol does not know. A practitioner or admin must review it and record a reason before a session can start.'],
    blocked: ['blocked', '✖', 'BLOCKED — do not treat today',
        'A contraindication rules out the whole treatment. A session can only start after a review recorded with a reason (for example a doctor\'s letter).'],
};

// What was lost, in words: "Extraction (Isotretinoin within the last 6 months: no extraction.)".
function lostWords(plan) {
    return (plan.steps || []).filter((s) => s.action === 'skip').map((s) => {
        const why = (s.reasons || []).find((r) => r.effect === 'skip');
        return `${s.title && !STEP_NAMES[s.step] ? s.title : stepName(s.step)}${why ? ` (${reasonText(why)})` : ''}`;
    });
}

// The banner's weight follows what was lost (the plan's `weight`, from the library): nothing,
// parameters, a step, the core step (extraction: not the treatment the client booked), all.
function weightVerdict(plan) {
    const lost = lostWords(plan);
    const core = (plan.steps || []).filter((s) => s.action === 'skip' && s.core).map((s) => (s.title && !STEP_NAMES[s.step] ? s.title : stepName(s.step)));
    const changed = (plan.steps || []).filter((s) => s.action === 'modify').map((s) => stepName(s.step));
    switch (plan.weight) {
    case 'core_lost':
        return ['core_lost', '✖', `${core.join(' and ')} ruled out — not the full deep pore cleansing`,
            `Not done today: ${lost.join('; ')}. Without it the blackheads and whiteheads stay: tell the client before starting, and offer to rebook when it is possible again.`];
    case 'reduced':
        return ['reduced', '◐', `Plan reduced: ${lost.length} step${lost.length === 1 ? '' : 's'} left out`,
            `Not done today: ${lost.join('; ')}. The other steps go ahead${changed.length ? `; changed: ${changed.join(', ')}` : ''}.`];
    case 'adapted':
        return ['adapted', 'ℹ', 'Plan adapted to this client',
            `Every step is done; parameters changed on ${changed.join(', ') || 'some steps'} — see the reasons on each step.`];
    default:
        return null;
    }
}

export function verdict(status, plan) {
    let v = VERDICTS[status] || ['needs_review', '⚠', `Plan status: ${status}`, ''];
    let extra = null;
    if (plan && plan.weight && status !== 'blocked') {
        const w = weightVerdict(plan);
        if (status === 'needs_review') {
            if (w && (plan.weight === 'core_lost' || plan.weight === 'reduced')) extra = h('span', { class: 'also' }, `Also: ${w[3]}`);
        } else if (w) {
            v = w;
        }
    }
    const [cls, icon, title, text] = v;
    const loud = status === 'blocked' || status === 'needs_review' || cls === 'core_lost';
    return h('div', { class: `verdict ${cls}`, id: 'plan-verdict', role: loud ? 'alert' : 'status', 'data-status': status, 'data-weight': plan && plan.weight ? plan.weight : null },
        h('span', { class: 'icon', 'aria-hidden': 'true' }, icon),
        h('div', null, h('span', { class: 'title' }, title), h('span', null, text), extra));
}
