// SPDX-License-Identifier: AGPL-3.0-or-later
// The client portal's shell (issue 12): the client's session (GET /api/portal/me, its CSRF
// token for the api module), the top bar with "Log out", the navigation, and a message area.
// Every portal page calls startPortal('<its key>') first; it sends a visitor without a client
// session to /portal/login (and back afterwards).
import { api, ApiError, setCsrfToken } from '/js/api.js';
import { h, fill } from '/js/dom.js';

// The portal's pages, in the navigation's order. Items 4-7 of issue 12 (portal-home) add theirs.
export const NAV = [
    { key: 'home', href: '/portal/home', label: 'Home' },
    { key: 'intake', href: '/portal/intake', label: 'Before your visit' },
    { key: 'consent', href: '/portal/consent', label: 'Consent' },
    { key: 'aftercare', href: '/portal/aftercare', label: 'Aftercare' },
    { key: 'progress', href: '/portal/progress', label: 'Progress' },
    { key: 'products', href: '/portal/products', label: 'My products' },
    { key: 'security', href: '/portal/security', label: 'Sign-in' },
];

export { api, ApiError };

// Show a message (kind 'ok' or 'bad') in the page's #portal-msg, read out by screen readers.
export function say(kind, text) {
    const el = document.getElementById('portal-msg');
    if (!el) return;
    el.className = `msg ${kind}`;
    el.setAttribute('role', kind === 'bad' ? 'alert' : 'status');
    el.textContent = text;
    el.hidden = !text;
    if (text && kind === 'bad') el.focus?.();
}

// Words for an API error a client may meet.
export function errorText(e) {
    if (e instanceof ApiError) {
        if (e.code === 'network') return e.message;
        if (e.status === 429) return `Too many tries. Please wait ${e.retryAfter || 30} seconds and try again.`;
        return e.message;
    }
    return 'Something went wrong. Please try again.';
}

function renderShell(key, me) {
    const top = document.getElementById('portal-top');
    if (top) {
        fill(top,
            h('span', { class: 'p-brand' }, 'Your clinic portal'),
            me ? h('button', { type: 'button', id: 'portal-logout', onclick: logout }, 'Log out') : null);
    }
    const nav = document.getElementById('portal-nav');
    if (nav && me) {
        fill(nav, h('ul', null, NAV.map((n) => h('li', null,
            h('a', { href: n.href, 'aria-current': n.key === key ? 'page' : null }, n.label)))));
        nav.hidden = false;
    }
}

async function logout() {
    try { await api.post('/api/portal/logout'); } catch (e) { /* gone already */ }
    location.href = '/portal/login';
}

// The client's session for a page that needs one: resolves to GET /api/portal/me's body.
export async function startPortal(key) {
    let me;
    try {
        me = await api.get('/api/portal/me');
    } catch (e) {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
            const next = encodeURIComponent(location.pathname + location.search);
            location.replace(`/portal/login?next=${next}`);
            return new Promise(() => {}); // the page is leaving
        }
        renderShell(key, null);
        say('bad', errorText(e));
        throw e;
    }
    setCsrfToken(me.csrf_token);
    renderShell(key, me);
    return me;
}

// A page without a session (login, accept): the bar only.
export function startPublic() {
    renderShell('', null);
}

// After a login: the CSRF token, then the page the client wanted (same-site paths only).
export function loggedIn(body) {
    setCsrfToken(body.csrf_token);
    const next = new URLSearchParams(location.search).get('next') || '';
    location.href = next.startsWith('/portal/') && !next.startsWith('//') ? next : '/portal/home';
}
