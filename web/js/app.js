// SPDX-License-Identifier: AGPL-3.0-or-later
// The page shell shared by every signed-in page: checks the session, draws the top bar and
// navigation, and turns API errors into readable messages. Each page module calls
// `startPage({ nav, title, render })`.

import { api, ApiError, setCsrfToken } from './api.js';
import { h, fill, alertBox } from './dom.js';
import { explain } from './messages.js';

export const CERTIFICATIONS = [
    ['extraction', 'Extraction'],
    ['high_frequency', 'High frequency'],
    ['chemical_exfoliation', 'Chemical exfoliation'],
];
export const ROLES = [
    ['practitioner', 'Practitioner'],
    ['reception', 'Reception'],
    ['admin', 'Admin'],
];

export function certLabel(name) {
    const hit = CERTIFICATIONS.find(([k]) => k === name);
    return hit ? hit[1] : name;
}
export function roleLabel(name) {
    const hit = ROLES.find(([k]) => k === name);
    return hit ? hit[1] : name;
}

export function loginUrl(extra) {
    const next = window.location.pathname + window.location.search + window.location.hash;
    const q = new URLSearchParams({ next });
    if (extra) for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return `/login?${q.toString()}`;
}

// Where a failed request should send the person, if anywhere.
export function redirectFor(err) {
    if (!(err instanceof ApiError)) return null;
    if (err.status === 401) return loginUrl(err.code === 'session_expired' ? { expired: '1' } : null);
    if (err.code === 'password_change_required') return loginUrl({ change: '1' });
    return null;
}

// A readable explanation of an error for the person at the chair (the words: messages.js).
// `title` says what did not happen ("The step was not recorded"); the box then says why.
export function errorBox(err, title) {
    const e = explain(err);
    const box = alertBox('error', title || e.title,
        h('p', null, title && e.code !== 'error' ? `${e.title}. ` : null, e.text),
        e.detail ? h('p', { class: 'small' }, e.detail) : null);
    box.dataset.code = e.code;
    return box;
}

// Handle an error: redirect for 401 / password change, else show the box in `where`.
export function showError(where, err, title) {
    const to = redirectFor(err);
    if (to) {
        window.location.assign(to);
        return;
    }
    where.replaceChildren(errorBox(err, title));
    where.hidden = false;
    if (where.scrollIntoView) where.scrollIntoView({ block: 'nearest' });
}

function navLink(href, label, current) {
    return h('a', { href, 'aria-current': current ? 'page' : null }, label);
}

// ---- the current site of a chain (issue 14.5; docs/pages.md, "Sites") ----
// In a chain, a user who may work at more than one site (theirs, or every site for a user of
// the whole chain) picks the site they are at in the top bar; this browser remembers it. The
// lists (the book, a client's sessions) show that site's, and a session starts there unless
// another is chosen. "All sites" is no site. A clinic of one site, or a user of one site, sees
// nothing of this.
const SITE_KEY = 'poreclear.site';

// The sites `user` may work at, out of every site of the chain (`sites` of GET /api/sites).
export function workSites(user, sites) {
    return (sites || []).filter((s) => s.mine || user.chain);
}

// Remember `id` (a number, or null: all sites) as this browser's current site.
export function rememberSite(id) {
    try {
        if (id) window.localStorage.setItem(SITE_KEY, String(id));
        else window.localStorage.removeItem(SITE_KEY);
    } catch { /* storage refused: the choice lasts for this page only */ }
}

function rememberedSite() {
    try { return Number(window.localStorage.getItem(SITE_KEY)) || null; } catch { return null; }
}

// session.sites: the sites the user may work at (empty when there is only one, so nothing is
// drawn); session.site: the current one of them, or null (all sites).
async function loadSites(session) {
    session.sites = [];
    session.site = null;
    const user = session.user;
    if ((user.sites || []).length === 1) return;
    let all;
    try {
        all = (await api.get('/api/sites')).sites;
    } catch { return; } // not fatal: the pages work without a site chosen
    const mine = workSites(user, all);
    if (mine.length < 2) return;
    session.sites = mine;
    const kept = rememberedSite();
    session.site = mine.some((s) => s.id === kept) ? kept : null;
}

function sitePicker(session) {
    if (!session.sites || session.sites.length < 2) return null;
    const select = h('select', { id: 'site-select', name: 'site' },
        h('option', { value: '' }, 'All sites'),
        session.sites.map((s) => h('option', { value: String(s.id), selected: s.id === session.site }, s.name)));
    select.addEventListener('change', () => {
        rememberSite(Number(select.value) || null);
        window.location.reload(); // every page draws its lists for the new site
    });
    return h('span', { class: 'site-pick' }, h('label', { for: 'site-select' }, 'Site'), select);
}

