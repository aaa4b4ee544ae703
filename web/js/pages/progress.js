// SPDX-License-Identifier: AGPL-3.0-or-later
// Progress across visits: the scores and the lesion counts of every analysed photo over time,
// drawn as inline SVG line charts (svgchart.js, no library), with the treatment dates marked as
// dashed lines. Tick boxes choose the series; a table holds the same numbers.

import { api, queryId } from '../api.js';
import { h, fill, fmtDate, fmtDateTime, alertBox } from '../dom.js';
import { startPage, pageHead } from '../app.js';
import { clientTabs, kindBadge } from '../photo-api.js';
import { lineChart, legendSwatch, SERIES_COLOURS, MARKER_SHAPES } from '../svgchart.js';
import { SCORES, FINDING_TYPES, fmtNum } from '../skin.js';

const DEFAULT_SCORES = new Set(['clarity', 'comedones', 'acne', 'pores']);
const COUNT_KEYS = ['blackhead', 'whitehead', 'papule', 'pustule', 'enlarged_pore'];

function chartBlock({ id, title, desc, defs, points, events, yMin, yMax, yLabel, initial, value, tickLabel, integer }) {
    const series = defs.map((d, i) => ({
        key: d.key, label: d.label, colour: SERIES_COLOURS[i % SERIES_COLOURS.length], marker: MARKER_SHAPES[i % MARKER_SHAPES.length],
        points: points.map((p) => ({ t: Date.parse(p.at), y: value(p, d.key) })).filter((p) => Number.isFinite(p.t) && Number.isFinite(p.y)),
    }));
    const shown = new Set(initial);
    const holder = h('div', { class: 'chart-holder' });
    const redraw = () => {
        const sel = series.filter((sr) => shown.has(sr.key));
        holder.replaceChildren(lineChart({
            id, title, desc: `${desc} Series shown: ${sel.map((x) => x.label).join(', ') || 'none'}.`,
            series: sel, events, yMin, yMax, yLabel, xMode: 'ordinal', tickLabel, integer,
        }));
    };
    const legend = h('ul', { class: 'chart-legend' }, series.map((sr, i) => {
        const box = h('input', { type: 'checkbox', checked: shown.has(sr.key), 'data-series': sr.key, id: `${id}-${sr.key}` });
        box.addEventListener('change', () => {
            if (box.checked) shown.add(sr.key); else shown.delete(sr.key);
            redraw();
        });
        return h('li', null, h('label', { class: 'legend-toggle', for: `${id}-${sr.key}` }, box, legendSwatch(i, sr), sr.label));
    }));
    redraw();
    return [legend, holder];
}

