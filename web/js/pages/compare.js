// SPDX-License-Identifier: AGPL-3.0-or-later
// Before/after for a session: the four benefits with their verdicts (improved / worse / no
// significant change, the noise said in words), the aligned photos side by side and as a slider
// (an <input type=range> moving the edge of the after photo over the before photo; the after
// photo is the server's aligned.png, already warped into the before photo's frame), the lesions
// that disappeared / stayed / appeared, and the server's SVG chart.

import { api, queryId, ApiError } from '../api.js';
import { h, fill, fmtDateTime, alertBox } from '../dom.js';
import { startPage, pageHead, showError, busy } from '../app.js';
import { clientTabs, waitForJob, jobText, uploadErrorText } from '../photo-api.js';
import { s } from '../svgchart.js';
import { BENEFITS, verdictInfo, noiseSentence, fmtNum, fmtSigned, findingType } from '../skin.js';
import { shareButton } from '../portal-home-staff.js';

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

const CHANGE_KINDS = [
    { key: 'disappeared', label: 'Disappeared', icon: '✓', colour: '#009E73', shape: 'circle', what: 'in the before photo, gone after the treatment' },
    { key: 'stayed', label: 'Stayed', icon: '=', colour: '#E69F00', shape: 'square', what: 'in both photos' },
    { key: 'appeared', label: 'Appeared', icon: '+', colour: '#CC79A7', shape: 'triangle', what: 'only in the after photo' },
];

function verdictBadge(v) {
    const info = verdictInfo(v);
    return h('span', { class: `badge ${info.cls} verdict-badge`, 'data-verdict': v }, h('span', { class: 'icon', 'aria-hidden': 'true' }, info.icon), info.words);
}

// "on the skin both photos show (86 % of the before photo)": the comparison measures only the
// shared skin, so its before number can differ from the before photo's own assessment, which
// measures all of that photo's skin (issue 17: one photo, two numbers — now said where shown).
function sharedNote(c) {
    const pct = typeof c.shared_fraction === 'number' ? ` (${Math.round(c.shared_fraction * 100)} % of the before photo)` : '';
    return `Measured only on the skin both photos show${pct}, so the before number can differ from the before photo's own assessment, which measures all of its skin.`;
}

function benefitCard(def, b, k, c) {
    if (!b) return null;
    const unit = b.unit && b.unit !== 'count' ? ` ${b.unit}` : '';
    const rel = typeof b.relative_change === 'number' ? ` (${fmtSigned(b.relative_change * 100, 0)} %)` : '';
    const dir = b.higher_is_better ? 'higher is better' : 'lower is better';
    return h('li', { class: `benefit verdict-${b.verdict}`, 'data-benefit': def.key },
        h('div', { class: 'benefit-head' },
            h('h3', null, def.label, b.proxy ? h('span', { class: 'proxy-mark', title: 'proxy measure' }, ' *') : null),
            verdictBadge(b.verdict)),
        h('p', { class: 'benefit-numbers' },
            h('span', { class: 'small muted' }, 'Before '), h('strong', null, fmtNum(b.before)),
            h('span', { class: 'arrow', 'aria-hidden': 'true' }, ' → '),
            h('span', { class: 'small muted' }, ' after '), h('strong', null, fmtNum(b.after)),
            h('span', { class: 'small' }, unit),
            h('br'),
            h('span', { class: 'small' }, `Change ${fmtSigned(b.change)}${unit}${rel} · ${dir}`)),
        h('p', { class: 'small shared-note' }, sharedNote(c)),
        h('p', { class: 'small' }, def.what.charAt(0).toUpperCase(), def.what.slice(1), '.'),
        h('p', { class: 'small muted noise' }, noiseSentence(b, k)));
}

