// SPDX-License-Identifier: AGPL-3.0-or-later
// The staff's view of the client's side at home (issue 12.4-12.6): on the client page, what
// the client ticked since the visit (in words, never a score), the client's shelf before the
// visit and their private calendar address (revocable); on the photo and before/after pages, a
// "Share with the client" button that is revocable (POST/DELETE /api/clients/{id}/shares).
import { api, ApiError } from './api.js';
import { h, fill, fmtDate, badge } from './dom.js';

// The "At home" card of the client page; fills itself. clinical: the adherence and the shelf
// (reception sees only the calendar address's state).
export function atHomeBox(clientId, clinical) {
    const adherence = h('div', { id: 'adherence' }, h('p', { class: 'muted' }, 'Loading…'));
    const shelf = h('div', { id: 'client-shelf' });
    const feed = h('div', { id: 'care-feed' });
    const box = h('section', { class: 'card', id: 'at-home', 'aria-labelledby': 'at-home-h' },
        h('h2', { id: 'at-home-h' }, 'At home (client portal)'),
        clinical ? [h('h3', null, 'Routine ticks since the visit'), adherence, h('h3', null, 'The client\'s shelf'), shelf] : null,
        h('h3', null, 'Calendar address'), feed);
    if (clinical) {
        api.get(`/api/clients/${clientId}/adherence`).then((a) => {
            fill(adherence,
                h('p', { id: 'adherence-summary' }, a.summary),
                a.ticks_recorded ? null : h('p', { class: 'hint' }, `Routine from ${fmtDate(a.parts.evening.from)}; next visit ${fmtDate(a.rebook_date)}.`),
                h('p', { class: 'hint' }, 'What the client ticked in the portal, nothing more: a day without a tick may still have been a day of care.'));
        }).catch((e) => fill(adherence, h('p', { class: 'muted' }, e instanceof ApiError && e.code === 'no_aftercare'
            ? 'No aftercare yet: it starts with the first signed session.' : `Not available: ${e.message}`)));
        api.get(`/api/clients/${clientId}/shelf`).then((s) => {
            fill(shelf, s.shelf.length
                ? h('ul', { class: 'results', id: 'shelf-list' }, s.shelf.map((it) => h('li', { 'data-id': it.id },
                    h('strong', null, it.name), ' ',
                    it.flagged ? badge('blocked', `${it.flagged} may clog pores`) : badge('ok', 'none flagged'),
                    h('div', { class: 'small' }, it.plain),
                    h('div', { class: 'small muted' }, `added ${fmtDate(it.added_at)}${it.product_id ? ' (picked from the products the clinic checked)' : ''}`))))
                : h('p', { class: 'muted' }, 'Nothing on the client\'s shelf yet.'));
        }).catch((e) => fill(shelf, h('p', { class: 'muted' }, `Not available: ${e.message}`)));
    }
    const drawFeed = (f) => {
        if (!f.active) {
            fill(feed, h('p', { class: 'muted', id: 'care-feed-state' }, 'The client has no calendar address for their aftercare.'));
            return;
        }
        const stop = h('button', { type: 'button', id: 'care-feed-revoke' }, 'Stop the client\'s calendar address');
        stop.addEventListener('click', async () => {
            if (!window.confirm('Stop the client\'s private calendar address (for example after a lost phone)? Their calendar app stops receiving the aftercare dates.')) return;
            stop.disabled = true;
            try { drawFeed(await api.del(`/api/clients/${clientId}/care-feed`)); } catch (e) { stop.disabled = false; fill(feed, h('p', { role: 'alert' }, e.message)); }
        });
        fill(feed, h('p', { id: 'care-feed-state' }, `The client follows their aftercare in a calendar app (address made ${fmtDate(f.created_at)}).`), stop);
    };
    api.get(`/api/clients/${clientId}/care-feed`).then(drawFeed).catch((e) => fill(feed, h('p', { class: 'muted' }, `Not available: ${e.message}`)));
    return box;
}

// The client's shares, asked once for all the buttons of a page drawn at once.
const sharesOf = new Map();
function shares(clientId) {
    if (!sharesOf.has(clientId)) {
        sharesOf.set(clientId, api.get(`/api/clients/${clientId}/shares`));
        setTimeout(() => sharesOf.delete(clientId), 1000);
    }
    return sharesOf.get(clientId);
}

// "Share with the client" / "Stop sharing" for one photo or comparison (kind, refId).
export function shareButton(clientId, kind, refId) {
    const what = kind === 'photo' ? 'photo' : 'before/after';
    const btn = h('button', { type: 'button', class: 'share-toggle', 'data-kind': kind, 'data-ref': refId, disabled: true }, `Share this ${what} with the client`);
    const note = h('span', { class: 'small muted share-note', 'aria-live': 'polite' });
    let current = null; // the standing share
    const draw = () => {
        btn.disabled = false;
        btn.textContent = current ? `Stop sharing this ${what}` : `Share this ${what} with the client`;
        note.textContent = current ? ` Shared with the client on ${fmtDate(current.shared_at)}.` : '';
    };
    shares(clientId).then((r) => {
        current = r.shares.find((s) => s.kind === kind && s.ref_id === refId && !s.revoked_at) || null;
        draw();
    }).catch(() => { note.textContent = ' Sharing is not available.'; });
    btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
            if (current) {
                await api.del(`/api/clients/${clientId}/shares/${current.id}`);
                current = null;
            } else {
                current = await api.post(`/api/clients/${clientId}/shares`, { kind, id: refId });
            }
        } catch (e) {
            note.textContent = ` ${e.message}`;
        }
        draw();
    });
    return h('span', { class: 'share' }, btn, note);
}
