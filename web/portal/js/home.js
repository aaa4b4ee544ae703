// SPDX-License-Identifier: AGPL-3.0-or-later
// The portal's home: who is signed in, and where to go.
import { startPortal } from '/portal/js/portal.js';

const me = await startPortal('home');
const first = (me.client.name || '').split(' ')[0];
let text = `Hello ${first}.`;
const welcome = sessionStorage.getItem('portal-welcome');
if (welcome) {
    text += ` Your password is saved. Your user name is ${welcome}.`;
    sessionStorage.removeItem('portal-welcome');
}
document.getElementById('home-hello').textContent = text;