// The slider: before photo, the aligned after photo clipped to the right of the edge.
function slider(beforeUrl, alignedUrl, W, H, findings) {
    const clipId = `after-clip-${Math.random().toString(36).slice(2, 7)}`;
    const clipRect = s('rect', { x: W / 2, y: 0, width: W / 2, height: H });
    const edge = s('line', { x1: W / 2, x2: W / 2, y1: 0, y2: H, stroke: '#ffffff', 'stroke-width': Math.max(2, W / 300) });
    const edgeShadow = s('line', { x1: W / 2, x2: W / 2, y1: 0, y2: H, stroke: '#1d2327', 'stroke-width': Math.max(4, W / 150), 'stroke-opacity': 0.6 });
    const u = Math.max(1, Math.min(W, H) / 700);
    const marks = s('g', { class: 'change-marks is-hidden', id: 'change-marks' });
    for (const kind of CHANGE_KINDS) {
        for (const f of (findings && findings[kind.key]) || []) {
            const R = Math.max((f.r || 3) * 1.6 + 2 * u, 6 * u);
            let el;
            if (kind.shape === 'square') el = s('rect', { x: f.x - R, y: f.y - R, width: 2 * R, height: 2 * R });
            else if (kind.shape === 'triangle') el = s('polygon', { points: `${f.x},${f.y - R * 1.4} ${f.x + R * 1.3},${f.y + R} ${f.x - R * 1.3},${f.y + R}` });
            else el = s('circle', { cx: f.x, cy: f.y, r: R });
            const under = el.cloneNode();
            under.setAttribute('fill', 'none'); under.setAttribute('stroke', '#1d2327'); under.setAttribute('stroke-width', String(4.4 * u)); under.setAttribute('stroke-opacity', '0.7');
            el.setAttribute('fill', 'none'); el.setAttribute('stroke', kind.colour); el.setAttribute('stroke-width', String(2.2 * u));
            marks.appendChild(under);
            marks.appendChild(el);
        }
    }
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'slider-photo', role: 'img', id: 'slider-photo', 'aria-label': 'The before photo with the aligned after photo laid over it; the slider moves the edge between them' },
        s('defs', null, s('clipPath', { id: clipId }, clipRect)),
        s('image', { href: beforeUrl, x: 0, y: 0, width: W, height: H, preserveAspectRatio: 'none' }),
        s('image', { href: alignedUrl, x: 0, y: 0, width: W, height: H, preserveAspectRatio: 'none', 'clip-path': `url(#${clipId})` }),
        edgeShadow, edge, marks,
        s('text', { x: 12 * u, y: 28 * u, 'font-size': 22 * u, fill: '#ffffff', stroke: '#1d2327', 'stroke-width': 3 * u, 'paint-order': 'stroke', 'font-weight': 700 }, 'BEFORE'),
        s('text', { x: W - 12 * u, y: 28 * u, 'font-size': 22 * u, fill: '#ffffff', stroke: '#1d2327', 'stroke-width': 3 * u, 'paint-order': 'stroke', 'font-weight': 700, 'text-anchor': 'end' }, 'AFTER'));
    const range = h('input', { type: 'range', min: 0, max: 100, step: 1, value: 50, id: 'compare-slider', 'aria-describedby': 'slider-hint', 'aria-valuetext': 'half before, half after' });
    const set = () => {
        const v = Number(range.value);
        const xEdge = (W * v) / 100;
        clipRect.setAttribute('x', String(xEdge));
        clipRect.setAttribute('width', String(W - xEdge));
        for (const l of [edge, edgeShadow]) { l.setAttribute('x1', String(xEdge)); l.setAttribute('x2', String(xEdge)); }
        range.setAttribute('aria-valuetext', v === 0 ? 'all after' : v === 100 ? 'all before' : `before left of ${v} %, after right of it`);
    };
    range.addEventListener('input', set);
    const showMarks = h('input', { type: 'checkbox', id: 'show-changes' });
    showMarks.addEventListener('change', () => marks.classList.toggle('is-hidden', !showMarks.checked));
    return h('div', { class: 'slider-box' },
        h('figure', { class: 'photo-figure' }, svg),
        h('label', { for: 'compare-slider', class: 'slider-label' }, 'Move the edge between before and after'),
        h('div', { class: 'slider-row' }, h('span', { 'aria-hidden': 'true' }, '◀ Before'), range, h('span', { 'aria-hidden': 'true' }, 'After ▶')),
        h('p', { class: 'hint', id: 'slider-hint' }, 'Left of the edge: the before photo. Right of it: the after photo, moved, turned and relit by the server to line up with the before photo.'),
        h('label', { class: 'choice inline-choice', for: 'show-changes' }, showMarks,
            h('span', null, 'Mark the lesions that disappeared (circle), stayed (square) and appeared (triangle)')));
}

function changesBox(c) {
    const f = c.findings;
    const counts = f.counts;
    const byType = (list) => {
        const m = new Map();
        for (const x of list || []) m.set(x.type, (m.get(x.type) || 0) + 1);
        return [...m.entries()].map(([t, n]) => `${n} ${n === 1 ? findingType(t).label.toLowerCase() : findingType(t).plural.toLowerCase()}`).join(', ');
    };
    return h('section', { class: 'card', id: 'changes', 'aria-labelledby': 'changes-h' },
        h('h2', { id: 'changes-h' }, 'Lesions: what changed'),
        h('ul', { class: 'change-list' }, CHANGE_KINDS.map((k) => {
            const n = counts[k.key];
            const detail = byType(f[k.key]);
            return h('li', { class: `change change-${k.key}`, 'data-change': k.key },
                h('span', { class: 'change-icon', 'aria-hidden': 'true' }, k.icon),
                h('span', { class: 'change-count', 'data-count': k.key }, String(n)),
                h('span', null, h('strong', null, k.label), h('span', { class: 'small muted' }, ` — ${k.what}`),
                    detail ? h('span', { class: 'small change-detail' }, h('br'), detail) : null));
        })),
        h('p', { class: 'small muted' }, 'Blackheads, whiteheads, papules and pustules are matched between the photos. A lesion the analysis misses in one photo but that is still visible there counts as stayed, so a photo that is a little softer does not fake an improvement.'));
}

