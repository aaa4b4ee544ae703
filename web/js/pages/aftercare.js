// SPDX-License-Identifier: AGPL-3.0-or-later
// Aftercare for a session: the handout (from the aftercare library's JSON, docs/aftercare.md),
// printable from this page, the library's own one-page HTML handout, the .ics calendar, and
// the rebooking date. Nothing here decides what the client is told: the text is the server's.

import { api, queryId } from '../api.js';
import { h, fill, fmtDate, fmtDateTime, humanize, alertBox } from '../dom.js';
import { startPage, pageHead } from '../app.js';

const KNOWN_TITLES = {
    avoid: 'For the next days, please avoid',
    avoid_until: 'For the next days, please avoid',
    first_days: 'The first days',
    first_72h: 'The first 72 hours',
    routine: 'Your daily routine from now on',
    daily_routine: 'Your daily routine from now on',
    lifestyle: 'For healthy skin',
    tips: 'Good to know',
    notes: 'Notes',
};

function dayDate(iso) {
    const d = new Date(`${iso}T12:00:00`);
    if (Number.isNaN(d.getTime())) return String(iso);
    return d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
}

// One entry of a list: a plain string, or an object with text and maybe until / frequency.
function itemNode(item) {
    if (item === null || item === undefined) return '';
    if (typeof item !== 'object') return String(item);
    const text = item.text || item.advice || item.what || item.title || item.name || item.message || (item.code ? humanize(item.code) : '');
    if (item.frequency) {
        const f = String(item.frequency).replace(/_/g, ' ');
        return [h('strong', null, `${f.charAt(0).toUpperCase()}${f.slice(1)}: `), text];
    }
    if (item.until) return [text, ' ', h('strong', { class: 'nowrap' }, `until ${dayDate(item.until)}`)];
    return text;
}

// Draw the library's JSON generically: every list becomes a section of bullet points.
function sections(ac) {
    const skip = new Set(['products', 'session_id', 'client_id', 'visit_date', 'rebook_date', 'rebook', 'skin_type', 'title', 'format', 'format_version', 'version', 'sources', 'lifestyle_source']);
    const out = [];
    for (const [key, value] of Object.entries(ac)) {
        if (skip.has(key)) continue;
        let items = null;
        if (Array.isArray(value)) items = value;
        else if (value && typeof value === 'object') {
            const inner = Object.values(value).find(Array.isArray);
            if (inner) items = inner;
        }
        if (!items || !items.length) continue;
        out.push(h('section', { 'data-key': key },
            h('h2', null, KNOWN_TITLES[key] || humanize(key)),
            h('ul', null, items.map((it) => h('li', null, itemNode(it))))));
    }
    return out;
}

// The client's checked products (saved on the ingredients page): keep or replace, and why.
function productsSection(products) {
    if (!Array.isArray(products) || !products.length) return null;
    return h('section', { 'data-key': 'products', id: 'handout-products' },
        h('h2', null, 'Your products'),
        h('ul', null, products.map((p) => h('li', null,
            h('strong', null, p.decision === 'replace' ? '✖ Replace: ' : '✓ Keep: '), p.name,
            p.reason ? ` — ${p.reason}` : ''))));
}

function rebookOf(ac) {
    if (ac.rebook_date) return ac.rebook_date;
    if (ac.rebook && typeof ac.rebook === 'object') return ac.rebook.date || null;
    if (typeof ac.rebook === 'string') return ac.rebook;
    return null;
}

startPage({
    nav: 'clients',
    title: 'Aftercare',
    render: async (main) => {
        const sid = queryId('session');
        if (!sid) throw new Error('No session chosen: open aftercare from a session or client page.');
        const s = await api.get(`/api/sessions/${sid}`);
        const [client, ac] = await Promise.all([
            api.get(`/api/clients/${s.client_id}`).catch(() => null),
            api.get(`/api/sessions/${sid}/aftercare`),
        ]);
        const rebook = rebookOf(ac) || s.rebook_date;
        const visit = ac.visit_date || (s.started_at ? s.started_at.slice(0, 10) : null);
        const crumbs = [{ href: '/', label: 'Clients' }];
        if (client) crumbs.push({ href: `/client?id=${client.id}`, label: client.name });
        crumbs.push({ href: `/session?id=${sid}`, label: 'Session' }, { label: 'Aftercare' });

        const printBtn = h('button', { type: 'button', class: 'primary', id: 'print-handout' }, 'Print handout');
        printBtn.addEventListener('click', () => window.print());

        fill(main,
            pageHead('Aftercare', crumbs,
                printBtn,
                h('a', { class: 'button', id: 'download-ics', href: `/api/sessions/${sid}/aftercare.ics`, download: `aftercare-${sid}.ics` }, 'Calendar file (.ics)'),
                h('a', { class: 'button', id: 'open-html', href: `/api/sessions/${sid}/aftercare.html`, target: '_blank', rel: 'noopener' }, 'One-page handout')),
            s.signed_at ? null : alertBox('warn', 'The session is not signed yet', h('p', null, 'The rebooking date is stored on the client\'s page when the session is signed.')),
            h('p', { class: 'no-print muted' }, 'Give the client the printed handout, or let them import the calendar file: it reminds them what to avoid, and when to come back.'),
            h('article', { class: 'handout', id: 'handout' },
                h('h1', null, 'Your skin after today\'s deep pore cleansing'),
                h('p', null,
                    client ? [h('strong', null, client.name), ' · '] : null,
                    `Treatment on ${fmtDate(visit)}`),
                rebook ? h('p', { class: 'rebook', id: 'handout-rebook' }, 'Your next treatment: ', h('span', { id: 'rebook-date' }, fmtDate(rebook))) : null,
                ac.rebook && ac.rebook.text ? h('p', { class: 'small' }, ac.rebook.text) : null,
                sections(ac),
                productsSection(ac.products),
                h('p', { class: 'small muted' }, `Printed ${fmtDateTime(new Date().toISOString())}. Questions or a reaction that worries you? Call the clinic.`)));
    },
});
