// SPDX-License-Identifier: AGPL-3.0-or-later
// Admin: users and their certifications, the clinic's details, e-mail (the SMTP server and the
// outbox: web/js/mail-settings.js), the protocol in use (read-only), the audit log. Tabs are
// addressed by the hash (#users, #clinic, #mail, #protocol, #audit) so a reload keeps the tab.

import { api, withQuery } from '../api.js';
import { h, fill, fmtDateTime, alertBox, uid, badge, humanize } from '../dom.js';
import { startPage, pageHead, showError, busy, CERTIFICATIONS, ROLES, certLabel, roleLabel } from '../app.js';
import { paramParts, fmtValue, stepName } from '../plan-view.js';
import { clinicTab } from '../clinic-settings.js';
import { mailTab } from '../mail-settings.js';

const TABS = [['users', 'Users'], ['clinic', 'Clinic'], ['mail', 'E-mail'], ['protocol', 'Protocol defaults'], ['audit', 'Audit log']];

function passwordNotice(user, otp) {
    return alertBox('ok', `One-time password for ${user.username}`,
        h('p', null, 'Give it to the person privately. They must choose their own password when they first sign in. It is shown only now.'),
        h('p', null, h('code', { class: 'otp', id: 'one-time-password' }, otp)));
}

// ---- users ----
function certBoxes(prefix, selected) {
    return h('div', { class: 'choices compact' }, CERTIFICATIONS.map(([v, label]) => {
        const id = uid(prefix);
        return h('label', { class: 'choice', for: id }, h('input', { type: 'checkbox', id, name: 'certifications', value: v, checked: selected.includes(v) }), h('span', null, label));
    }));
}

function roleSelect(id, value) {
    return h('select', { id, name: 'role' }, ROLES.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

function userRow(u, me, onChanged, notices) {
    const errors = h('div', { hidden: true });
    const editId = uid('edit');
    const roleId = uid('role');
    const nameId = uid('dn');
    const form = h('form', { class: 'user-edit', novalidate: true },
        h('div', { class: 'grid-2' },
            h('div', { class: 'field' }, h('label', { for: nameId }, 'Display name'), h('input', { type: 'text', id: nameId, name: 'display_name', value: u.display_name || '', maxlength: 200 })),
            h('div', { class: 'field' }, h('label', { for: roleId }, 'Role'), roleSelect(roleId, u.role))),
        h('p', { class: 'label' }, 'Certifications'),
        certBoxes(`c${u.id}`, u.certifications || []),
        errors,
        h('div', { class: 'button-row' },
            h('button', { type: 'submit', class: 'primary' }, 'Save changes'),
            h('button', { type: 'button', 'data-act': 'reset' }, 'Reset password'),
            u.locked ? h('button', { type: 'button', 'data-act': 'unlock' }, 'Unlock') : null,
            u.id === me.id ? null : h('button', { type: 'button', class: 'danger', 'data-act': 'active' }, u.active ? 'Deactivate' : 'Reactivate')));
    async function patch(body, button) {
        try {
            const res = await busy(button, () => api.patch(`/api/users/${u.id}`, body));
            if (res.one_time_password) notices.replaceChildren(passwordNotice(res.user, res.one_time_password));
            onChanged();
        } catch (e) {
            showError(errors, e, 'Not saved');
        }
    }
    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        patch({
            display_name: form.display_name.value.trim(),
            role: form.role.value,
            certifications: [...form.querySelectorAll('input[name="certifications"]:checked')].map((i) => i.value),
        }, form.querySelector('button[type="submit"]'));
    });
    form.querySelector('[data-act="reset"]').addEventListener('click', (ev) => patch({ reset_password: true }, ev.currentTarget));
    const unlock = form.querySelector('[data-act="unlock"]');
    if (unlock) unlock.addEventListener('click', () => patch({ unlock: true }, unlock));
    const act = form.querySelector('[data-act="active"]');
    if (act) act.addEventListener('click', () => patch({ active: !u.active }, act));

    const editRow = h('tr', { class: 'edit-row', id: editId, hidden: true }, h('td', { colspan: 5 }, h('h3', null, `Edit ${u.display_name || u.username}`), form));
    const editBtn = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': editId, 'data-act': 'edit' }, 'Edit');
    editBtn.addEventListener('click', () => {
        editRow.hidden = !editRow.hidden;
        editBtn.setAttribute('aria-expanded', String(!editRow.hidden));
    });
    const row = h('tr', { 'data-user': u.username },
        h('td', null, h('strong', null, u.display_name || u.username), h('div', { class: 'small muted' }, u.username)),
        h('td', null, roleLabel(u.role)),
        h('td', null, (u.certifications || []).length ? (u.certifications || []).map(certLabel).join(', ') : h('span', { class: 'muted' }, 'none')),
        h('td', null, u.active ? badge('ok', 'Active') : badge('skip', 'Inactive'), u.must_change_password ? h('div', { class: 'small muted' }, 'must change password') : null,
            u.locked ? h('div', null, badge('blocked', 'Locked'), h('span', { class: 'small muted' }, ` after ${u.failed_logins} failed logins: Edit → Unlock`)) : null),
        h('td', null, editBtn));
    return [row, editRow];
}

