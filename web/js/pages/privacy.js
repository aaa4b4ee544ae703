// SPDX-License-Identifier: AGPL-3.0-or-later
// Privacy (admins): download a client's whole record (client.json + photos, one tar archive)
// and erase a client — photos and personal data gone, an audit entry without personal data kept.
// Erasing asks for the client's exact name, typed, and names the client on the button.

import { api, queryId } from '../api.js';
import { h, fill, alertBox } from '../dom.js';
import { startPage, pageHead, showError, busy } from '../app.js';

startPage({
    nav: 'admin',
    title: 'Privacy',
    render: async (main) => {
        const cid = queryId('client');
        if (!cid) throw new Error('No client chosen: open privacy from a client page.');
        const client = await api.get(`/api/clients/${cid}`);
        document.title = `Privacy — ${client.name} · poreclear`;
        const crumbs = [{ href: '/', label: 'Clients' }, { href: `/client?id=${cid}`, label: client.name }, { label: 'Privacy' }];

        const typed = h('input', { type: 'text', id: 'erase-confirm', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'erase-hint' });
        const erase = h('button', { type: 'submit', class: 'danger big', id: 'erase-client', disabled: true }, `Erase ${client.name} for good`);
        const msg = h('div', { id: 'erase-msg', 'aria-live': 'polite' });
        typed.addEventListener('input', () => { erase.disabled = typed.value.trim() !== client.name; });

        const form = h('form', { class: 'card danger-zone', id: 'erase-form', 'aria-labelledby': 'erase-h' },
            h('h2', { id: 'erase-h' }, h('span', { 'aria-hidden': 'true' }, '⚠ '), 'Erase this client'),
            h('p', null, 'Removes ', h('strong', null, client.name), ' completely: details, every intake, consent, review, session (signed ones too), photo, analysis, comparison and product, and the photo files. The audit log keeps only that something was done, when and by whom — no name and no details.'),
            h('p', null, h('strong', null, 'This cannot be undone.'), ' Download the record first if the client asked for a copy.'),
            h('div', { class: 'field' },
                h('label', { for: 'erase-confirm' }, 'Type the client\'s name to confirm: ', h('span', { class: 'confirm-name' }, client.name)),
                h('p', { class: 'hint', id: 'erase-hint' }, 'Exactly as shown, including capitals.'),
                typed),
            h('div', { class: 'button-row' }, erase),
            msg);
        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            if (typed.value.trim() !== client.name) return;
            busy(erase, async () => {
                try {
                    await api.del(`/api/clients/${cid}`, { confirm: typed.value.trim() });
                    fill(main,
                        pageHead('Client erased', [{ href: '/', label: 'Clients' }, { label: 'Erased' }]),
                        alertBox('ok', `${client.name} was erased`, h('p', { id: 'erased-note' }, `Client #${cid}, their photos and their records are gone. An audit entry without personal data records the erasure.`),
                            h('p', null, h('a', { href: '/', class: 'button' }, 'Back to the clients'))));
                } catch (e) {
                    showError(msg, e, 'The client was not erased');
                }
            });
        });

        fill(main,
            pageHead(`Privacy — ${client.name}`, crumbs),
            h('section', { class: 'card', 'aria-labelledby': 'export-h' },
                h('h2', { id: 'export-h' }, 'Export the record'),
                h('p', null, 'One archive (.tar) with everything held about the client: client.json (details, intakes, consents, sessions, analyses, comparisons, products, the audit entries about them) and the photo files. Keep it safe: it holds face photos.'),
                h('a', { class: 'button primary', id: 'export-client', href: `/api/clients/${cid}/export`, download: `client-${cid}.tar` }, `Download ${client.name}'s record`)),
            form);
    },
});
