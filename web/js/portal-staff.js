// SPDX-License-Identifier: AGPL-3.0-or-later
// The client portal on the staff's client page (issue 12): the invitation (a one-time link the
// desk hands over, or e-mailed), the account's state, and — for the practitioner — the intake
// the client filled in on the portal: what changed since the previous version and what the
// screening now says.
import { api } from './api.js';
import { h, fill, fmtDateTime, badge } from './dom.js';
import { errorBox } from './app.js';

const FIELD_WORDS = {
    conditions: 'Conditions', implants: 'Implants', allergies: 'Allergies', medications: 'Medicines',
    recent_procedures: 'Recent treatments', 'client.skin_type': 'Skin type',
    'client.fitzpatrick': 'Fitzpatrick type', pregnant: 'Pregnant', breastfeeding: 'Breastfeeding',
    notes: 'Notes',
};
const STATUS_BADGE = { ok: 'ok', modified: 'modify', blocked: 'blocked', needs_review: 'warn' };

function words(v) {
    if (v === null || v === undefined) return 'not given';
    if (v === true) return 'yes';
    if (v === false) return 'no';
    return String(v);
}

// The portal card: account state, "Invite to the portal", the link once made.
export function portalBox(clientId) {
    const state = h('p', { id: 'portal-state' }, 'Loading…');
    const out = h('div', { id: 'portal-invite-out', 'aria-live': 'polite' });
    const btn = h('button', { type: 'button', class: 'button', id: 'portal-invite' }, 'Invite to the portal');
    const box = h('section', { class: 'card', id: 'portal-box', 'aria-labelledby': 'portal-h' },
        h('h2', { id: 'portal-h' }, 'Client portal'), state, btn, out);
    async function load() {
        try {
            const p = await api.get(`/api/clients/${clientId}/portal`);
            const unlock = p.account && p.account.locked
                ? h('button', { type: 'button', class: 'button', id: 'portal-unlock', onclick: async () => {
                    try {
                        await api.post(`/api/clients/${clientId}/portal/unlock`, {});
                        await load();
                    } catch (e) {
                        fill(out, errorBox(e, 'The account could not be unlocked'));
                    }
                } }, 'Unlock (admin)')
                : null;
            fill(state, p.account
                ? [badge('ok', 'Has an account'), ` user name ${p.account.username}`, p.account.totp_on ? ' · extra sign-in code on' : '',
                    p.account.locked ? [' ', badge('blocked', 'Locked after failed sign-ins'), ' ', unlock] : null]
                : p.invitation_pending_until
                    ? [badge('info', 'Invited'), ` link valid until ${fmtDateTime(p.invitation_pending_until)}`]
                    : 'No account yet.');
        } catch (e) {
            fill(state, errorBox(e, 'The portal state could not be loaded'));
        }
    }
    btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
            const inv = await api.post(`/api/clients/${clientId}/invitation`, {});
            fill(out,
                h('p', null, inv.emailed ? 'The link was e-mailed to the client. It is also here:' : 'Give the client this link (it works once):'),
                h('p', { class: 'portal-link' }, h('a', { href: inv.url, id: 'portal-invite-url' }, inv.url)),
                h('p', { class: 'hint' }, `Valid until ${fmtDateTime(inv.expires_at)}.`));
            await load();
        } catch (e) {
            fill(out, errorBox(e, 'The invitation could not be made'));
        } finally {
            btn.disabled = false;
        }
    });
    load();
    return box;
}

// The client's latest intake when it came from the portal: what changed, and the screening now.
export async function portalIntakeBox(clientId, latest) {
    if (!latest || !latest.from_client) return null;
    let c;
    try {
        c = await api.get(`/api/clients/${clientId}/intakes/latest/changes`);
    } catch (e) {
        return errorBox(e, 'The client\'s intake changes could not be loaded');
    }
    const items = c.changes.map((ch) => h('li', null, h('strong', null, `${FIELD_WORDS[ch.field] || ch.field}: `),
        ch.added || ch.removed
            ? [ch.added.length ? `added ${ch.added.join(', ')}` : null,
                ch.added.length && ch.removed.length ? '; ' : null,
                ch.removed.length ? `no longer ${ch.removed.join(', ')}` : null]
            : `${words(ch.from)} → ${words(ch.to)}`));
    return h('section', { class: 'card', id: 'portal-intake', 'aria-labelledby': 'portal-intake-h' },
        h('h2', { id: 'portal-intake-h' }, 'Intake from the client'),
        h('p', null, badge('info', 'From the client'), ` version ${c.version}, ${fmtDateTime(c.created_at)}`,
            c.previous_version ? ` (changes since version ${c.previous_version})` : ' (the first version)'),
        items.length ? h('ul', { id: 'portal-intake-changes' }, items) : h('p', { class: 'muted' }, 'Nothing changed.'),
        c.plan_status ? h('p', { id: 'portal-intake-status' }, 'The screening now: ',
            badge(STATUS_BADGE[c.plan_status] || 'info', c.plan_status.replace('_', ' ')),
            ' · ', h('a', { href: `/plan?client=${clientId}` }, 'Today\'s plan')) : null);
}
