// SPDX-License-Identifier: AGPL-3.0-or-later
// Sign in, and change a one-time password on first login (docs/api.md: /api/login,
// /api/session, /api/password).

import { api, ApiError, setCsrfToken } from '../api.js';
import { h, alertBox } from '../dom.js';
import { errorBox } from '../app.js';

const params = new URLSearchParams(window.location.search);
const loginForm = document.getElementById('login-form');
const changeForm = document.getElementById('change-form');
const msg = document.getElementById('login-msg');
const title = document.getElementById('login-title');
let typedPassword = ''; // the one-time password just typed, so it need not be typed twice

// Only go to a page on this site after signing in.
function nextUrl() {
    const next = params.get('next') || '/';
    return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}

function say(box) {
    msg.replaceChildren(box);
    msg.hidden = false;
}

function showChange(needCurrent) {
    loginForm.hidden = true;
    changeForm.hidden = false;
    title.textContent = 'Choose a new password';
    document.getElementById('current-field').hidden = !needCurrent;
    document.getElementById(needCurrent ? 'current_password' : 'new_password').focus();
}

loginForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const username = loginForm.username.value.trim();
    const password = loginForm.password.value;
    if (!username || !password) {
        say(alertBox('error', 'Enter your username and password.'));
        (username ? loginForm.password : loginForm.username).focus();
        return;
    }
    const button = document.getElementById('login-submit');
    button.disabled = true;
    try {
        const res = await api.post('/api/login', { username, password });
        setCsrfToken(res.csrf_token);
        if (res.must_change_password) {
            typedPassword = password;
            msg.hidden = true;
            showChange(false);
            return;
        }
        window.location.assign(nextUrl());
    } catch (err) {
        if (err instanceof ApiError && err.code === 'bad_credentials') {
            say(alertBox('error', 'Wrong username or password.', h('p', null, 'Check both and try again.')));
        } else if (err instanceof ApiError && err.code === 'throttled') {
            const wait = err.retryAfter ? ` Try again in ${err.retryAfter} seconds.` : '';
            say(alertBox('error', 'Too many failed attempts.', h('p', null, `Signing in is paused for this account.${wait}`)));
        } else {
            say(errorBox(err));
        }
        loginForm.password.select();
    } finally {
        button.disabled = false;
    }
});

changeForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const current = typedPassword || changeForm.current_password.value;
    const next = changeForm.new_password.value;
    const again = changeForm.new_password2.value;
    if (!current) {
        say(alertBox('error', 'Enter your current one-time password.'));
        changeForm.current_password.focus();
        return;
    }
    if (next.length < 10) {
        say(alertBox('error', 'The new password is too short.', h('p', null, 'Use 10 characters or more.')));
        changeForm.new_password.focus();
        return;
    }
    if (next !== again) {
        say(alertBox('error', 'The two new passwords differ.', h('p', null, 'Type the same password twice.')));
        changeForm.new_password2.focus();
        return;
    }
    const button = document.getElementById('change-submit');
    button.disabled = true;
    try {
        await api.post('/api/password', { current_password: current, new_password: next });
        typedPassword = '';
        window.location.assign(nextUrl());
    } catch (err) {
        say(errorBox(err));
    } finally {
        button.disabled = false;
    }
});

// The button stays disabled until this script runs, so the form is never sent without it.
document.getElementById('login-submit').disabled = false;

// Arriving here already signed in with a one-time password (?change=1), or after expiry.
(async () => {
    if (params.get('expired')) {
        say(alertBox('info', 'Your session ended.', h('p', null, 'Sign in again to continue where you were.')));
    }
    try {
        const s = await api.get('/api/session');
        setCsrfToken(s.csrf_token);
        if (s.must_change_password) showChange(true);
        else if (!params.get('expired')) window.location.replace(nextUrl());
    } catch (err) {
        loginForm.username.focus(); // not signed in: the normal case
    }
})();
