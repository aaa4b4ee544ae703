// SPDX-License-Identifier: AGPL-3.0-or-later
// The client's sign-in (POST /api/portal/login), with the 6-digit code when the account asks.
import { api, ApiError, say, errorText, startPublic, loggedIn } from '/portal/js/portal.js';

startPublic();
const form = document.getElementById('login-form');
const codeField = document.getElementById('code-field');
form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {
        username: form.username.value.trim().toLowerCase(),
        password: form.password.value,
    };
    if (!codeField.hidden) body.code = form.code.value.trim();
    if (!body.username || !body.password) {
        say('bad', 'Please fill in your user name and password.');
        return;
    }
    const btn = document.getElementById('login-submit');
    btn.disabled = true;
    try {
        loggedIn(await api.post('/api/portal/login', body));
    } catch (e) {
        if (e instanceof ApiError && e.code === 'totp_required') {
            codeField.hidden = false;
            say('ok', 'Now enter the 6-digit code from your authenticator app.');
            form.code.focus();
        } else if (e instanceof ApiError && e.code === 'bad_code') {
            say('bad', 'That code did not work. Wait for the next code and try again.');
        } else if (e instanceof ApiError && e.code === 'bad_credentials') {
            say('bad', 'The user name or the password is not right.');
        } else {
            say('bad', errorText(e));
        }
    } finally {
        btn.disabled = false;
    }
});
