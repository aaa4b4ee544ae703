// SPDX-License-Identifier: AGPL-3.0-or-later
// Consent before each session: who consented, when, and what was agreed
// (POST /api/clients/{id}/consents). A consent is used by one session on the same day.

import { api, queryId } from '../api.js';
import { h, fill, fmtDateTime, alertBox, uid, badge } from '../dom.js';
import { startPage, pageHead, showError, busy } from '../app.js';

const ITEMS = [
    ['treatment', 'The deep pore cleansing treatment', 'Cleanse, exfoliation, steam, mask and finish, as planned today. Required.'],
    ['extraction', 'Extraction of blackheads and whiteheads', 'By hand with gauze or with a comedone loop; may leave temporary redness.'],
    ['high_frequency', 'High-frequency treatment', 'A glass electrode with a mild current; jewellery removed first.'],
    ['chemical_exfoliation', 'Chemical exfoliation', 'An acid (AHA/BHA) or enzyme exfoliant; may tingle.'],
    ['photos', 'Photos of the skin', 'Before and after photos for the client record only.'],
];

const DEFAULT_TEXT = 'Explained the steps of today\'s plan, what each involves, the usual short-term redness, '
    + 'the aftercare for the next 72 hours, and that the client may stop at any time. '
    + 'The client confirmed the health questionnaire is up to date.';

function consentRow(c) {
    return h('tr', null,
        h('td', null, fmtDateTime(c.at)),
        h('td', null, c.client_name),
        h('td', null, (c.agreed || []).map((a) => a.replace(/_/g, ' ')).join(', ')),
        h('td', null, c.recorded_by ? (c.recorded_by.display_name || c.recorded_by.username) : '—'),
        h('td', null, c.session_id ? h('a', { href: `/session?id=${c.session_id}` }, `session ${c.session_id}`) : badge('pending', 'not used yet')));
}

startPage({
    nav: 'clients',
    title: 'Consent',
    render: async (main) => {
        const clientId = queryId('client');
        if (!clientId) throw new Error('No client chosen: open consent from a client page.');
        const [client, consents] = await Promise.all([
            api.get(`/api/clients/${clientId}`),
            api.get(`/api/clients/${clientId}/consents`),
        ]);
        const errors = h('div', { hidden: true, id: 'consent-errors' });
        const whoId = uid('who');
        const textId = uid('text');
        const form = h('form', { id: 'consent-form', novalidate: true },
            errors,
            h('fieldset', null,
                h('legend', null, 'What the client agrees to today'),
                h('p', { class: 'hint' }, 'Go through each item with the client. Leave unticked whatever they do not want: the session page then flags that step, to be recorded as not done.'),
                h('div', { class: 'choices' }, ITEMS.map(([v, label, tip]) => {
                    const id = uid('agree');
                    return h('label', { class: 'choice', for: id },
                        h('input', { type: 'checkbox', id, name: 'agreed', value: v, checked: v === 'treatment' }),
                        h('span', null, label, h('span', { class: 'hint' }, tip)));
                }))),
            h('div', { class: 'card' },
                h('div', { class: 'field' },
                    h('label', { for: whoId }, 'Consent given by'),
                    h('p', { class: 'hint', id: `${whoId}-hint` }, 'The client, or the parent or guardian who consents for them.'),
                    h('input', { type: 'text', id: whoId, name: 'client_name', value: client.name, maxlength: 200, required: true, 'aria-describedby': `${whoId}-hint` })),
                h('div', { class: 'field' },
                    h('label', { for: textId }, 'What was explained'),
                    h('textarea', { id: textId, name: 'text', rows: 4, maxlength: 4000 }, DEFAULT_TEXT)),
                h('p', { class: 'small muted' }, 'The time and your name are recorded by the server when you save.')),
            h('div', { class: 'button-row' },
                h('button', { type: 'submit', class: 'primary big', id: 'consent-save' }, 'Record consent'),
                h('a', { class: 'button', href: `/client?id=${clientId}` }, 'Cancel')));

        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            const agreed = [...form.querySelectorAll('input[name="agreed"]:checked')].map((i) => i.value);
            const who = form.client_name.value.trim();
            if (!agreed.includes('treatment')) {
                fill(errors, alertBox('error', 'No consent to the treatment', h('p', null, 'Without consent to the treatment itself no session can start. Record nothing, or tick the treatment.')));
                errors.hidden = false;
                return;
            }
            if (!who) {
                fill(errors, alertBox('error', 'Who gave consent?', h('p', null, 'Enter the name of the person consenting.')));
                errors.hidden = false;
                form.client_name.focus();
                return;
            }
            const body = { agreed, client_name: who };
            const text = form.text.value.trim();
            if (text) body.text = text;
            try {
                const c = await busy(form.querySelector('#consent-save'), () => api.post(`/api/clients/${clientId}/consents`, body));
                // an appointment being started (the book's "Start treatment") goes along to the plan
                const appt = queryId('appointment');
                window.location.assign(`/plan?client=${clientId}&consent=${c.id}${appt ? `&appointment=${appt}` : ''}`);
            } catch (e) {
                showError(errors, e, 'Consent was not recorded');
            }
        });

        const list = consents.consents || [];
        fill(main,
            pageHead('Consent', [
                { href: '/', label: 'Clients' },
                { href: `/client?id=${clientId}`, label: client.name },
                { label: 'Consent' },
            ]),
            h('p', null, 'Consent is confirmed before every treatment, after the intake has been checked.'),
            form,
            list.length ? h('section', { class: 'card', 'aria-labelledby': 'past-h' },
                h('h2', { id: 'past-h' }, 'Recorded consents'),
                h('div', { class: 'table-wrap' }, h('table', { id: 'consents-table' },
                    h('thead', null, h('tr', null, h('th', null, 'When'), h('th', null, 'Who'), h('th', null, 'Agreed to'), h('th', null, 'Recorded by'), h('th', null, 'Session'))),
                    h('tbody', null, list.map(consentRow))))) : null);
    },
});
