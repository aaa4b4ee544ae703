// SPDX-License-Identifier: AGPL-3.0-or-later
// The photo with every finding marked: an SVG over the photo (the photo itself is an SVG
// <image>, so marks and photo scale together). Each finding type has its own colour AND shape
// (skin.js FINDING_TYPES), with a dark under-stroke so the marks read on any skin tone; a legend
// with a checkbox per type shows or hides that type.

import { h } from './dom.js';
import { s } from './svgchart.js';
import { FINDING_TYPES, findingType } from './skin.js';

// One mark centred on (x, y) for a finding of radius r, line width u.
function mark(shape, x, y, r, u, colour) {
    const R = Math.max(r * 1.35 + 2 * u, 5 * u);
    const sw = 2.2 * u;
    const path = {
        ring: () => s('circle', { cx: x, cy: y, r: R }),
        circle: () => s('circle', { cx: x, cy: y, r: R }),
        square: () => s('rect', { x: x - R, y: y - R, width: 2 * R, height: 2 * R }),
        diamond: () => s('polygon', { points: `${x},${y - R * 1.3} ${x + R * 1.3},${y} ${x},${y + R * 1.3} ${x - R * 1.3},${y}` }),
        triangle: () => s('polygon', { points: `${x},${y - R * 1.4} ${x + R * 1.3},${y + R} ${x - R * 1.3},${y + R}` }),
    }[shape] || (() => s('circle', { cx: x, cy: y, r: R }));
    const under = path();
    under.setAttribute('fill', 'none');
    under.setAttribute('stroke', '#1d2327');
    under.setAttribute('stroke-width', String(sw * 2));
    under.setAttribute('stroke-opacity', '0.7');
    const top = path();
    top.setAttribute('fill', 'none');
    top.setAttribute('stroke', colour);
    top.setAttribute('stroke-width', String(sw));
    if (shape === 'ring') top.setAttribute('stroke-dasharray', `${3 * u} ${2 * u}`);
    return [under, top];
}

// The SVG: photo + marks. `findings` [{x, y, r, type}] in the photo's pixels.
export function markedPhoto({ imageUrl, width, height, findings, alt, id }) {
    const u = Math.max(1, Math.min(width, height) / 700);
    const groups = new Map();
    for (const t of FINDING_TYPES) groups.set(t.key, s('g', { class: `marks marks-${t.key}`, 'data-type': t.key }));
    for (const f of findings || []) {
        const t = findingType(f.type);
        let g = groups.get(t.key);
        if (!g) { g = s('g', { class: `marks marks-${t.key}`, 'data-type': t.key }); groups.set(t.key, g); }
        if (t.shape === 'dot') {
            g.appendChild(s('circle', { cx: f.x, cy: f.y, r: Math.max(f.r, 1.5 * u), fill: t.colour, 'fill-opacity': 0.55 }));
        } else {
            for (const el of mark(t.shape, f.x, f.y, f.r, u, t.colour)) g.appendChild(el);
        }
    }
    return s('svg', {
        viewBox: `0 0 ${width} ${height}`, class: 'marked-photo', role: 'img', 'aria-label': alt || 'Photo with findings marked', id,
        preserveAspectRatio: 'xMidYMid meet',
    }, s('image', { href: imageUrl, x: 0, y: 0, width, height, preserveAspectRatio: 'none' }), [...groups.values()]);
}

// A small swatch showing a type's shape and colour (for legends).
export function typeSwatch(key) {
    const t = findingType(key);
    if (t.shape === 'dot') {
        return s('svg', { viewBox: '0 0 24 24', width: 24, height: 24, class: 'swatch', 'aria-hidden': 'true' },
            s('circle', { cx: 12, cy: 12, r: 5, fill: t.colour, stroke: '#1d2327', 'stroke-width': 1 }));
    }
    const g = s('svg', { viewBox: '0 0 24 24', width: 24, height: 24, class: 'swatch', 'aria-hidden': 'true' });
    for (const el of mark(t.shape, 12, 12, 3.5, 1, t.colour)) g.appendChild(el);
    return g;
}

// The legend with counts and a show/hide checkbox per type; `svg` is the marked photo.
export function findingLegend(svg, counts, { markedTypes } = {}) {
    const rows = FINDING_TYPES.map((t) => {
        const n = counts && typeof counts[t.key] === 'number' ? counts[t.key] : 0;
        const marked = !markedTypes || markedTypes.has(t.key);
        const box = h('input', { type: 'checkbox', checked: marked, disabled: !marked || n === 0, 'data-type': t.key, 'aria-label': `Show ${t.plural.toLowerCase()} on the photo` });
        box.addEventListener('change', () => {
            const g = svg.querySelector(`g[data-type="${t.key}"]`);
            if (g) g.classList.toggle('is-hidden', !box.checked);
        });
        return h('li', { class: 'legend-row', 'data-type': t.key },
            box, typeSwatch(t.key),
            h('span', { class: 'legend-name' }, t.plural),
            h('strong', { class: 'legend-count', 'data-count': t.key }, String(n)),
            h('span', { class: 'legend-what small muted' }, marked ? t.what : `${t.what} — counted here, marked on the overlay picture (PNG)`));
    });
    return h('ul', { class: 'legend', id: 'finding-legend' }, rows);
}
