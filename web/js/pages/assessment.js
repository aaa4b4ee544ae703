// SPDX-License-Identifier: AGPL-3.0-or-later
// The assessment of one photo: the photo with every finding marked by type (colour + shape) and
// its legend with counts, the eight 0-100 scores each with what it means in plain words, and the
// acne grade on the Hayashi scale. `?client=N` shows the client's current assessment (the latest
// analysed before photo, the one the plan uses); `&photo=P` a given photo.

import { api, queryId, ApiError } from '../api.js';
import { h, fill, fmtDateTime, alertBox } from '../dom.js';
import { startPage, pageHead } from '../app.js';
import { clientTabs, waitForJob, jobText, kindBadge } from '../photo-api.js';
import { markedPhoto, findingLegend } from '../finding-marks.js';
import {
    SCORES, scoreWord, scoreBand, gradeInfo, GRADES, GRADE_SOURCE, fmtNum,
} from '../skin.js';

function scoreRow(info, value) {
    const v = typeof value === 'number' ? value : null;
    return h('li', { class: `score band-${scoreBand(v)}`, 'data-score': info.key },
        h('div', { class: 'score-head' },
            h('span', { class: 'score-name' }, info.label),
            h('span', { class: 'score-value' }, v === null ? '—' : fmtNum(v, 0), h('span', { class: 'small muted' }, ' / 100'))),
        h('div', { class: 'score-bar' },
            h('meter', { min: 0, max: 100, low: 50, high: 70, optimum: 100, value: v === null ? 0 : v, 'aria-label': `${info.label}: ${v === null ? 'not measured' : `${fmtNum(v, 0)} of 100, ${scoreWord(v)}`}` }),
            h('span', { class: 'score-word' }, scoreWord(v))),
        h('p', { class: 'score-what' }, info.what),
        h('p', { class: 'score-how small muted' }, info.how));
}

function gradeBox(a) {
    const g = gradeInfo(a.grade);
    const t = a.totals || {};
    const lesions = typeof t.lesions === 'number' ? t.lesions
        : ['blackhead', 'whitehead', 'papule', 'pustule'].reduce((n, k) => n + ((a.counts || {})[k] || 0), 0);
    return h('section', { class: 'card grade-card', id: 'grade', 'aria-labelledby': 'grade-h' },
        h('h2', { id: 'grade-h' }, 'Acne grade'),
        h('p', { class: 'grade-line' },
            h('span', { class: `grade-pill g${a.grade}` }, `Grade ${a.grade}`),
            h('strong', { id: 'grade-name' }, g ? g.name : (a.grade_name || '—')),
            h('span', null, `${lesions} lesion${lesions === 1 ? '' : 's'} counted (blackheads, whiteheads, papules and pustules)`)),
        h('ol', { class: 'grade-scale', start: 0, 'aria-label': 'The Hayashi scale' },
            GRADES.map((x) => h('li', { class: x.grade === a.grade ? 'current' : null, 'aria-current': x.grade === a.grade ? 'true' : null },
                h('strong', null, `${x.grade} ${x.name}`), h('span', { class: 'small' }, x.range)))),
        h('p', { class: 'small muted' },
            `Scale: ${a.grade_scale || 'Hayashi'} (${GRADE_SOURCE}). Hayashi counts lesions on half of the face; the photo is treated as showing half a face, so a full-face photo reads up to one grade high near the band edges.`));
}

function countsTable(a) {
    const c = a.counts || {};
    const t = a.totals || {};
    const row = (label, n, strong) => h('tr', null, h('th', { scope: 'row' }, label), h('td', { class: strong ? 'num strong' : 'num' }, typeof n === 'number' ? String(n) : '—'));
    return h('table', { class: 'counts', id: 'counts-table' },
        h('caption', { class: 'visually-hidden' }, 'Findings counted'),
        h('tbody', null,
            row('Blackheads', c.blackhead), row('Whiteheads', c.whitehead), row('Comedones in all', t.comedones, true),
            row('Papules', c.papule), row('Pustules', c.pustule), row('Inflamed spots in all', t.inflamed, true),
            row('Pores', c.pore), row('Enlarged pores', c.enlarged_pore),
            row(`Pore density (${a.pore_density_unit === 'per_cm2' ? 'per cm²' : 'per megapixel of skin'})`, typeof a.pore_density === 'number' ? Number(a.pore_density.toFixed(1)) : null)));
}

