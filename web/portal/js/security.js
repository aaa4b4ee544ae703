// SPDX-License-Identifier: AGPL-3.0-or-later
// The client's sign-in settings: the user name, the extra sign-in code (TOTP): set it up
// (POST /api/portal/totp, then /confirm with the first code), or turn it off (/off).
import { api, ApiError, say, errorText, startPortal } from '/portal/js/portal.js';

const me = await startPortal('security');
document.getElementById('sec-username').textContent = me.username;
const startBox = document.getElementById('totp-start-box');
const confirmForm = document.getElementById('totp-confirm-form');
const offForm = document.getElementById('totp-off-form');

function show(on) {
    document.getElementById('totp-state').textContent = on
        ? 'On: signing in asks for the code from your app.'
        : 'Off: signing in asks for your password only.';
    startBox.hidden = on;
    offForm.hidden = !on;
    confirmForm.hidden = true;
}
show(me.totp_on);

document.getElementById('totp-start').addEventListener('click', async () => {
    try {
        const t = await api.post('/api/portal/totp');
        document.getElementById('totp-secret').textContent = t.secret.replace(/(.{4})/g, '$1 ').trim();
        document.getElementById('totp-link').href = t.uri;
        startBox.hidden = true;
        confirmForm.hidden = false;
        document.getElementById('totp-code').focus();
    } catch (e) {
        say('bad', errorText(e));
    }
});

async function codeAction(path, input, on) {
    try {
        await api.post(path, { code: input.value.trim() });
        input.value = '';
        show(on);
        say('ok', on ? 'The extra sign-in code is on.' : 'The extra sign-in code is off.');
    } catch (e) {
        say('bad', e instanceof ApiError && e.code === 'bad_code'
            ? 'That code did not work. Wait for the next code and try again.' : errorText(e));
    }
}
confirmForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    codeAction('/api/portal/totp/confirm', document.getElementById('totp-code'), true);
});
offForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    codeAction('/api/portal/totp/off', document.getElementById('totp-off-code'), false);
});