async function usersTab(box, me) {
    const notices = h('div', { id: 'user-notices' });
    const errors = h('div', { hidden: true });
    const unId = uid('un');
    const dnId = uid('dn');
    const rId = uid('role');
    const form = h('form', { id: 'new-user', novalidate: true },
        h('div', { class: 'grid-2' },
            h('div', { class: 'field' }, h('label', { for: unId }, 'Username'), h('p', { class: 'hint' }, 'Lower-case letters, digits, dot, dash, underscore.'), h('input', { type: 'text', id: unId, name: 'username', maxlength: 64, autocapitalize: 'none', spellcheck: 'false', autocomplete: 'off', pattern: '[a-z0-9._-]+' })),
            h('div', { class: 'field' }, h('label', { for: dnId }, 'Display name'), h('p', { class: 'hint' }, 'Shown on signed records.'), h('input', { type: 'text', id: dnId, name: 'display_name', maxlength: 200, autocomplete: 'off' })),
            h('div', { class: 'field' }, h('label', { for: rId }, 'Role'), roleSelect(rId, 'practitioner'))),
        h('p', { class: 'label' }, 'Certifications'),
        h('p', { class: 'hint' }, 'Only certified people may record extraction, high frequency or chemical exfoliation.'),
        certBoxes('nu', []),
        errors,
        h('button', { type: 'submit', class: 'primary', id: 'create-user' }, 'Create user'));

    async function load() {
        const res = await api.get('/api/users');
        fill(tableBody, res.users.map((u) => userRow(u, me, () => load().catch((e) => showError(errors, e)), notices)));
    }
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const body = {
            username: form.username.value.trim(),
            display_name: form.display_name.value.trim(),
            role: form.role.value,
            certifications: [...form.querySelectorAll('input[name="certifications"]:checked')].map((i) => i.value),
        };
        if (!/^[a-z0-9._-]{1,64}$/.test(body.username)) {
            fill(errors, alertBox('error', 'Check the username', h('p', null, 'Use 1–64 lower-case letters, digits, dots, dashes or underscores.')));
            errors.hidden = false;
            return;
        }
        try {
            const res = await busy(form.querySelector('#create-user'), () => api.post('/api/users', body));
            notices.replaceChildren(passwordNotice(res.user, res.one_time_password));
            form.reset();
            errors.hidden = true;
            await load();
            notices.scrollIntoView({ block: 'nearest' });
        } catch (e) {
            showError(errors, e, 'The user was not created');
        }
    });
    const tableBody = h('tbody');
    fill(box,
        notices,
        h('div', { class: 'table-wrap' }, h('table', { id: 'users-table' },
            h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Role'), h('th', null, 'Certifications'), h('th', null, 'Status'), h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
            tableBody)),
        h('section', { class: 'card', 'aria-labelledby': 'nu-h' }, h('h2', { id: 'nu-h' }, 'New user'), form));
    await load();
}

// ---- protocol (read-only): the model the server validated (GET /api/protocol, docs/api.md) ----
function allowedText(pd, unit) {
    if (pd.type === 'choice') return (pd.choices || []).map((c) => String(c).replace(/_/g, ' ')).join(', ');
    return `${pd.min}–${pd.max}${unit ? ` ${unit}` : ''}`;
}