async function loadAnalysis(cid, pid, main) {
    const path = pid ? `/api/clients/${cid}/photos/${pid}/analysis` : `/api/clients/${cid}/assessment`;
    for (let tries = 0; tries < 3; tries++) {
        try {
            return await api.get(path);
        } catch (e) {
            if (!(e instanceof ApiError) || e.status !== 409 || !pid) throw e;
            // not ready: follow the photo's job, then load again
            const photo = await api.get(`/api/clients/${cid}/photos/${pid}`);
            if (photo.analysis_state === 'failed') throw new Error(`The analysis of this photo failed: ${photo.analysis_error || 'no reason given'}`);
            if (!photo.job_id) throw new Error('This photo has not been analysed yet. Start the analysis from the photos page.');
            const status = h('p', { class: 'loading', 'aria-live': 'polite' }, 'The analysis is still running…');
            main.replaceChildren(status);
            await waitForJob(photo.job_id, (j) => { status.textContent = jobText(j); });
        }
    }
    throw new Error('The analysis is not ready yet; reload the page in a moment.');
}

startPage({
    nav: 'clients',
    title: 'Assessment',
    render: async (main) => {
        const cid = queryId('client');
        if (!cid) throw new Error('No client chosen: open the assessment from a client page.');
        const pid = queryId('photo');
        const client = await api.get(`/api/clients/${cid}`);
        document.title = `Assessment — ${client.name} · poreclear`;
        const crumbs = [{ href: '/', label: 'Clients' }, { href: `/client?id=${cid}`, label: client.name }, { label: 'Assessment' }];
        let data;
        try {
            data = await loadAnalysis(cid, pid, main);
        } catch (e) {
            if (e instanceof ApiError && e.status === 404 && !pid) {
                fill(main, pageHead('Assessment', crumbs), clientTabs(cid, 'assessment'),
                    alertBox('info', 'No analysed photo yet', h('p', null, 'Take a before photo on the ', h('a', { href: `/photos?client=${cid}` }, 'photos page'), '; its analysis appears here and is used by the plan.')));
                return;
            }
            throw e;
        }
        const { photo, analysis: a } = data;
        const marked = new Set((a.findings || []).map((f) => f.type)); // pores only with --all
        const svg = markedPhoto({
            imageUrl: photo.image_url, width: a.width || photo.width, height: a.height || photo.height,
            findings: a.findings || [], id: 'assessment-photo',
            alt: `${photo.kind === 'after' ? 'After' : 'Before'} photo of ${fmtDateTime(photo.uploaded_at)} with ${(a.findings || []).length} findings marked`,
        });
        const scores = a.scores || {};

        fill(main,
            pageHead(`Assessment — ${client.name}`, crumbs,
                photo.overlay_url ? h('a', { class: 'button', href: photo.overlay_url, target: '_blank', rel: 'noopener', id: 'overlay-link' }, 'Overlay picture (PNG)') : null,
                h('a', { class: 'button', href: `/photos?client=${cid}` }, 'Photos')),
            clientTabs(cid, 'assessment'),
            h('p', { class: 'muted', id: 'assessment-of' },
                kindBadge(photo.kind), ` photo of ${fmtDateTime(photo.uploaded_at)}`,
                photo.session_id ? [' · session ', h('a', { href: `/session?id=${photo.session_id}` }, `#${photo.session_id}`)] : null,
                !pid ? ' · the latest analysed photo: the plan uses this assessment' : null),
            h('div', { class: 'assess-grid' },
                h('section', { class: 'card photo-card-big', 'aria-labelledby': 'photo-h' },
                    h('h2', { id: 'photo-h', class: 'visually-hidden' }, 'Photo with findings marked'),
                    h('figure', { class: 'photo-figure' }, svg,
                        h('figcaption', { class: 'small muted' }, 'Each type has its own colour and shape. Untick a type to hide its marks.')),
                    h('h3', null, 'Counted'),
                    countsTable(a)),
                h('section', { class: 'card', 'aria-labelledby': 'legend-h' },
                    h('h2', { id: 'legend-h' }, 'Findings'),
                    findingLegend(svg, a.counts || {}, { markedTypes: marked }))),
            gradeBox(a),
            h('section', { class: 'card', 'aria-labelledby': 'scores-h', id: 'scores' },
                h('h2', { id: 'scores-h' }, 'Scores'),
                h('p', { class: 'hint' }, 'Each score runs from 0 to 100; higher is better. Words: 85 and above excellent, 70 good, 50 fair, 30 poor, below that very poor — our plain-language bands, not a clinical scale. The scales are the analysis engine\'s calibration: compare a client with themself over time rather than with other people.'),
                h('ul', { class: 'scores' }, SCORES.map((info) => scoreRow(info, scores[info.key])))));
    },
});
