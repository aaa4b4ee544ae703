// SPDX-License-Identifier: AGPL-3.0-or-later
// The intake form: every field of the protocol engine's intake schema with plain-language
// labels. Saving always creates a new dated version (POST /api/clients/{id}/intakes); the form
// starts from the latest version so an update only changes what changed.

import { api, ApiError, queryId } from '../api.js';
import { h, fill, uid, alertBox, todayIso } from '../dom.js';
import { startPage, pageHead, showError, busy } from '../app.js';
import {
    SKIN_TYPES, FITZPATRICK, CONDITIONS, IMPLANTS, ALLERGIES, MEDICATIONS, PROCEDURES,
    fromIntake, toIntake,
} from '../intake-schema.js';

function choice(type, name, value, label, hint, checked) {
    const id = uid(name);
    return h('label', { class: 'choice', for: id },
        h('input', { type, id, name, value, checked }),
        h('span', null, label, hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null));
}

// A group of checkboxes from a table of common entries, plus "other" entries typed in.
function checklist(name, legend, hint, table, selected) {
    const box = h('div', { class: 'choices' });
    const known = new Set(table.map((r) => r[0]));
    for (const [value, label, tip] of table) box.append(choice('checkbox', name, value, label, tip, selected.includes(value)));
    for (const value of selected) if (!known.has(value)) box.append(choice('checkbox', name, value, value, 'typed in', true));
    const otherId = uid(`${name}-other`);
    const other = h('input', { type: 'text', id: otherId, autocomplete: 'off', maxlength: 120 });
    const add = h('button', { type: 'button' }, 'Add');
    function addOther() {
        const v = other.value.trim();
        if (!v) { other.focus(); return; }
        const existing = [...box.querySelectorAll('input')].find((i) => i.value === v);
        if (existing) existing.checked = true;
        else box.append(choice('checkbox', name, v, v, 'typed in', true));
        other.value = '';
        other.focus();
    }
    add.addEventListener('click', addOther);
    other.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); addOther(); } });
    return h('fieldset', { id: `fs-${name}` },
        h('legend', null, legend),
        hint ? h('p', { class: 'hint' }, hint) : null,
        box,
        h('div', { class: 'field' },
            h('label', { for: otherId, class: 'small' }, 'Something else? Type it and press Add'),
            h('div', { class: 'search-row' }, other, add)));
}

// Rows of [name, date] for medications (last taken) and recent procedures (when).
function datedList(name, legend, hint, table, dateLabel, dateHint, rows, extraKey, extraLabel) {
    const listId = uid(`${name}-names`);
    const datalist = h('datalist', { id: listId }, table.map(([v, label]) => h('option', { value: v }, label)));
    const ul = h('ul', { class: 'repeat-list', id: `list-${name}` });
    function addRow(entry) {
        const nId = uid(`${name}-name`);
        const dId = uid(`${name}-date`);
        const xId = uid(`${name}-${extraKey}`);
        const remove = h('button', { type: 'button', class: 'danger', 'aria-label': 'Remove this row' }, 'Remove');
        const li = h('li', { class: 'inline-fields', 'data-row': name, 'data-notes': entry.notes || null },
            h('div', { class: 'field' },
                h('label', { for: nId }, 'Name'),
                h('input', { type: 'text', id: nId, list: listId, 'data-part': 'name', value: entry.name || '', autocomplete: 'off', maxlength: 120 })),
            h('div', { class: 'field' },
                h('label', { for: dId }, dateLabel),
                h('input', { type: 'date', id: dId, 'data-part': 'date', value: entry.date || '', max: todayIso() })),
            h('div', { class: 'field' },
                h('label', { for: xId }, extraLabel, ' ', h('span', { class: 'muted small' }, '(optional)')),
                h('input', { type: 'text', id: xId, 'data-part': 'extra', value: entry.extra || '', autocomplete: 'off', maxlength: 200 })),
            remove);
        remove.addEventListener('click', () => li.remove());
        ul.append(li);
        return li;
    }
    for (const r of rows) addRow(r);
    const add = h('button', { type: 'button', id: `add-${name}` }, `+ Add ${name === 'medications' ? 'a medication' : 'a procedure'}`);
    add.addEventListener('click', () => addRow({}).querySelector('input').focus());
    const quick = h('div', { class: 'button-row' }, add);
    return h('fieldset', { id: `fs-${name}` },
        h('legend', null, legend),
        h('p', { class: 'hint' }, hint, ' ', dateHint),
        datalist,
        h('p', { class: 'small muted', id: `${name}-quick-label` }, 'Tap to add a common one, then give its date:'),
        h('div', { class: 'quick-add', role: 'group', 'aria-labelledby': `${name}-quick-label` }, table.map(([v, label]) => {
            const b = h('button', { type: 'button', 'data-add': v }, `+ ${label}`);
            b.addEventListener('click', () => addRow({ name: v }).querySelector('[data-part="date"]').focus());
            return b;
        })),
        ul,
        quick);
}