startPage({
    nav: 'clients',
    title: 'Progress',
    render: async (main) => {
        const cid = queryId('client');
        if (!cid) throw new Error('No client chosen: open progress from a client page.');
        const [client, prog] = await Promise.all([
            api.get(`/api/clients/${cid}`),
            api.get(`/api/clients/${cid}/progress`),
        ]);
        document.title = `Progress — ${client.name} · poreclear`;
        const crumbs = [{ href: '/', label: 'Clients' }, { href: `/client?id=${cid}`, label: client.name }, { label: 'Progress' }];
        const points = (prog.points || []).slice().sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
        const sessions = prog.sessions || [];
        // A treatment happens after its session's before photos and before its after photos: the
        // line goes between them (or just after the last before / just before the first after
        // photo), else at the session's start.
        const allT = [...new Set(points.map((p) => Date.parse(p.at)))].sort((x, y) => x - y);
        const justAfter = (t) => { const nx = allT.find((x) => x > t); return nx ? (t + nx) / 2 : t + 1; };
        const justBefore = (t) => { const pv = allT.filter((x) => x < t).pop(); return pv !== undefined ? (pv + t) / 2 : t - 1; };
        const events = sessions.map((s, i) => {
            const mine = points.filter((p) => p.session_id === s.id);
            const b = mine.filter((p) => p.kind === 'before').map((p) => Date.parse(p.at));
            const a = mine.filter((p) => p.kind === 'after').map((p) => Date.parse(p.at));
            let t = Date.parse(s.started_at || `${s.date}T12:00:00Z`);
            if (b.length && a.length && Math.max(...b) < Math.min(...a)) t = (Math.max(...b) + Math.min(...a)) / 2;
            else if (b.length && !a.length) t = justAfter(Math.max(...b));
            else if (a.length && !b.length) t = justBefore(Math.min(...a));
            return { t, label: `Treatment ${i + 1}` };
        }).filter((e) => Number.isFinite(e.t));
        const kindAt = new Map(points.map((p) => [Date.parse(p.at), p.kind]));
        const tickLabel = (t) => [new Date(t).toLocaleDateString(undefined, { day: 'numeric', month: 'short' }), kindAt.get(t) === 'after' ? 'after' : 'before'];

        if (!points.length) {
            fill(main, pageHead(`Progress — ${client.name}`, crumbs), clientTabs(cid, 'progress'),
                alertBox('info', 'Nothing to show yet', h('p', null, 'Progress appears once photos have been analysed. Add one on the ', h('a', { href: `/photos?client=${cid}` }, 'photos page'), '.')));
            return;
        }

        const scoreDefs = SCORES.map((s) => ({ key: s.key, label: s.label }));
        const countDefs = COUNT_KEYS.map((k) => {
            const t = FINDING_TYPES.find((x) => x.key === k);
            return { key: k, label: t ? t.plural : k };
        });
        const [scoreLegend, scoreChart] = chartBlock({
            id: 'chart-scores', title: 'Scores over time (0–100, higher is better)',
            desc: `Scores of ${points.length} analysed photos from ${fmtDate(points[0].at.slice(0, 10))} to ${fmtDate(points[points.length - 1].at.slice(0, 10))}, with ${events.length} treatment dates marked as dashed lines.`,
            defs: scoreDefs, points, events, yMin: 0, yMax: 100, yLabel: 'score (higher is better)',
            initial: DEFAULT_SCORES, value: (p, k) => (p.scores || {})[k], tickLabel,
        });
        const [countLegend, countChart] = chartBlock({
            id: 'chart-counts', title: 'Lesions counted over time (fewer is better)',
            desc: `Counts of lesions in ${points.length} analysed photos, with the treatment dates marked as dashed lines.`,
            defs: countDefs, points, events, yMin: 0, yLabel: 'count (fewer is better)',
            initial: new Set(['blackhead', 'whitehead', 'papule', 'pustule']), value: (p, k) => (p.counts || {})[k], tickLabel, integer: true,
        });

        const table = h('div', { class: 'table-wrap' }, h('table', { id: 'progress-table' },
            h('caption', { class: 'visually-hidden' }, 'Every analysed photo with its scores and counts'),
            h('thead', null, h('tr', null, h('th', null, 'Photo'),
                SCORES.map((s) => h('th', { class: 'num' }, s.label)),
                COUNT_KEYS.map((k) => h('th', { class: 'num' }, countDefs.find((d) => d.key === k).label)),
                h('th', { class: 'num' }, 'Grade'))),
            h('tbody', null, points.map((p) => h('tr', null,
                h('td', null, h('a', { href: `/assessment?client=${cid}&photo=${p.photo_id}` }, fmtDateTime(p.at)), ' ', kindBadge(p.kind)),
                SCORES.map((s) => h('td', { class: 'num' }, fmtNum((p.scores || {})[s.key], 0))),
                COUNT_KEYS.map((k) => h('td', { class: 'num' }, String((p.counts || {})[k] ?? '—'))),
                h('td', { class: 'num' }, typeof p.grade === 'number' ? String(p.grade) : '—'))))));

        fill(main,
            pageHead(`Progress — ${client.name}`, crumbs),
            clientTabs(cid, 'progress'),
            h('p', { class: 'muted' }, `${points.length} analysed photo${points.length === 1 ? '' : 's'}, ${sessions.length} treatment${sessions.length === 1 ? '' : 's'}. Photos are evenly spaced in the order they were taken; dashed vertical lines mark the treatments. Each line has its own colour, marker shape and dash pattern.`),
            h('section', { class: 'card', id: 'scores-over-time', 'aria-labelledby': 'sot-h' },
                h('h2', { id: 'sot-h' }, 'Scores'), scoreLegend, scoreChart),
            h('section', { class: 'card', id: 'counts-over-time', 'aria-labelledby': 'cot-h' },
                h('h2', { id: 'cot-h' }, 'Lesion counts'), countLegend, countChart),
            h('section', { class: 'card', 'aria-labelledby': 'table-h' },
                h('h2', { id: 'table-h' }, 'The numbers'), table,
                sessions.length ? h('p', { class: 'small muted' }, 'Treatments: ', sessions.map((s, i) => [i ? ', ' : null, h('a', { href: `/session?id=${s.id}` }, `${i + 1}: ${fmtDate(s.date || (s.started_at || '').slice(0, 10))}`)])) : null));
    },
});
