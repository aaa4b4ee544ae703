// SPDX-License-Identifier: AGPL-3.0-or-later
// The consents the client signed online (issue 12.3), for the session page: the items, the
// typed name, the drawn signature, when, the text's SHA-256, and a withdrawal when there is one.
import { api } from './api.js';
import { h, fmtDateTime, badge } from './dom.js';

export async function onlineConsentBox(clientId) {
    let list;
    try {
        list = (await api.get(`/api/clients/${clientId}/online-consents`)).consents || [];
    } catch (e) {
        return null;
    }
    if (!list.length) return null;
    const c = list[0];
    return h('section', { class: 'card', id: 'online-consent', 'aria-labelledby': 'online-consent-h' },
        h('h2', { id: 'online-consent-h' }, 'Consent signed online'),
        c.withdrawn_at
            ? h('p', { id: 'online-consent-state' }, badge('blocked', 'Withdrawn'), ` ${fmtDateTime(c.withdrawn_at)}`,
                c.withdraw_reason ? ` — “${c.withdraw_reason}”` : '')
            : h('p', { id: 'online-consent-state' }, badge('ok', 'Signed'), ` ${fmtDateTime(c.signed_at)} by ${c.typed_name}`),
        h('p', null, 'Agreed: ', h('strong', null, c.items.map((i) => i.replace(/_/g, ' ')).join(', '))),
        h('img', { src: c.signature, alt: `Signature of ${c.typed_name}`, class: 'online-signature', id: 'online-signature' }),
        h('details', null, h('summary', null, 'The text signed'),
            h('pre', { class: 'consent-text' }, c.text),
            h('p', { class: 'small muted' }, `SHA-256 ${c.text_sha256} · from ${c.ip}`)),
        list.length > 1 ? h('p', { class: 'small muted' }, `${list.length - 1} earlier signed online.`) : null);
}