function protocolSteps(model) {
    return model.steps.map((st) => h('section', { class: 'card', 'data-step': st.step },
        h('h3', null, st.title || stepName(st.step), st.certification ? [' ', h('span', { class: 'badge info' }, `needs ${certLabel(st.certification).toLowerCase()}`)] : null),
        st.certification_when.length ? h('p', { class: 'small' }, st.certification_when.map((c) => `Needs ${certLabel(c.certification).toLowerCase()} when ${paramParts(c.param).label.toLowerCase()} is ${String(c.equals).replace(/_/g, ' ')}.`).join(' ')) : null,
        st.notes.length ? h('p', { class: 'small muted' }, st.notes.join(' ')) : null,
        // a table wider than a phone scrolls sideways: reachable and named for the keyboard (WCAG 2.1.1)
        st.params.length ? h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `Parameters of ${st.title || stepName(st.step)}` }, h('table', null,
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Parameter'), h('th', { scope: 'col' }, 'Default'), h('th', { scope: 'col' }, 'Allowed'), h('th', { scope: 'col' }, 'Source'))),
            h('tbody', null, st.params.map((pd) => {
                const { label, unit } = paramParts(pd.name);
                return h('tr', { 'data-param': pd.name }, h('td', null, label), h('td', null, h('strong', null, fmtValue(pd.default, unit))),
                    h('td', { class: 'allowed' }, allowedText(pd, unit)), h('td', { class: 'small' }, pd.source));
            })))) : h('p', { class: 'muted small' }, 'No parameters.')));
}

// "Condition: impetigo; medication: isotretinoin within 180 days"
function whenText(w) {
    const parts = [];
    for (const k of ['condition', 'implant', 'allergy', 'medication', 'procedure']) {
        if (w[k]) parts.push(`${humanize(k)}: ${w[k].map((v) => v.replace(/_/g, ' ')).join(' or ')}${(k === 'medication' || k === 'procedure') && w.within_days !== undefined ? ` within ${w.within_days} days` : ''}`);
    }
    if (w.pregnant !== undefined) parts.push(w.pregnant ? 'pregnant' : 'not pregnant');
    if (w.breastfeeding !== undefined) parts.push(w.breastfeeding ? 'breastfeeding' : 'not breastfeeding');
    if (w.skin_type) parts.push(`skin type ${w.skin_type.join(' or ')}`);
    if (w.fitzpatrick_min) parts.push(`Fitzpatrick ${w.fitzpatrick_min} or darker`);
    if (w.inflamed_min !== undefined) parts.push(`at least ${w.inflamed_min} inflamed lesions`);
    if (w.comedones_min !== undefined) parts.push(`at least ${w.comedones_min} comedones`);
    if (w.inflamed_share_min !== undefined) parts.push(`inflamed share at least ${Math.round(w.inflamed_share_min * 100)} %`);
    return parts.join('; ');
}

function rulesTable(id, title, rules) {
    if (!rules.length) return null;
    return h('section', { class: 'card' },
        h('h2', null, `${title} (${rules.length})`),
        h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': title }, h('table', { id },
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'When'), h('th', { scope: 'col' }, 'Effect'), h('th', { scope: 'col' }, 'Step'), h('th', { scope: 'col' }, 'Reason and source'))),
            h('tbody', null, rules.map((r) => h('tr', { 'data-code': r.code },
                h('td', { class: 'small' }, whenText(r.when)),
                h('td', null, badge({ block: 'blocked', skip: 'skip', modify: 'modify', caution: 'caution', personalise: 'info' }[r.effect] || 'info', humanize(r.effect)),
                    r.set ? h('div', { class: 'small' }, Object.entries(r.set).map(([k, v]) => `${paramParts(k).label}: ${fmtValue(v, paramParts(k).unit)}`).join(', ')) : null),
                h('td', null, r.scope === 'treatment' ? 'whole treatment' : stepName(r.scope)),
                h('td', { class: 'small' }, r.reason,
                    h('div', { class: 'muted' }, r.source),
                    r.source_text ? h('div', { class: 'muted source-text' }, r.source_text) : null)))))));
}

async function protocolTab(box) {
    const model = await api.get('/api/protocol');
    fill(box,
        h('p', null, h('strong', null, model.name || 'Protocol'), model.version ? ` · version ${model.version}` : '',
            h('span', { class: 'muted' }, ' — read-only here: the protocol as the server checked and uses it. The file is edited by the clinic lead and loaded at start-up.')),
        h('h2', null, 'Steps, their defaults and allowed ranges'),
        protocolSteps(model),
        rulesTable('rules-table', 'Contraindication rules', model.rules),
        rulesTable('personalisation-table', 'Personalisation', model.personalisation));
}

