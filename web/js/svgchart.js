// SPDX-License-Identifier: AGPL-3.0-or-later
// Line charts as inline SVG built with DOM calls (no chart library, nothing inline for the
// Content-Security-Policy to refuse: only SVG attributes, no style attributes). Every series has
// its own colour, marker shape and dash pattern, so the chart never relies on colour alone; the
// pages put a data table next to it for screen readers.

const NS = 'http://www.w3.org/2000/svg';

// s('circle', {cx: 1, cy: 2, r: 3}, child...) — an SVG element.
export function s(tag, attrs, ...children) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) continue;
        el.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
        if (c === null || c === undefined || c === false) continue;
        el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
}

// "Nice" axis ticks between lo and hi (about n of them): steps of 1, 2 or 5 × 10^k.
export function niceTicks(lo, hi, n, integer) {
    const count = n || 5;
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
    if (hi <= lo) hi = lo + 1;
    const raw = (hi - lo) / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const norm = raw / mag;
    let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    if (integer && step < 1) step = 1;
    const start = Math.floor(lo / step) * step;
    const out = [];
    for (let v = start; v <= hi + step * 0.5; v += step) out.push(Number(v.toFixed(10)));
    if (out[out.length - 1] < hi) out.push(Number((out[out.length - 1] + step).toFixed(10)));
    return out;
}

// A linear map from [d0, d1] to [r0, r1] (a zero-width domain maps to the middle).
export function linear(d0, d1, r0, r1) {
    return (v) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0));
}