// The name of site `id` among the user's sites ('' when unknown).
export function siteName(session, id) {
    const s = (session.sites || []).find((x) => x.id === id);
    return s ? s.name : '';
}

function drawTopbar(session, nav) {
    const bar = document.getElementById('topbar');
    if (!bar) return;
    const user = session.user;
    const logout = h('button', { type: 'button', id: 'logout' }, 'Log out');
    logout.addEventListener('click', async () => {
        logout.disabled = true;
        try { await api.post('/api/logout'); } catch (e) { /* leave anyway */ }
        window.location.assign('/login');
    });
    fill(bar,
        h('a', { class: 'brand', href: '/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'poreclear'),
        h('nav', { class: 'mainnav', 'aria-label': 'Main' },
            navLink('/', 'Clients', nav === 'clients'),
            navLink('/book', 'Appointments', nav === 'book'),
            navLink('/ingredients', 'Ingredients', nav === 'ingredients'),
            user.role === 'admin' ? navLink('/admin', 'Admin', nav === 'admin') : null),
        h('div', { class: 'userbox' },
            sitePicker(session),
            h('span', { class: 'who', id: 'whoami' }, `${user.display_name || user.username} · ${roleLabel(user.role)}`),
            logout));
}

// Every page's footer: the licence, and the about page with the source offer (docs/licensing.md).
function drawFooter() {
    if (document.getElementById('sitefoot')) return;
    document.body.appendChild(h('footer', { class: 'sitefoot', id: 'sitefoot' },
        'poreclear is free software under the GNU AGPL v3 or later · ',
        h('a', { href: '/about', id: 'about-link' }, 'About, licence and source')));
}

// Which roles may use which page: the access table of docs/api.md seen from the pages (a page
// whose API a role may not call is not drawn for it, so nobody fills in a form — or sends a
// whole photo — only to be refused). Pages not listed are for every role.
const CLINICAL = ['admin', 'practitioner'];
export const PAGE_ROLES = {
    '/plan': CLINICAL,
    '/consent': CLINICAL,
    '/session': CLINICAL,
    '/photos': CLINICAL,
    '/assessment': CLINICAL,
    '/compare': CLINICAL,
    '/progress': CLINICAL,
    '/intake': ['practitioner'], // only practitioners record intakes (issue 16.7)
    '/privacy': ['admin'],
    '/admin': ['admin'],
};
export function mayOpen(role, pathname) {
    const roles = PAGE_ROLES[pathname];
    return !roles || roles.includes(role);
}

function refusedPage(main, role) {
    const may = {
        reception: 'At reception you can find and create clients, fill in their intake, read the aftercare handout of a session and check a product\'s ingredients.',
        practitioner: 'This page is for administrators.',
    }[role] || '';
    const box = alertBox('warn', 'This page is not for your role',
        h('p', null, `You are signed in as ${roleLabel(role).toLowerCase()}. ${may}`),
        h('p', null, h('a', { href: '/' }, 'Back to the client list')));
    box.id = 'role-refused';
    main.replaceChildren(pageHead('Not available', null), box);
}

// Boot a signed-in page. `render(main, session)` draws the page; it may be async.
export async function startPage({ nav, title, render }) {
    const main = document.getElementById('main');
    if (title) document.title = `${title} · poreclear`;
    let session;
    try {
        session = await api.get('/api/session');
    } catch (err) {
        const to = redirectFor(err);
        if (to) { window.location.replace(to); return; }
        main.replaceChildren(errorBox(err, 'Cannot load your session'));
        return;
    }
    if (session.must_change_password) {
        window.location.replace(loginUrl({ change: '1' }));
        return;
    }
    setCsrfToken(session.csrf_token);
    await loadSites(session);
    drawTopbar(session, nav);
    drawFooter();
    if (!mayOpen(session.user.role, window.location.pathname)) {
        refusedPage(main, session.user.role);
        return;
    }
    try {
        await render(main, session);
    } catch (err) {
        const to = redirectFor(err);
        if (to) { window.location.assign(to); return; }
        main.replaceChildren(errorBox(err));
    }
}

// A page heading with breadcrumbs and an action area.
export function pageHead(title, crumbs, ...actions) {
    return h('div', { class: 'page-head' },
        h('div', null,
            crumbs && crumbs.length ? h('p', { class: 'crumbs' }, crumbs.map((c, i) => [
                i ? ' › ' : null, c.href ? h('a', { href: c.href }, c.label) : c.label,
            ])) : null,
            h('h1', null, title)),
        actions.length ? h('div', { class: 'actions' }, actions) : null);
}

// Disable a button while an async action runs; returns the action's result.
export async function busy(button, fn) {
    const was = button.disabled;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
        return await fn();
    } finally {
        button.disabled = was;
        button.removeAttribute('aria-busy');
    }
}
