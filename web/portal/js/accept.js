// SPDX-License-Identifier: AGPL-3.0-or-later
// Accepting the clinic's invitation: the token from the link, a new password
// (POST /api/portal/accept), then the portal's home with the new session.
import { api, ApiError, say, errorText, startPublic, loggedIn } from '/portal/js/portal.js';

startPublic();
const token = new URLSearchParams(location.search).get('token') || '';
const form = document.getElementById('accept-form');
if (!token) {
    say('bad', 'This link is not complete. Please open the whole link your clinic gave you.');
    form.hidden = true;
}
form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const pw = form.new_password.value;
    if (pw.length < 10) {
        say('bad', 'Your password needs at least 10 characters.');
        form.new_password.focus();
        return;
    }
    if (pw !== form.new_password2.value) {
        say('bad', 'The two passwords are not the same.');
        form.new_password2.focus();
        return;
    }
    const btn = document.getElementById('accept-submit');
    btn.disabled = true;
    try {
        const body = await api.post('/api/portal/accept', { token, password: pw });
        sessionStorage.setItem('portal-welcome', body.username);
        loggedIn(body);
    } catch (e) {
        if (e instanceof ApiError && e.status === 410) {
            say('bad', 'This link was used already or has expired. Please ask your clinic for a new one.');
        } else if (e instanceof ApiError && e.status === 404) {
            say('bad', 'This link is not known. Please open the whole link your clinic gave you.');
        } else {
            say('bad', errorText(e));
        }
    } finally {
        btn.disabled = false;
    }
});