function readRows(form, name) {
    const out = [];
    for (const li of form.querySelectorAll(`li[data-row="${name}"]`)) {
        const n = li.querySelector('[data-part="name"]').value.trim();
        const d = li.querySelector('[data-part="date"]').value;
        const x = li.querySelector('[data-part="extra"]').value.trim();
        if (n) out.push({ name: n, date: d, extra: x, notes: li.dataset.notes || '' });
    }
    return out;
}

function checked(form, name) {
    return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

startPage({
    nav: 'clients',
    title: 'Intake',
    render: async (main) => {
        const clientId = queryId('client');
        if (!clientId) throw new Error('No client chosen: open the intake from a client page.');
        const client = await api.get(`/api/clients/${clientId}`);
        let latest = null;
        try {
            latest = await api.get(`/api/clients/${clientId}/intakes/latest`);
        } catch (e) {
            if (!(e instanceof ApiError && e.status === 404)) throw e;
        }
        const m = fromIntake(latest && latest.intake);
        const errors = h('div', { hidden: true, id: 'intake-errors' });

        const skin = h('fieldset', { id: 'fs-skin' },
            h('legend', null, 'Skin'),
            h('p', { class: 'label', id: 'skin-type-label' }, 'Skin type'),
            h('p', { class: 'hint' }, 'As seen at the skin analysis.'),
            h('div', { class: 'choices compact cols-5', role: 'radiogroup', 'aria-labelledby': 'skin-type-label' },
                SKIN_TYPES.map(([v, label, tip]) => choice('radio', 'skin_type', v, label, tip, m.skin_type === v))),
            h('p', { class: 'label', id: 'fitz-label' }, 'Fitzpatrick skin type'),
            h('p', { class: 'hint' }, 'How the skin reacts to the sun. Types IV–VI mark more easily after extraction or peels.'),
            h('div', { class: 'choices compact cols-3', role: 'radiogroup', 'aria-labelledby': 'fitz-label' },
                FITZPATRICK.map(([v, roman, tip]) => choice('radio', 'fitzpatrick', String(v), `Type ${roman}`, tip, m.fitzpatrick === v))));

        const pregnancy = h('fieldset', { id: 'fs-pregnancy' },
            h('legend', null, 'Pregnancy'),
            h('div', { class: 'choices' },
                choice('checkbox', 'pregnant', 'yes', 'Pregnant', 'Or may be pregnant', m.pregnant),
                choice('checkbox', 'breastfeeding', 'yes', 'Breastfeeding', '', m.breastfeeding)));

        const form = h('form', { id: 'intake-form', novalidate: true },
            errors,
            skin,
            checklist('implants', 'Implants', 'Anything implanted in the body. Electronic implants and metal in the face rule out high frequency.', IMPLANTS, m.implants),
            pregnancy,
            checklist('conditions', 'Health and skin conditions', 'Tick everything the client has now (or had recently where noted).', CONDITIONS, m.conditions),
            checklist('allergies', 'Allergies', 'Products, ingredients or materials the client reacts to. Type in anything not listed (fragrance, latex, nuts…): an allergy the protocol does not know sends the plan for a review.', ALLERGIES, m.allergies),
            datedList('medications', 'Medications and skin products', 'Tablets and creams, now or in the last 12 months.', MEDICATIONS,
                'Last taken', 'Give the date it was last taken; leave the date empty if the client still takes it.', m.medications, 'dose', 'Dose'),
            datedList('recent_procedures', 'Recent treatments and procedures', 'Peels, injections, laser, surgery or waxing on the face in the last year.', PROCEDURES,
                'Date', 'The date of the treatment is needed: the rules count days from it.', m.recent_procedures, 'area', 'Area'),
            h('fieldset', { id: 'fs-notes' },
                h('legend', null, 'Notes'),
                h('label', { for: 'intake-notes', class: 'visually-hidden' }, 'Notes'),
                h('p', { class: 'hint' }, 'Anything else the client told you (not used by the rules, kept with this version).'),
                h('textarea', { id: 'intake-notes', name: 'notes', rows: 3, maxlength: 4000 }, m.notes || '')),
            h('div', { class: 'button-row' },
                h('button', { type: 'submit', class: 'primary big', id: 'intake-save' }, latest ? `Save as version ${latest.version + 1}` : 'Save intake'),
                h('a', { class: 'button', href: `/client?id=${clientId}` }, 'Cancel')));

        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            const fitz = form.querySelector('input[name="fitzpatrick"]:checked');
            const st = form.querySelector('input[name="skin_type"]:checked');
            const model = {
                skin_type: st ? st.value : '',
                fitzpatrick: fitz ? Number(fitz.value) : 0,
                pregnant: form.querySelector('input[name="pregnant"]').checked,
                breastfeeding: form.querySelector('input[name="breastfeeding"]').checked,
                conditions: checked(form, 'conditions'),
                implants: checked(form, 'implants'),
                allergies: checked(form, 'allergies'),
                medications: readRows(form, 'medications'),
                recent_procedures: readRows(form, 'recent_procedures'),
            };
            model.notes = form.querySelector('#intake-notes').value.trim();
            const missing = [];
            if (!model.skin_type) missing.push('skin type');
            if (!model.fitzpatrick) missing.push('Fitzpatrick type');
            for (const p of model.recent_procedures) if (!p.date) missing.push(`the date of “${p.name}”`);
            if (missing.length) {
                fill(errors, alertBox('error', 'Please complete the form', h('p', null, `Missing: ${missing.join(', ')}.`)));
                errors.hidden = false;
                errors.scrollIntoView({ block: 'nearest' });
                return;
            }
            const save = async (button, confirm) => {
                const body = toIntake(model);
                if (confirm) body.confirm_removals = confirm;
                try {
                    const saved = await busy(button, () => api.post(`/api/clients/${clientId}/intakes`, body));
                    window.location.assign(`/client?id=${clientId}&saved=intake&v=${saved.version}`);
                } catch (e) {
                    if (e.code === 'confirm_removals' && e.data && Array.isArray(e.data.removals)) {
                        // each entry dropped from the previous intake is confirmed one by one
                        const boxes = e.data.removals.map((x) => h('label', { class: 'choice' },
                            h('input', { type: 'checkbox', name: 'confirm-removal', value: `${x.list}:${x.item}` }),
                            h('span', null, x.item === 'true' ? `No longer ${x.list}` : `Remove “${x.item}” from ${x.list.replace('_', ' ')}`)));
                        const go = h('button', { type: 'button', class: 'primary', id: 'confirm-removals' }, 'Confirm the removals and save');
                        go.addEventListener('click', () => {
                            const all = [...errors.querySelectorAll('input[name="confirm-removal"]')];
                            if (all.some((i) => !i.checked)) return;
                            save(go, all.map((i) => i.value));
                        });
                        fill(errors, alertBox('warn', 'This intake drops entries of the previous one',
                            h('p', null, 'Confirm each removal (tick every box), or add the entries back to the form.'),
                            h('div', { class: 'choices', id: 'removals' }, boxes), go));
                        errors.hidden = false;
                        errors.scrollIntoView({ block: 'nearest' });
                        return;
                    }
                    showError(errors, e, 'The intake was not saved');
                }
            };
            await save(form.querySelector('#intake-save'), null);
        });

        fill(main,
            pageHead(latest ? 'Update intake' : 'Intake', [
                { href: '/', label: 'Clients' },
                { href: `/client?id=${clientId}`, label: client.name },
                { label: 'Intake' },
            ]),
            latest
                ? alertBox('info', `Starting from version ${latest.version}`, h('p', null, 'Saving keeps every earlier version unchanged and adds a new dated version.'))
                : alertBox('info', 'First intake for this client', h('p', null, 'Ask about every section: the plan is only as safe as this form.')),
            form);
    },
});
