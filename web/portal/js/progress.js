// SPDX-License-Identifier: AGPL-3.0-or-later
// Progress (issue 12.5): the photos and before/after comparisons the practitioner chose to
// share (GET /api/portal/progress), the four benefits in plain words with the same honesty as
// the staff's page: a change within the measurement's noise is said to be so.
import { api, say, errorText, startPortal } from '/portal/js/portal.js';
import { h, fill, fmtDate } from '/js/dom.js';
import { BENEFITS, noiseSentence } from '/js/skin.js';

await startPortal('progress');
const box = document.getElementById('progress-body');

// What a verdict means, for the client.
const SAID = {
    improved: ['Improved', 'The change is larger than the measurement\'s noise: it shows in the photos.'],
    worse: ['Worse', 'The change is larger than the measurement\'s noise. Your practitioner will talk it through with you.'],
    no_significant_change: ['No change we can be sure of', 'The difference is within the measurement\'s noise: two photos of the same skin differ this much on their own.'],
};

function benefit(def, b, k) {
    if (!b) return null;
    const [word, meaning] = SAID[b.verdict] || [b.verdict, ''];
    return h('li', { class: `benefit verdict-${b.verdict}`, 'data-benefit': def.key },
        h('h4', null, def.label),
        h('p', { class: 'hint' }, `What it measures: ${def.what}.`),
        h('p', null, h('strong', { class: 'verdict' }, `${word}.`), ' ', meaning),
        h('p', { class: 'hint noise' }, noiseSentence(b, k)));
}

function comparisonCard(s) {
    const c = s.comparison;
    const b = c.benefits || {};
    const improved = BENEFITS.filter((d) => b[d.key] && b[d.key].verdict === 'improved').map((d) => d.label.toLowerCase());
    const head = improved.length ? `Improved: ${improved.join(', ')}.` : 'No change that the photos can show for sure.';
    return h('section', { class: 'card shared', id: `share-${s.id}`, 'data-kind': 'comparison', 'aria-labelledby': `share-${s.id}-h` },
        h('h3', { id: `share-${s.id}-h` }, `Before and after, ${fmtDate(c.created_at)}`),
        h('p', { class: 'summary' }, head),
        h('img', { src: s.image, class: 'wide', alt: 'Your skin before (left) and after (right), lined up; the spots that cleared, stayed or appeared are marked' }),
        h('ul', { class: 'benefits' }, BENEFITS.map((d) => benefit(d, b[d.key], c.significance_k))),
        s.chart ? h('details', null, h('summary', null, 'The chart'),
            h('img', { src: s.chart, class: 'wide', alt: `Chart of the four measures before and after: ${BENEFITS.map((d) => (b[d.key] ? `${d.label} ${(SAID[b[d.key].verdict] || [b[d.key].verdict])[0].toLowerCase()}` : null)).filter(Boolean).join('; ')}` })) : null,
        h('p', { class: 'hint' }, `Shared with you on ${fmtDate(s.shared_at)}. Absorption readiness is an indirect measure: how much of the skin is covered by clogged or open pores, not how well a product soaks in.`));
}

function photoCard(s) {
    const p = s.photo;
    const when = p.kind === 'after' ? 'after your treatment' : 'before your treatment';
    return h('section', { class: 'card shared', id: `share-${s.id}`, 'data-kind': 'photo', 'aria-labelledby': `share-${s.id}-h` },
        h('h3', { id: `share-${s.id}-h` }, `Photo ${when}, ${fmtDate(p.taken_at)}`),
        h('img', { src: s.image, class: 'wide', width: p.width, height: p.height, alt: `Your skin ${when}, taken ${fmtDate(p.taken_at)}` }),
        h('p', { class: 'hint' }, `Shared with you on ${fmtDate(s.shared_at)}.`));
}

try {
    const data = await api.get('/api/portal/progress');
    if (!data.shared.length) {
        fill(box, h('p', { id: 'no-shares' }, 'Nothing shared yet. When your practitioner shares photos or a before-and-after comparison with you, they appear here.'));
    } else {
        fill(box,
            h('p', null, 'What your practitioner shared with you. Photos are measured by the clinic\'s software; a small change may be the light or the camera rather than your skin, and the page says so.'),
            data.shared.map((s) => (s.kind === 'comparison' ? comparisonCard(s) : photoCard(s))));
    }
} catch (e) {
    fill(box);
    say('bad', errorText(e));
}