// Marker shapes, each centred on (x, y) with size sz.
const MARKERS = ['circle', 'square', 'diamond', 'triangle', 'cross', 'triangle-down', 'plus', 'ring'];
export function marker(shape, x, y, sz, colour) {
    const r = sz;
    const common = { fill: colour, stroke: '#ffffff', 'stroke-width': 1.5 };
    switch (shape) {
    case 'square': return s('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, ...common });
    case 'diamond': return s('polygon', { points: `${x},${y - r * 1.3} ${x + r * 1.3},${y} ${x},${y + r * 1.3} ${x - r * 1.3},${y}`, ...common });
    case 'triangle': return s('polygon', { points: `${x},${y - r * 1.3} ${x + r * 1.2},${y + r} ${x - r * 1.2},${y + r}`, ...common });
    case 'triangle-down': return s('polygon', { points: `${x},${y + r * 1.3} ${x + r * 1.2},${y - r} ${x - r * 1.2},${y - r}`, ...common });
    case 'cross': return s('path', { d: `M${x - r},${y - r}L${x + r},${y + r}M${x + r},${y - r}L${x - r},${y + r}`, stroke: colour, 'stroke-width': 3, fill: 'none' });
    case 'plus': return s('path', { d: `M${x - r},${y}L${x + r},${y}M${x},${y - r}L${x},${y + r}`, stroke: colour, 'stroke-width': 3, fill: 'none' });
    case 'ring': return s('circle', { cx: x, cy: y, r, fill: '#ffffff', stroke: colour, 'stroke-width': 2.5 });
    default: return s('circle', { cx: x, cy: y, r, ...common });
    }
}
export const MARKER_SHAPES = MARKERS;
const DASHES = [null, '8 4', '2 4', '10 4 2 4', '4 4', '12 3', '1 3', '6 2 2 2'];

// Okabe-Ito colours for series (colour-blind safe), without yellow (unreadable as a thin line).
export const SERIES_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#56B4E9', '#E69F00', '#000000', '#999999'];

function fmtDay(t) {
    return new Date(t).toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}
function fmtDayTime(t) {
    return new Date(t).toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

// Photos spread over less than three days (e.g. before and after of one visit) would sit on top
// of each other on a time axis: then the axis is ordinal (photos evenly spaced, in order) and a
// treatment date is placed between the photos it falls between.
export function useOrdinal(times) {
    return times.length > 1 && times[times.length - 1] - times[0] < 3 * 86400e3;
}
export function ordinalScale(times, r0, r1) {
    const n = times.length;
    const step = (r1 - r0) / Math.max(n, 1);
    const at = (i) => r0 + step * (i + 0.5);
    return (t) => {
        if (n === 0) return (r0 + r1) / 2;
        if (t <= times[0]) return t === times[0] ? at(0) : at(-0.4);
        if (t >= times[n - 1]) return t === times[n - 1] ? at(n - 1) : at(n - 0.6);
        let i = 0;
        while (i < n - 1 && times[i + 1] < t) i++;
        const f = (t - times[i]) / (times[i + 1] - times[i] || 1);
        return at(i + f);
    };
}

// A time-series line chart.
//   series: [{label, points: [{t: ms, y: number}]}]   (points sorted by t)
//   events: [{t: ms, label}]                            (treatment dates: dashed vertical lines)
//   yMin/yMax: fixed range (else from the data, from 0), yLabel: axis title
// Returns an <svg role="img"> with a <title> and <desc>.
//   xMode: 'ordinal' (photos evenly spaced, in order), 'time', or 'auto' (ordinal under 3 days)
//   tickLabel(t): the label lines under a photo's tick (default: its date)
//   integer: counts (no fractional ticks)
export function lineChart({ title, desc, series, events, yMin, yMax, yLabel, width, height, id, xMode, tickLabel, integer }) {
    const W = width || 900;
    const H = height || 340;
    const m = { l: 58, r: 24, t: events && events.length ? 44 : 16, b: 50 };
    const all = series.flatMap((sr) => sr.points);
    const times = [...new Set(all.map((p) => p.t))].sort((a, b) => a - b);
    const ordinal = xMode === 'ordinal' || (xMode !== 'time' && useOrdinal(times));
    const ts = all.map((p) => p.t).concat((events || []).map((e) => e.t));
    let t0 = Math.min(...ts);
    let t1 = Math.max(...ts);
    if (!Number.isFinite(t0)) { t0 = Date.now(); t1 = t0; }
    const pad = Math.max((t1 - t0) * 0.04, 12 * 3600e3);
    t0 -= pad; t1 += pad;
    const ys = all.map((p) => p.y).filter(Number.isFinite);
    const lo = yMin !== undefined ? yMin : Math.min(0, ...ys);
    const hiData = ys.length ? Math.max(...ys) : 1;
    const ticks = yMax !== undefined ? niceTicks(lo, yMax, 5, integer) : niceTicks(lo, Math.max(hiData, lo + 1), 5, integer);
    const hi = yMax !== undefined ? yMax : ticks[ticks.length - 1];
    const x = ordinal ? ordinalScale(times, m.l, W - m.r) : linear(t0, t1, m.l, W - m.r);
    const fmtTick = ordinal ? fmtDayTime : fmtDay;
    const tickLines = tickLabel || ((t) => [fmtTick(t)]);
    const y = linear(lo, hi, H - m.b, m.t);
    const uid = id || `c${Math.random().toString(36).slice(2, 8)}`;

    const svg = s('svg', {
        viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': `${uid}-t ${uid}-d`, id,
    }, s('title', { id: `${uid}-t` }, title || 'Chart'), s('desc', { id: `${uid}-d` }, desc || ''));

    // grid and y axis
    const grid = s('g', { class: 'grid' });
    for (const v of ticks) {
        if (v < lo || v > hi) continue;
        grid.appendChild(s('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), stroke: '#dde3e4', 'stroke-width': 1 }));
        grid.appendChild(s('text', { x: m.l - 8, y: y(v) + 5, 'text-anchor': 'end', 'font-size': 14, fill: '#4a555c' }, String(v)));
    }
    svg.appendChild(grid);
    if (yLabel) {
        svg.appendChild(s('text', {
            x: 14, y: (m.t + H - m.b) / 2, transform: `rotate(-90 14 ${(m.t + H - m.b) / 2})`,
            'text-anchor': 'middle', 'font-size': 14, fill: '#4a555c',
        }, yLabel));
    }
    svg.appendChild(s('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, stroke: '#4a555c', 'stroke-width': 1.5 }));

    // treatment dates: dashed vertical lines with a label under the axis
    const ev = s('g', { class: 'events' });
    for (const e of events || []) {
        const xe = x(e.t);
        ev.appendChild(s('line', { x1: xe, x2: xe, y1: m.t, y2: H - m.b, stroke: '#0b6e6e', 'stroke-width': 2, 'stroke-dasharray': '6 5' }));
        ev.appendChild(s('polygon', { points: `${xe},${m.t + 1} ${xe + 6},${m.t - 8} ${xe - 6},${m.t - 8}`, fill: '#0b6e6e' }));
        const xl = Math.min(Math.max(xe, 50), W - 50); // the label stays inside the chart
        ev.appendChild(s('text', { x: xl, y: 14, 'text-anchor': 'middle', 'font-size': 13, fill: '#084f4f', 'font-weight': 700 }, e.label || 'Treatment'));
        ev.appendChild(s('text', { x: xl, y: 28, 'text-anchor': 'middle', 'font-size': 12, fill: '#084f4f' }, fmtDay(e.t)));
    }
    svg.appendChild(ev);

    // photo dates on the axis (small ticks, labelled unless an event already labels that spot)
    const seen = new Set();
    for (const p of all) {
        const xp = Math.round(x(p.t));
        if (seen.has(xp)) continue;
        seen.add(xp);
        svg.appendChild(s('line', { x1: xp, x2: xp, y1: H - m.b, y2: H - m.b + 5, stroke: '#4a555c' }));
        tickLines(p.t).forEach((line, i) => {
            svg.appendChild(s('text', { x: xp, y: H - m.b + 20 + 16 * i, 'text-anchor': 'middle', 'font-size': 13, fill: '#4a555c', 'font-weight': i ? 400 : 600 }, line));
        });
    }

    // series
    series.forEach((sr, i) => {
        const colour = sr.colour || SERIES_COLOURS[i % SERIES_COLOURS.length];
        const shape = sr.marker || MARKERS[i % MARKERS.length];
        const g = s('g', { class: 'series', 'data-series': sr.key || sr.label });
        const pts = sr.points.filter((p) => Number.isFinite(p.y));
        if (pts.length > 1) {
            g.appendChild(s('polyline', {
                points: pts.map((p) => `${x(p.t).toFixed(1)},${y(p.y).toFixed(1)}`).join(' '),
                fill: 'none', stroke: colour, 'stroke-width': 2.5, 'stroke-dasharray': DASHES[i % DASHES.length],
                'stroke-linejoin': 'round',
            }));
        }
        for (const p of pts) {
            const mk = marker(shape, x(p.t), y(p.y), 5.5, colour);
            mk.appendChild(s('title', null, `${sr.label}: ${p.label || p.y} (${fmtDay(p.t)})`));
            g.appendChild(mk);
        }
        svg.appendChild(g);
    });
    return svg;
}

// The legend for a chart's series, as HTML-friendly data (the page draws it with small SVG
// swatches showing the same marker and dash).
export function legendSwatch(i, sr) {
    const colour = sr.colour || SERIES_COLOURS[i % SERIES_COLOURS.length];
    const shape = sr.marker || MARKERS[i % MARKERS.length];
    return s('svg', { viewBox: '0 0 40 16', width: 40, height: 16, 'aria-hidden': 'true', class: 'swatch' },
        s('line', { x1: 2, x2: 38, y1: 8, y2: 8, stroke: colour, 'stroke-width': 2.5, 'stroke-dasharray': DASHES[i % DASHES.length] }),
        marker(shape, 20, 8, 5, colour));
}
