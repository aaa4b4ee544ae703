// SPDX-License-Identifier: AGPL-3.0-or-later
// Admin → Clinic: the clinic's name, address, phone, time zone and logo (issue 17.7), shown on
// every aftercare handout and calendar file. GET / PUT /api/settings/clinic (docs/api.md); the
// server checks every value (the time zone against its zoneinfo, the logo's type and size),
// this form only helps: a list of time zones, the logo's size and type before it is sent.

import { api } from './api.js';
import { h, fill, alertBox, uid, fmtDateTime } from './dom.js';
import { showError, busy } from './app.js';
import { phoneOk } from './contact.js';

export const LOGO_MAX_BYTES = 128 * 1024; // PC_CLINIC_LOGO_MAX
const LOGO_TYPES = ['image/png', 'image/jpeg'];

function zoneList() {
    try { return Intl.supportedValuesOf('timeZone'); } catch (e) { return []; }
}

function readDataUri(file) {
    return new Promise((resolve, reject) => {
        const r = new FileReader();
        r.onload = () => resolve(String(r.result));
        r.onerror = () => reject(new Error('The file could not be read.'));
        r.readAsDataURL(file);
    });
}

// Why a chosen logo file cannot be sent, or null.
export function logoProblem(file) {
    if (!LOGO_TYPES.includes(file.type)) return 'The logo must be a PNG or JPEG image.';
    if (file.size > LOGO_MAX_BYTES) return `The logo is ${Math.ceil(file.size / 1024)} KB; at most ${LOGO_MAX_BYTES / 1024} KB.`;
    return null;
}

export async function clinicTab(box) {
    const current = await api.get('/api/settings/clinic');
    let logo = current.logo; // what will be sent: a data URI, or null to remove
    let logoChanged = false;
    const ids = { name: uid('cname'), address: uid('caddr'), phone: uid('cphone'), tz: uid('ctz'), logo: uid('clogo'), zones: uid('zones') };
    const errors = h('div', { hidden: true, id: 'clinic-errors' });
    const notice = h('div', { id: 'clinic-notice', 'aria-live': 'polite' });
    const preview = h('div', { id: 'logo-preview', class: 'logo-preview' });
    const removeBtn = h('button', { type: 'button', id: 'logo-remove' }, 'Remove logo');
    function drawPreview() {
        fill(preview, logo ? h('img', { src: logo, alt: 'The clinic\'s logo as the handout shows it', id: 'logo-img' }) : h('p', { class: 'muted small' }, 'No logo.'));
        removeBtn.hidden = !logo;
    }
    const form = h('form', { id: 'clinic-form', class: 'card', novalidate: true },
        h('div', { class: 'field' }, h('label', { for: ids.name }, 'Clinic name'),
            h('input', { type: 'text', id: ids.name, name: 'name', maxlength: 200, autocomplete: 'organization', value: current.name })),
        h('div', { class: 'field' }, h('label', { for: ids.address }, 'Address'),
            h('p', { class: 'hint' }, 'As it should appear on the handout; line breaks are kept.'),
            h('textarea', { id: ids.address, name: 'address', rows: 3, maxlength: 400, autocomplete: 'street-address' }, current.address)),
        h('div', { class: 'grid-2' },
            h('div', { class: 'field' }, h('label', { for: ids.phone }, 'Phone'),
                h('p', { class: 'hint' }, 'Clients are told to call this number if their skin reacts.'),
                h('input', { type: 'tel', id: ids.phone, name: 'phone', maxlength: 32, autocomplete: 'tel', value: current.phone })),
            h('div', { class: 'field' }, h('label', { for: ids.tz }, 'Time zone'),
                h('p', { class: 'hint' }, 'A name such as Europe/Madrid: the calendar reminders ring at the clinic\'s local times.'),
                h('input', { type: 'text', id: ids.tz, name: 'time_zone', maxlength: 63, list: ids.zones, autocomplete: 'off', spellcheck: 'false', value: current.time_zone }),
                h('datalist', { id: ids.zones }, zoneList().map((z) => h('option', { value: z }))))),
        h('div', { class: 'field' }, h('label', { for: ids.logo }, 'Logo'),
            h('p', { class: 'hint' }, `A PNG or JPEG of at most ${LOGO_MAX_BYTES / 1024} KB, printed at the top of the handout.`),
            h('input', { type: 'file', id: ids.logo, name: 'logo', accept: LOGO_TYPES.join(',') }),
            preview, removeBtn),
        errors,
        h('button', { type: 'submit', class: 'primary', id: 'clinic-save' }, 'Save clinic details'));
    drawPreview();
    const fileInput = form.querySelector(`#${ids.logo}`);
    fileInput.addEventListener('change', async () => {
        errors.hidden = true;
        const file = fileInput.files[0];
        if (!file) return;
        const problem = logoProblem(file);
        if (problem) {
            fill(errors, alertBox('error', 'This logo cannot be used', h('p', null, problem)));
            errors.hidden = false;
            fileInput.value = '';
            return;
        }
        logo = await readDataUri(file);
        logoChanged = true;
        drawPreview();
    });
    removeBtn.addEventListener('click', () => { logo = null; logoChanged = true; fileInput.value = ''; drawPreview(); });
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        errors.hidden = true;
        const field = (n) => form.elements.namedItem(n).value.trim();
        const body = { name: field('name'), address: field('address'), phone: field('phone'), time_zone: field('time_zone') };
        if (body.phone && !phoneOk(body.phone)) {
            fill(errors, alertBox('error', 'Check the phone number', h('p', null, 'Use 5 to 20 digits, with spaces, dashes, dots, slashes, brackets and a leading +.')));
            errors.hidden = false;
            form.elements.namedItem('phone').focus();
            return;
        }
        if (logoChanged) body.logo = logo;
        try {
            const saved = await busy(form.querySelector('#clinic-save'), () => api.put('/api/settings/clinic', body));
            logoChanged = false;
            logo = saved.logo;
            drawPreview();
            fill(notice, alertBox('ok', 'Saved', h('p', null, `The handouts and calendar files now show these details. Saved ${fmtDateTime(saved.updated_at)}.`)));
        } catch (e) {
            showError(errors, e, 'The clinic details were not saved');
        }
    });
    fill(box,
        h('p', null, 'What every aftercare handout and calendar file says about the clinic.'),
        current.updated_at ? h('p', { class: 'small muted' }, `Last changed ${fmtDateTime(current.updated_at)}${current.updated_by ? ` by ${current.updated_by.display_name || current.updated_by.username}` : ''}.`) : null,
        notice,
        form);
}
