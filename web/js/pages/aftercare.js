// SPDX-License-Identifier: AGPL-3.0-or-later
// Aftercare for a session: the handout drawn from GET /api/sessions/{sid}/aftercare (the
// aftercare library's JSON, docs/aftercare.md, plus session_id, client_id, signed_at and the
// client's products: docs/api.md), printable from this page, the library's own one-page HTML
// handout, the .ics calendar and the rebooking date. Only that one route is read, so reception
// (who may read aftercare, not the session) opens it too. Nothing here decides what the client
// is told: the text is the server's.

import { api, queryId } from '../api.js';
import { h, fill, fmtDateTime } from '../dom.js';
import { startPage, pageHead } from '../app.js';

// Every date of the handout in one format: "Sat 5 Dec 2026".
export function handoutDate(iso) {
    const d = new Date(`${iso}T12:00:00`);
    if (!iso || Number.isNaN(d.getTime())) return String(iso || '—');
    return d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
}

// What to avoid, and the last day of it: a table, as on the printed one-page handout.
function avoidTable(avoid) {
    if (!avoid.length) return null;
    return h('section', { 'data-key': 'avoid' },
        h('h2', null, 'For the next days, please avoid'),
        h('table', { class: 'avoid-table', id: 'avoid-table' },
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'What'), h('th', { scope: 'col' }, 'Until (inclusive)'))),
            h('tbody', null, avoid.map((a) => h('tr', { 'data-code': a.code },
                h('td', null, a.text),
                h('td', { class: 'nowrap' }, handoutDate(a.until)))))));
}

function routineList(routine) {
    if (!routine.length) return null;
    return h('section', { 'data-key': 'routine' },
        h('h2', null, 'Your daily routine from now on'),
        h('ul', null, routine.map((r) => {
            const f = String(r.frequency || '');
            return h('li', { 'data-code': r.code },
                f ? h('strong', null, `${f.charAt(0).toUpperCase()}${f.slice(1)}: `) : null,
                r.text,
                r.from ? h('span', { class: 'small' }, ` From ${handoutDate(r.from)}.`) : null);
        })));
}

function lifestyleList(lines) {
    if (!lines.length) return null;
    return h('section', { 'data-key': 'lifestyle' },
        h('h2', null, 'For healthy skin'),
        h('ul', null, lines.map((t) => h('li', null, t))));
}

// The client's checked products (saved on the ingredients page): keep or replace, and why.
function productsSection(products) {
    if (!products.length) return null;
    return h('section', { 'data-key': 'products', id: 'handout-products' },
        h('h2', null, 'Your products'),
        h('ul', null, products.map((p) => h('li', null,
            h('strong', null, p.decision === 'replace' ? '✖ Replace: ' : '✓ Keep: '), p.name,
            p.reason ? ` — ${p.reason}` : ''))));
}

// "Questions … call Clinica Lumen on +39 …": the clinic's number when the admin has set it.
function callLine(clinic) {
    const name = clinic && clinic.name ? clinic.name : 'the clinic';
    const phone = clinic && clinic.phone ? [' on ', h('strong', { class: 'nowrap', id: 'clinic-phone' }, clinic.phone)] : null;
    return h('p', { class: 'small', id: 'handout-call' },
        'Questions, or a reaction that worries you (pain, swelling, heat)? Call ', name, phone, '.');
}

startPage({
    nav: 'clients',
    title: 'Aftercare',
    render: async (main, session) => {
        const sid = queryId('session');
        if (!sid) throw new Error('No session chosen: open aftercare from a session or client page.');
        const ac = await api.get(`/api/sessions/${sid}/aftercare`);
        const clinical = session.user.role !== 'reception';
        const client = ac.client || {};
        const name = client.name || '';
        const clinic = ac.clinic || null;
        const rebook = ac.rebook || {};
        const crumbs = [{ href: '/', label: 'Clients' }];
        if (name) crumbs.push({ href: `/client?id=${ac.client_id}`, label: name });
        if (clinical) crumbs.push({ href: `/session?id=${sid}`, label: 'Session' });
        crumbs.push({ label: 'Aftercare' });
        document.title = `Aftercare${name ? ` — ${name}` : ''} · poreclear`;

        const printBtn = h('button', { type: 'button', class: 'primary', id: 'print-handout' }, 'Print handout');
        printBtn.addEventListener('click', () => window.print());

        fill(main,
            pageHead('Aftercare', crumbs,
                printBtn,
                h('a', { class: 'button', id: 'download-ics', href: `/api/sessions/${sid}/aftercare.ics`, download: `aftercare-${sid}.ics` }, 'Calendar file (.ics)'),
                h('a', { class: 'button', id: 'open-html', href: `/api/sessions/${sid}/aftercare.html`, target: '_blank', rel: 'noopener' }, 'One-page handout'),
                // the free slots around the rebooking date in the appointment book (issue 11)
                rebook.date ? h('a', { class: 'button', id: 'book-now', href: `/book?client=${ac.client_id}&around=${rebook.date}` }, 'Book it now') : null),
            ac.signed_at ? null : h('div', { class: 'alert warn no-print', role: 'status' },
                h('span', { class: 'icon', 'aria-hidden': 'true' }, '⚠'),
                h('div', null, h('strong', { class: 'title' }, 'The session is not signed yet'),
                    h('p', null, 'The rebooking date is stored on the client\'s page when the session is signed.'))),
            h('p', { class: 'no-print muted' }, 'Give the client the printed handout, or let them import the calendar file: it reminds them what to avoid, and when to come back.'),
            h('article', { class: 'handout', id: 'handout', 'aria-labelledby': 'handout-h' },
                clinic && clinic.name ? h('p', { class: 'clinic-line', id: 'handout-clinic' }, h('strong', null, clinic.name),
                    clinic.address ? ` · ${clinic.address}` : null, clinic.phone ? ` · ${clinic.phone}` : null) : null,
                h('h2', { id: 'handout-h', class: 'handout-title' }, 'Your skin after today\'s deep pore cleansing'),
                h('p', { id: 'handout-for' },
                    name ? [h('strong', null, name), ' · '] : null,
                    `Treatment on ${handoutDate(ac.visit_date)}`),
                rebook.date ? h('p', { class: 'rebook', id: 'handout-rebook' }, 'Your next treatment: ',
                    h('span', { id: 'rebook-date' }, handoutDate(rebook.date)),
                    rebook.weeks ? h('span', { class: 'small' }, ` (in ${rebook.weeks} weeks — please book ahead)`) : null) : null,
                avoidTable(ac.avoid || []),
                routineList(ac.routine || []),
                lifestyleList(ac.lifestyle || []),
                productsSection(ac.products || []),
                callLine(clinic),
                h('p', { class: 'small muted' }, `Printed ${fmtDateTime(new Date().toISOString())}.`)));
    },
});
