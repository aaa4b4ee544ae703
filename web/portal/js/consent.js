// SPDX-License-Identifier: AGPL-3.0-or-later
// Consent signed online: the text of each step the client's plan holds (GET /api/portal/consent),
// a typed name and a signature drawn with pointer events on a canvas (or, without a pointer, the
// typed name written there), sent as a PNG with the
// text's SHA-256 (POST /api/portal/consent); signed consents listed, each may be withdrawn
// (POST /api/portal/consents/{id}/withdraw).
import { api, ApiError, say, errorText, startPortal } from '/portal/js/portal.js';
import { h, fill } from '/js/dom.js';

const me = await startPortal('consent');
const pad = document.getElementById('sig-pad');
const g = pad.getContext('2d');
let drawn = false;
let current = null;

// The canvas's pixels follow its size on screen (sharp on a phone), white under the ink.
function resetPad() {
    const r = pad.getBoundingClientRect();
    const scale = window.devicePixelRatio || 1;
    pad.width = Math.max(40, Math.round(r.width * scale));
    pad.height = Math.max(40, Math.round(r.height * scale));
    g.setTransform(scale, 0, 0, scale, 0, 0);
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, r.width, r.height);
    g.strokeStyle = '#10243e';
    g.lineWidth = 2.5;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    drawn = false;
}

let last = null;
function at(ev) {
    const r = pad.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
}
pad.addEventListener('pointerdown', (ev) => {
    ev.preventDefault();
    try { pad.setPointerCapture(ev.pointerId); } catch (e) { /* a synthetic pointer has none */ }
    last = at(ev);
    g.beginPath();
    g.arc(last[0], last[1], 1, 0, 2 * Math.PI);
    g.fillStyle = '#10243e';
    g.fill();
    drawn = true;
});
pad.addEventListener('pointermove', (ev) => {
    if (!last) return;
    const p = at(ev);
    g.beginPath();
    g.moveTo(last[0], last[1]);
    g.lineTo(p[0], p[1]);
    g.stroke();
    last = p;
});
for (const type of ['pointerup', 'pointercancel', 'pointerleave']) pad.addEventListener(type, () => { last = null; });
document.getElementById('sig-clear').addEventListener('click', resetPad);
// Without a pointer (the keyboard alone, a switch, a screen reader): the typed name written in
// the box in a handwriting style is the signature, as a drawn one would be (the same PNG).
document.getElementById('sig-typed').addEventListener('click', () => {
    const name = document.getElementById('typed_name').value.trim();
    if (!name) {
        say('bad', 'Please type your full name first.');
        document.getElementById('typed_name').focus();
        return;
    }
    resetPad();
    const r = pad.getBoundingClientRect();
    let size = Math.min(48, r.height * 0.45);
    g.fillStyle = '#10243e';
    g.textBaseline = 'middle';
    do {
        g.font = `italic ${size}px "URW Chancery L", "Z003", "Apple Chancery", cursive, serif`;
        size -= 2;
    } while (g.measureText(name).width > r.width - 24 && size > 10);
    g.fillText(name, 12, r.height / 2);
    drawn = true;
    say('ok', 'Your typed name is in the box as your signature. Check it, then press "I agree and sign".');
});

function signedItem(c) {
    const withdraw = c.withdrawn_at ? null : h('button', { type: 'button', class: 'withdraw', 'data-id': c.id }, 'Withdraw this consent');
    withdraw?.addEventListener('click', async () => {
        if (!window.confirm('Withdraw this consent? Your clinic will see that you withdrew it.')) return;
        try {
            await api.post(`/api/portal/consents/${c.id}/withdraw`, {});
            say('ok', 'Your consent is withdrawn. Your clinic will see it.');
            await load();
        } catch (e) {
            say('bad', errorText(e));
        }
    });
    return h('li', { class: 'signed-item', id: `signed-${c.id}` },
        h('strong', null, `Signed ${new Date(c.signed_at).toLocaleString()}`),
        h('p', null, `By ${c.typed_name}: ${c.items.map((i) => i.replace(/_/g, ' ')).join(', ')}`),
        c.withdrawn_at ? h('p', { class: 'withdrawn' }, `Withdrawn ${new Date(c.withdrawn_at).toLocaleString()}`) : withdraw);
}

async function load() {
    current = await api.get('/api/portal/consent');
    fill(document.getElementById('consent-items'), current.items.map((it) => h('div', { class: 'card consent-item' },
        h('h3', null, it.title), h('p', null, it.text))));
    const closing = current.text.trim().split('\n').pop();
    document.getElementById('consent-closing').textContent = closing;
    const list = document.getElementById('signed-list');
    fill(list, current.consents.length ? current.consents.map(signedItem) : h('li', null, 'Nothing signed yet.'));
}

try {
    await load();
    document.getElementById('typed_name').value = me.client.name || '';
    resetPad();
} catch (e) {
    say('bad', errorText(e));
}

document.getElementById('sign-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = document.getElementById('typed_name').value.trim();
    if (!name) {
        say('bad', 'Please type your full name.');
        document.getElementById('typed_name').focus();
        return;
    }
    if (!drawn) {
        say('bad', 'Please draw your signature in the box, or use your typed name as your signature.');
        pad.focus();
        return;
    }
    const btn = document.getElementById('sign-submit');
    btn.disabled = true;
    try {
        await api.post('/api/portal/consent', {
            typed_name: name,
            signature_png: pad.toDataURL('image/png'),
            text_sha256: current.text_sha256,
        });
        say('ok', 'Thank you. Your consent is signed. Your clinic will see it before your treatment.');
        resetPad();
        await load();
        window.scrollTo(0, 0);
    } catch (e) {
        if (e instanceof ApiError && e.code === 'text_changed') {
            say('bad', 'The text changed while you were reading. Please read it again and sign.');
            await load();
        } else {
            say('bad', errorText(e));
        }
    } finally {
        btn.disabled = false;
    }
});
