// SPDX-License-Identifier: AGPL-3.0-or-later
// Clients: find one (search by name, phone or e-mail) or create a new one.

import { api, withQuery } from '../api.js';
import { h, fill, fmtDate, alertBox, formValues, todayIso } from '../dom.js';
import { startPage, pageHead, showError, busy } from '../app.js';
import { alertBadges } from '../alerts.js';
import { phoneOk, emailOk } from '../contact.js';

function resultItem(c) {
    return h('li', null, h('a', { href: `/client?id=${c.id}` },
        h('span', null,
            h('span', { class: 'name' }, c.name),
            h('span', { class: 'muted small' }, ` · born ${fmtDate(c.birth_date)}`),
            alertBadges(c.alerts)),
        h('span', { class: 'small muted' },
            c.rebook_date ? `Rebook ${fmtDate(c.rebook_date)}` : (c.latest_intake ? `Intake v${c.latest_intake.version}` : 'No intake yet'))));
}

function contactProblem(form) {
    for (const el of [form.phone, form.email]) el.removeAttribute('aria-invalid');
    const phone = form.phone.value.trim();
    const email = form.email.value.trim();
    if (phone && !phoneOk(phone)) return { input: form.phone, text: `“${phone}” is not a phone number: 5 to 20 digits; spaces, - . / ( ) and a leading + are fine.` };
    if (email && !emailOk(email)) return { input: form.email, text: `“${email}” is not an e-mail address (like name@example.com).` };
    return null;
}

function newClientForm(onCreated) {
    const err = h('div', { hidden: true });
    const form = h('form', { id: 'new-client', novalidate: true },
        err,
        h('div', { class: 'grid-2' },
            h('div', { class: 'field' },
                h('label', { for: 'nc-name' }, 'Full name'),
                h('input', { type: 'text', id: 'nc-name', name: 'name', required: true, maxlength: 200, autocomplete: 'off' })),
            h('div', { class: 'field' },
                h('label', { for: 'nc-birth' }, 'Date of birth'),
                h('input', { type: 'date', id: 'nc-birth', name: 'birth_date', required: true, max: todayIso() })),
            h('div', { class: 'field' },
                h('label', { for: 'nc-phone' }, 'Phone ', h('span', { class: 'muted small' }, '(optional)')),
                h('input', { type: 'tel', id: 'nc-phone', name: 'phone', autocomplete: 'off', maxlength: 32, inputmode: 'tel' })),
            h('div', { class: 'field' },
                h('label', { for: 'nc-email' }, 'E-mail ', h('span', { class: 'muted small' }, '(optional)')),
                h('input', { type: 'email', id: 'nc-email', name: 'email', autocomplete: 'off', maxlength: 254 }))),
        h('div', { class: 'field' },
            h('label', { for: 'nc-notes' }, 'Notes ', h('span', { class: 'muted small' }, '(optional)')),
            h('textarea', { id: 'nc-notes', name: 'notes', rows: 2 })),
        h('div', { class: 'button-row' },
            h('button', { type: 'submit', class: 'primary', id: 'nc-save' }, 'Create client')));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const v = formValues(form);
        v.name = v.name.trim();
        if (!v.name || !v.birth_date) {
            fill(err, alertBox('error', 'Name and date of birth are needed.'));
            err.hidden = false;
            (v.name ? form.birth_date : form.name).focus();
            return;
        }
        const bad = contactProblem(form);
        if (bad) {
            fill(err, alertBox('error', 'Please check the contact details', h('p', null, bad.text)));
            err.hidden = false;
            bad.input.setAttribute('aria-invalid', 'true');
            bad.input.focus();
            return;
        }
        const body = { name: v.name, birth_date: v.birth_date };
        for (const k of ['phone', 'email', 'notes']) if (v[k].trim()) body[k] = v[k].trim();
        try {
            const c = await busy(form.querySelector('#nc-save'), () => api.post('/api/clients', body));
            onCreated(c);
        } catch (e) {
            showError(err, e, 'The client was not created');
        }
    });
    return form;
}

startPage({
    nav: 'clients',
    title: 'Clients',
    render: async (main) => {
        const list = h('ul', { class: 'results', id: 'client-results', 'aria-live': 'polite' });
        const count = h('p', { class: 'muted small', id: 'client-count' });
        const errors = h('div', { hidden: true });
        const q = h('input', {
            type: 'search', id: 'client-q', name: 'q', placeholder: 'Name, phone or e-mail',
            autocomplete: 'off', 'aria-describedby': 'client-count',
        });
        const newBox = h('section', { class: 'card', id: 'new-client-card', hidden: true, 'aria-labelledby': 'nc-title' },
            h('h2', { id: 'nc-title' }, 'New client'),
            newClientForm((c) => window.location.assign(`/client?id=${c.id}`)));
        const newBtn = h('button', { type: 'button', class: 'primary', id: 'new-client-btn', 'aria-expanded': 'false', 'aria-controls': 'new-client-card' }, '+ New client');
        newBtn.addEventListener('click', () => {
            newBox.hidden = !newBox.hidden;
            newBtn.setAttribute('aria-expanded', String(!newBox.hidden));
            if (!newBox.hidden) newBox.querySelector('input').focus();
        });

        let seq = 0;
        async function search() {
            const mine = ++seq;
            try {
                const res = await api.get(withQuery('/api/clients', { q: q.value.trim(), limit: 50 }));
                if (mine !== seq) return; // a newer search is under way
                errors.hidden = true;
                fill(list, res.clients.map(resultItem));
                const shown = res.clients.length;
                fill(count, res.total === 0
                    ? (q.value.trim() ? 'No client matches. Check the spelling or create a new client.' : 'No clients yet.')
                    : `${res.total} client${res.total === 1 ? '' : 's'}${shown < res.total ? `, first ${shown} shown` : ''}`);
            } catch (e) {
                showError(errors, e, 'Search failed');
            }
        }
        let timer = 0;
        q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 200); });

        fill(main,
            pageHead('Clients', null, newBtn),
            newBox,
            h('form', { role: 'search', class: 'card', id: 'client-search' },
                h('label', { for: 'client-q' }, 'Find a client'),
                h('div', { class: 'search-row' }, q, h('button', { type: 'submit' }, 'Search')),
                count),
            errors,
            list);
        main.querySelector('#client-search').addEventListener('submit', (ev) => { ev.preventDefault(); search(); });
        await search();
        q.focus();
    },
});
