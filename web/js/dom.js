// SPDX-License-Identifier: AGPL-3.0-or-later
// Small DOM helpers. Every piece of text from the server goes in through textContent (never
// innerHTML), so client names, notes and reasons cannot inject markup.

// h('div', {class: 'card', onclick: fn}, 'text', child, [more children])
// Attributes: `class`, `for`, aria-* and data-* are set as attributes; `on<event>` adds a
// listener; booleans set or drop the attribute; null/undefined/false children are skipped.
export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
        for (const [key, value] of Object.entries(attrs)) {
            if (value === null || value === undefined || value === false) continue;
            if (key.startsWith('on') && typeof value === 'function') {
                el.addEventListener(key.slice(2), value);
            } else if (key === 'value' && 'value' in el) {
                el.value = value;
            } else if (key === 'checked' || key === 'selected' || key === 'disabled') {
                el[key] = Boolean(value);
            } else if (value === true) {
                el.setAttribute(key, '');
            } else {
                el.setAttribute(key, String(value));
            }
        }
    }
    append(el, children);
    return el;
}

function append(el, children) {
    for (const child of children) {
        if (child === null || child === undefined || child === false) continue;
        if (Array.isArray(child)) append(el, child);
        else if (child instanceof Node) el.appendChild(child);
        else el.appendChild(document.createTextNode(String(child)));
    }
}

// Replace everything inside `el` with the given children.
export function fill(el, ...children) {
    el.replaceChildren();
    append(el, children);
    return el;
}

let idCounter = 0;
export function uid(prefix) {
    idCounter += 1;
    return `${prefix || 'f'}-${idCounter}`;
}

// A status badge: colour + icon + words, never colour alone. The icon is hidden from screen
// readers because the words already say it.
const BADGES = {
    do: ['✓', 'Do'],
    modify: ['◐', 'Modified'],
    skip: ['⊘', 'Skip'],
    blocked: ['✖', 'Blocked'],
    block: ['✖', 'Blocks'],
    caution: ['⚠', 'Caution'],
    needs_review: ['⚠', 'Needs review'],
    ok: ['✓', 'OK'],
    done: ['✓', 'Done'],
    signed: ['✓', 'Signed'],
    pending: ['○', 'Not started'],
    active: ['▶', 'In progress'],
    refused: ['✖', 'Refused'],
};
export function badge(kind, words) {
    const [icon, text] = BADGES[kind] || ['•', kind];
    return h('span', { class: `badge ${kind}` },
        h('span', { class: 'icon', 'aria-hidden': 'true' }, icon),
        words || text);
}

// An alert box; kind is error | warn | ok | info.
export function alertBox(kind, title, ...body) {
    const icons = { error: '✖', warn: '⚠', ok: '✓', info: 'ℹ' };
    return h('div', { class: `alert ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
        h('span', { class: 'icon', 'aria-hidden': 'true' }, icons[kind] || 'ℹ'),
        h('div', null, title ? h('strong', { class: 'title' }, title) : null, ...body));
}

// Dates. The server speaks ISO 8601 (UTC instants "2026-11-29T15:04:05Z", plain dates
// "2026-12-27"); the pages show them in the browser's locale.
export function fmtDate(iso) {
    if (!iso) return '—';
    const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T12:00:00`) : new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}
export function fmtDateTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return d.toLocaleString(undefined, {
        year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
    });
}
export function todayIso() {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// "steam" -> "Steam", "high_frequency" -> "High frequency"
export function humanize(name) {
    if (!name) return '';
    const s = String(name).replace(/_/g, ' ');
    return s.charAt(0).toUpperCase() + s.slice(1);
}

// mm:ss (or h:mm:ss) for a countdown
export function fmtClock(seconds) {
    const s = Math.max(0, Math.ceil(seconds));
    const hh = Math.floor(s / 3600);
    const mm = Math.floor((s % 3600) / 60);
    const ss = s % 60;
    const pad = (n) => String(n).padStart(2, '0');
    return hh > 0 ? `${hh}:${pad(mm)}:${pad(ss)}` : `${pad(mm)}:${pad(ss)}`;
}

// Collect a form's named controls into a plain object (checkbox -> boolean).
export function formValues(form) {
    const out = {};
    for (const el of form.elements) {
        if (!el.name || el.disabled) continue;
        if (el.type === 'checkbox') out[el.name] = el.checked;
        else if (el.type === 'radio') { if (el.checked) out[el.name] = el.value; }
        else out[el.name] = el.value;
    }
    return out;
}
