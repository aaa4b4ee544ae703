// SPDX-License-Identifier: AGPL-3.0-or-later
// Admin → E-mail (issue 11): the SMTP server the clinic sends through, the sender's address, how
// long before an appointment the reminder goes, the pre-visit check's intake-age limit, the
// length of a new appointment — on the
// clinic's settings beside its profile (GET / PUT /api/settings/mail) — and the outbox: what
// waits or failed, and why (GET /api/outbox). The server checks every value; the password is
// never shown, only whether one is set.

import { api } from './api.js';
import { h, fill, alertBox, uid, fmtDateTime, badge } from './dom.js';
import { showError, busy } from './app.js';

const STATE = { queued: ['pending', 'Waiting'], sent: ['done', 'Sent'], failed: ['refused', 'Failed'], dropped: ['muted', 'Not needed'] };

function outboxTable(messages) {
    if (!messages.length) return h('p', { class: 'muted', id: 'outbox-empty' }, 'No message yet.');
    return h('div', { class: 'table-wrap' }, h('table', { id: 'outbox-table' },
        h('thead', null, h('tr', null, h('th', null, 'Queued'), h('th', null, 'To'), h('th', null, 'Message'),
            h('th', null, 'State'), h('th', null, 'Tries'), h('th', null, 'Why not sent'))),
        h('tbody', null, messages.map((m) => {
            const [kind, words] = STATE[m.state] || ['muted', m.state];
            return h('tr', { 'data-state': m.state, 'data-id': String(m.id) },
                h('td', null, fmtDateTime(m.created_at)), h('td', null, m.to), h('td', null, m.subject),
                h('td', null, badge(kind, words)), h('td', null, String(m.attempts)),
                h('td', { class: 'outbox-error' }, m.last_error || ''));
        }))));
}

export async function mailTab(box) {
    const [cur, outbox] = await Promise.all([api.get('/api/settings/mail'), api.get('/api/outbox')]);
    const ids = { url: uid('smtp'), user: uid('suser'), pw: uid('spw'), from: uid('sfrom'), rem: uid('srem'), months: uid('smon'), mins: uid('smin') };
    const errors = h('div', { hidden: true, id: 'mail-errors' });
    const notice = h('div', { id: 'mail-notice', 'aria-live': 'polite' });
    const field = (id, label, hint, input) => h('div', { class: 'field' }, h('label', { for: id }, label), hint ? h('p', { class: 'hint' }, hint) : null, input);
    const form = h('form', { id: 'mail-form', class: 'card', novalidate: true },
        field(ids.url, 'SMTP server', 'smtp://mail.example.org:587 (encrypted with STARTTLS when the server offers it) or smtps://mail.example.org:465. Empty: no e-mail.',
            h('input', { type: 'text', id: ids.url, name: 'smtp_url', maxlength: 255, autocomplete: 'off', spellcheck: 'false', value: cur.smtp_url })),
        h('div', { class: 'grid-2' },
            field(ids.user, 'SMTP user', 'Empty when the server needs no login.',
                h('input', { type: 'text', id: ids.user, name: 'smtp_user', maxlength: 127, autocomplete: 'off', value: cur.smtp_user })),
            field(ids.pw, 'SMTP password', cur.smtp_password_set ? 'A password is set: leave empty to keep it.' : 'No password is set.',
                h('input', { type: 'password', id: ids.pw, name: 'smtp_password', maxlength: 255, autocomplete: 'new-password' }))),
        field(ids.from, 'Sender address', 'The clinic\'s address the messages come from.',
            h('input', { type: 'email', id: ids.from, name: 'mail_from', maxlength: 255, value: cur.mail_from })),
        h('div', { class: 'grid-2' },
            field(ids.rem, 'Reminder, hours before', null,
                h('input', { type: 'number', id: ids.rem, name: 'reminder_hours', min: 1, max: 8784, value: String(cur.reminder_hours) })),
            field(ids.months, 'Intake older than (months) is flagged', 'The pre-visit check asks for a new intake after this.',
                h('input', { type: 'number', id: ids.months, name: 'intake_max_months', min: 1, max: 60, value: String(cur.intake_max_months) }))),
        field(ids.mins, 'Appointment length (minutes)', 'What a new booking takes unless the desk changes it: the protocol\'s steps, 50 minutes, plus preparation and the talk before and after (default 75).',
            h('input', { type: 'number', id: ids.mins, name: 'default_duration_min', min: 5, max: 480, step: 5, value: String(cur.default_duration_min) })),
        errors,
        h('button', { type: 'submit', class: 'primary', id: 'mail-save' }, 'Save e-mail settings'));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        errors.hidden = true;
        const v = (n) => form.elements.namedItem(n).value.trim();
        const body = {
            smtp_url: v('smtp_url'), smtp_user: v('smtp_user'), mail_from: v('mail_from'),
            reminder_hours: Number(v('reminder_hours')), intake_max_months: Number(v('intake_max_months')),
            default_duration_min: Number(v('default_duration_min')),
        };
        if (v('smtp_password')) body.smtp_password = form.elements.namedItem('smtp_password').value;
        try {
            await busy(form.querySelector('#mail-save'), () => api.put('/api/settings/mail', body));
            form.elements.namedItem('smtp_password').value = '';
            fill(notice, alertBox('ok', 'Saved', h('p', null, 'New messages go out with these settings.')));
        } catch (e) {
            showError(errors, e, 'The e-mail settings were not saved');
        }
    });
    const waiting = outbox.messages.filter((m) => m.state === 'queued' || m.state === 'failed');
    const failing = waiting.filter((m) => m.last_error);
    fill(box,
        h('p', null, 'Booking confirmations with a calendar invitation, reminders and cancellations go to clients by e-mail, and after a visit the aftercare and rebooking reminders of the handout. Appointment messages say when and where, never why.'),
        notice, form,
        h('section', { class: 'card', 'aria-labelledby': 'outbox-h' },
            h('h2', { id: 'outbox-h' }, 'Messages'),
            outbox.sending ? null : alertBox('warn', 'No e-mail is sent', h('p', null, 'Set an SMTP server and a sender address above.')),
            failing.length ? alertBox('error', `${failing.length} message${failing.length > 1 ? 's' : ''} not sent yet`,
                h('p', { id: 'outbox-problem' }, `The last answer: ${failing[0].last_error}`)) : null,
            outboxTable(outbox.messages.slice(0, 50))));
}