// ---- audit log ----
async function auditTab(box) {
    const errors = h('div', { hidden: true });
    const cId = uid('aclient');
    const uId = uid('auser');
    const filters = h('form', { class: 'card', id: 'audit-filter', novalidate: true },
        h('div', { class: 'grid-2' },
            h('div', { class: 'field' }, h('label', { for: cId }, 'Client number'), h('p', { class: 'hint' }, 'The # shown in the log; empty for all clients.'), h('input', { type: 'number', id: cId, name: 'client_id', min: 1, inputmode: 'numeric' })),
            h('div', { class: 'field' }, h('label', { for: uId }, 'User'), h('select', { id: uId, name: 'user_id' }, h('option', { value: '' }, 'Everyone')))),
        h('button', { type: 'submit', class: 'primary' }, 'Filter'));
    const body = h('tbody');
    const more = h('button', { type: 'button', id: 'audit-more', hidden: true }, 'Older entries');
    let before = null;
    async function load(reset) {
        if (reset) { before = null; body.replaceChildren(); }
        const res = await api.get(withQuery('/api/audit', {
            client_id: filters.client_id.value, user_id: filters.user_id.value, limit: 100, before,
        }));
        const entries = res.entries || [];
        body.append(...entries.map((e) => h('tr', null,
            h('td', { class: 'nowrap' }, new Date(e.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })),
            h('td', null, e.user ? (e.user.display_name || e.user.username) : '—'),
            h('td', null, h('code', null, e.action)),
            h('td', null, e.client_id ? h('a', { href: `/client?id=${e.client_id}` }, `#${e.client_id}`) : '—'),
            h('td', { class: 'small' }, e.detail || ''))));
        if (entries.length) before = entries[entries.length - 1].id;
        more.hidden = entries.length < 100;
        if (!body.children.length) body.append(h('tr', null, h('td', { colspan: 5, class: 'muted' }, 'No entries.')));
    }
    filters.addEventListener('submit', (ev) => { ev.preventDefault(); load(true).catch((e) => showError(errors, e)); });
    more.addEventListener('click', () => busy(more, () => load(false)).catch((e) => showError(errors, e)));
    fill(box,
        h('p', null, 'Who viewed or changed which client record, newest first.'),
        filters,
        errors,
        h('div', { class: 'table-wrap' }, h('table', { id: 'audit-table' },
            h('thead', null, h('tr', null, h('th', null, 'When'), h('th', null, 'Who'), h('th', null, 'Action'), h('th', null, 'Client'), h('th', null, 'Detail'))),
            body)),
        more);
    try {
        const res = await api.get('/api/users');
        filters.user_id.append(...res.users.map((u) => h('option', { value: u.id }, `${u.display_name || u.username} (${u.username})`)));
    } catch (e) { /* the filter still works for everyone */ }
    await load(true);
}

startPage({
    nav: 'admin',
    title: 'Admin',
    render: async (main, session) => {
        const box = h('div', { id: 'tab-panel', role: 'tabpanel' });
        const tabs = h('nav', { class: 'tabs', 'aria-label': 'Admin sections' }, TABS.map(([k, label]) => h('a', { href: `#${k}`, id: `tab-${k}` }, label)));
        fill(main, pageHead('Admin', null), tabs, box);
        async function show() {
            const want = (window.location.hash || '#users').slice(1);
            const tab = TABS.some(([k]) => k === want) ? want : 'users';
            for (const a of tabs.querySelectorAll('a')) a.setAttribute('aria-current', a.id === `tab-${tab}` ? 'page' : 'false');
            fill(box, h('p', { class: 'loading' }, 'Loading…'));
            try {
                if (tab === 'users') await usersTab(box, session.user);
                else if (tab === 'clinic') await clinicTab(box);
                else if (tab === 'mail') await mailTab(box);
                else if (tab === 'protocol') await protocolTab(box);
                else await auditTab(box);
            } catch (e) {
                showError(box, e);
            }
        }
        window.addEventListener('hashchange', show);
        await show();
    },
});