async function loadComparison(sid, status) {
    for (let i = 0; i < 600; i++) {
        try {
            return await api.get(`/api/sessions/${sid}/comparison`);
        } catch (e) {
            if (!(e instanceof ApiError) || e.status !== 409) throw e;
            if (status) status.textContent = 'The comparison is being made…';
            await sleep(1000);
        }
    }
    throw new Error('The comparison is taking too long; reload the page in a moment.');
}

startPage({
    nav: 'clients',
    title: 'Before/after',
    render: async (main) => {
        const sid = queryId('session');
        if (!sid) throw new Error('No session chosen: open before/after from a session or the photos page.');
        const sess = await api.get(`/api/sessions/${sid}`);
        const cid = sess.client_id;
        const client = await api.get(`/api/clients/${cid}`);
        document.title = `Before/after — ${client.name} · poreclear`;
        const crumbs = [{ href: '/', label: 'Clients' }, { href: `/client?id=${cid}`, label: client.name },
            { href: `/session?id=${sid}`, label: `Session ${fmtDateTime(sess.started_at)}` }, { label: 'Before/after' }];
        const head = (...actions) => [pageHead(`Before/after — ${client.name}`, crumbs, ...actions), clientTabs(cid, null)];
        // a comparison is part of its session's record: a signed or cancelled session takes no
        // new one (the server answers 409 immutable / cancelled), so none is offered
        const closed = sess.status === 'signed' || sess.status === 'cancelled';
        const closedNote = () => h('p', { id: 'compare-closed', class: 'muted' }, sess.status === 'signed'
            ? 'This session is signed: its record takes no new comparison. To compare this visit\'s before photo with a later one, make the comparison on the later visit\'s session.'
            : 'This session was cancelled: it takes no comparison.');

        const makeBtn = h('button', { type: 'button', class: 'primary big', id: 'make-comparison' }, 'Compare before and after');
        const makeMsg = h('div', { 'aria-live': 'polite', id: 'make-status' });
        makeBtn.addEventListener('click', () => busy(makeBtn, async () => {
            makeMsg.replaceChildren(h('p', { class: 'loading' }, 'Starting…'));
            try {
                const a = await api.post(`/api/sessions/${sid}/comparison`, {});
                const p = h('p', { class: 'progress-text' }, '');
                const bar = h('progress', { max: 100, 'aria-label': 'Comparison progress' });
                makeMsg.replaceChildren(h('div', { class: 'progress-row' }, bar, p));
                const job = a.job ? await waitForJob(a.job.id, (j) => {
                    p.textContent = jobText(j);
                    if (j.state === 'running') bar.value = Math.round((j.progress || 0) * 100);
                }) : null;
                if (job && job.state === 'failed') {
                    makeMsg.replaceChildren(alertBox('error', 'The photos could not be compared', h('p', null, job.error || 'no reason given')));
                    return;
                }
                makeMsg.replaceChildren();
                await draw();
            } catch (e) {
                if (e instanceof ApiError && e.code === 'photos_missing') {
                    makeMsg.replaceChildren(alertBox('warn', 'Both photos are needed', h('p', null, e.message), h('p', null, 'Add an analysed before and after photo for this session on the ', h('a', { href: `/photos?client=${cid}&session=${sid}` }, 'photos page'), '.')));
                } else if (e instanceof ApiError && e.status === 503) {
                    makeMsg.replaceChildren(alertBox('warn', 'The server is busy', h('p', null, `${uploadErrorText(e)} Try again in ${e.retryAfter || 5} s.`)));
                } else showError(makeMsg, e, 'The comparison could not be started');
            }
        }));

        async function draw() {
            let data;
            const status = h('p', { class: 'loading', 'aria-live': 'polite' }, 'Loading the comparison…');
            try {
                data = await loadComparison(sid, status);
            } catch (e) {
                if (e instanceof ApiError && e.status === 404) {
                    fill(main, ...head(),
                        h('section', { class: 'card', id: 'no-comparison' },
                            h('h2', null, 'No comparison yet'),
                            h('p', null, 'The server lines up the after photo with the before photo, analyses both and measures what changed, with how much the numbers move by themselves from one photo to the next.'),
                            h('p', null, h('a', { href: `/photos?client=${cid}&session=${sid}` }, 'Photos of this session')),
                            ...(closed ? [closedNote()] : [makeBtn, makeMsg])));
                    return;
                }
                throw e;
            }
            const c = data.comparison; // docs/compare.md, "JSON"
            const b = c.benefits; // an object: pores, comedones, clarity, absorption
            const k = c.significance_k;
            const improved = BENEFITS.filter((d) => b[d.key] && b[d.key].verdict === 'improved');
            const worse = BENEFITS.filter((d) => b[d.key] && b[d.key].verdict === 'worse');
            const beforeUrl = `/api/clients/${cid}/photos/${data.before_photo_id}/image`;
            const W = c.width; // the before photo's size: the aligned after photo has it too
            const H = c.height;
            const again = h('button', { type: 'button', id: 'compare-again' }, 'Compare again');
            again.addEventListener('click', () => makeBtn.click());
            const banner = improved.length
                ? alertBox(worse.length ? 'warn' : 'ok', `Improved: ${improved.map((d) => d.label.toLowerCase()).join(', ')}`,
                    worse.length ? h('p', null, `Worse: ${worse.map((d) => d.label.toLowerCase()).join(', ')}.`) : null,
                    h('p', null, `${BENEFITS.length - improved.length - worse.length} of ${BENEFITS.length} without a significant change.`))
                : worse.length ? alertBox('warn', `Worse: ${worse.map((d) => d.label.toLowerCase()).join(', ')}`)
                    : alertBox('info', 'No significant change', h('p', null, 'None of the four measures changed by more than photographing the same skin twice changes them.'));
            banner.id = 'compare-summary';

            fill(main, ...head(...(closed ? [] : [again]), shareButton(cid, 'comparison', data.id)),
                h('p', { class: 'muted' }, `Made ${fmtDateTime(data.created_at)} from the before photo #${data.before_photo_id} and the after photo #${data.after_photo_id}.`),
                closed ? closedNote() : null,
                makeMsg,
                banner,
                h('section', { class: 'card', id: 'benefits', 'aria-labelledby': 'benefits-h' },
                    h('h2', { id: 'benefits-h' }, 'The four benefits'),
                    h('ul', { class: 'benefits' }, BENEFITS.map((d) => benefitCard(d, b[d.key], k, c))),
                    h('details', { class: 'noise-explained' },
                        h('summary', null, 'What “no significant change” means'),
                        h('p', null, `Two photos of the same skin never give exactly the same numbers: the camera moves a little, the light changes, the file is compressed differently. The server measures how much that alone changes each number, by disturbing the before photo the way a second photo differs and analysing it again. A change is called improved or worse only when it is more than ${fmtNum(k)} times that amount; smaller changes are “no significant change” — they may be real, but the photos cannot show it.`),
                        h('p', null, '* Absorption readiness is a proxy: the share of skin covered by clogged or open pores and comedones, not a measurement of how well a product is absorbed.'))),
                h('section', { class: 'card', id: 'slider', 'aria-labelledby': 'slider-h' },
                    h('h2', { id: 'slider-h' }, 'Slide between before and after'),
                    slider(beforeUrl, `/api/sessions/${sid}/comparison/aligned.png`, W, H, c.findings)),
                changesBox(c),
                h('section', { class: 'card', id: 'side-by-side', 'aria-labelledby': 'sbs-h' },
                    h('h2', { id: 'sbs-h' }, 'Side by side, aligned'),
                    h('img', { src: `/api/sessions/${sid}/comparison/sidebyside.png`, class: 'wide-img', alt: 'Before (left) and the aligned after photo (right); lesions that disappeared, stayed and appeared are marked, with a legend in the picture' }),
                    h('p', { class: 'small muted' }, 'Left: before. Right: after, lined up with the before photo. Areas not in both photos are dimmed.')),
                h('section', { class: 'card', id: 'chart', 'aria-labelledby': 'chart-h' },
                    h('h2', { id: 'chart-h' }, 'Chart'),
                    h('img', { src: `/api/sessions/${sid}/comparison/chart.svg`, class: 'chart-img', alt: `Bar chart of the four benefits before and after: ${BENEFITS.map((d) => (b[d.key] ? `${d.label} ${verdictInfo(b[d.key].verdict).words.toLowerCase()}` : null)).filter(Boolean).join('; ')}` }),
                    h('p', { class: 'small muted' }, 'Grey: before. After: coloured by the verdict, with a whisker showing the noise band (± the change needed to count).')));
        }
        await draw();
    },
});
