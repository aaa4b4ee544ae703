// SPDX-License-Identifier: AGPL-3.0-or-later
// The intake before the visit: plain questions (GET /api/portal/intake gives the client's last
// answers), saved as a new version (POST /api/portal/intake). The client sees only that the
// answers are saved, never what the clinic's screening makes of them.
import { api, ApiError, say, errorText, startPortal } from '/portal/js/portal.js';

await startPortal('intake');
const form = document.getElementById('intake-form');
const isoWhen = document.getElementById('iso-when');
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

function showIso() {
    isoWhen.hidden = !document.getElementById('iso-yes').checked;
}
form.querySelectorAll('input[name=iso]').forEach((el) => el.addEventListener('change', showIso));

function fill(a) {
    if (a.skin_type) {
        const r = form.querySelector(`input[name=skin_type][value="${a.skin_type}"]`);
        if (r) r.checked = true;
    }
    if (typeof a.isotretinoin_last_year === 'boolean' && a.skin_type) {
        document.getElementById(a.isotretinoin_last_year ? 'iso-yes' : 'iso-no').checked = true;
        document.getElementById('iso-date').value = a.isotretinoin_last_taken || '';
    }
    document.getElementById('medications').value = (a.medications || []).join(', ');
    document.getElementById('allergies').value = (a.allergies || []).join(', ');
    for (const name of ['conditions', 'implants']) {
        for (const v of a[name] || []) {
            const box = form.querySelector(`input[name=${name}][value="${v}"]`);
            if (box) box.checked = true;
        }
    }
    document.getElementById('pregnant').checked = !!a.pregnant;
    document.getElementById('breastfeeding').checked = !!a.breastfeeding;
    document.getElementById('notes').value = a.notes || '';
    showIso();
}

try {
    const mine = await api.get('/api/portal/intake');
    fill(mine.answers || {});
    if (mine.saved_at) say('ok', `Your answers from ${new Date(mine.saved_at).toLocaleDateString()} are filled in. Change what is no longer true.`);
} catch (e) {
    say('bad', errorText(e));
}

form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const skin = form.querySelector('input[name=skin_type]:checked');
    const iso = form.querySelector('input[name=iso]:checked');
    if (!skin) {
        say('bad', 'Please choose how your skin is most of the time.');
        form.querySelector('input[name=skin_type]').focus();
        return;
    }
    if (!iso) {
        say('bad', 'Please answer the question about isotretinoin (yes or no).');
        document.getElementById('iso-yes').focus();
        return;
    }
    const checked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((b) => b.value);
    const body = {
        skin_type: skin.value,
        isotretinoin_last_year: iso.value === 'yes',
        medications: list(document.getElementById('medications').value),
        allergies: list(document.getElementById('allergies').value),
        conditions: checked('conditions'),
        implants: checked('implants'),
        pregnant: document.getElementById('pregnant').checked,
        breastfeeding: document.getElementById('breastfeeding').checked,
    };
    const date = document.getElementById('iso-date').value;
    if (body.isotretinoin_last_year && date) body.isotretinoin_last_taken = date;
    const notes = document.getElementById('notes').value.trim();
    if (notes) body.notes = notes;
    const btn = document.getElementById('intake-submit');
    btn.disabled = true;
    try {
        await api.post('/api/portal/intake', body);
        say('ok', 'Thank you. Your answers are saved and your clinic will read them before your visit.');
        window.scrollTo(0, 0);
    } catch (e) {
        say('bad', e instanceof ApiError && e.status === 400
            ? `Please check your answers: ${e.message}` : errorText(e));
    } finally {
        btn.disabled = false;
    }
});
