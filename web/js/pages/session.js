// SPDX-License-Identifier: AGPL-3.0-or-later
// The treatment session, step by step. Timed steps (steam, mask, high frequency) count down from
// the start time the server stored, so the countdown survives a reload or a second tablet. Each
// step is signed by the person who did it (the server refuses a step needing a certification
// they lack); the duration entered follows the time measured, a step recorded done well before
// its time asks why (the server's early_until), values outside the protocol's range or choices
// ask why (the server's `allowed`). Signing the session shows what will be signed and asks for
// the password again; an open session can be cancelled with a reason. A signed or cancelled
// session is read-only; corrections to a signed one are amendments, marked late.

import { onlineConsentBox } from '../portal-consent-staff.js';
import { api, ApiError, queryId, serverNow } from '../api.js';
import { h, fill, fmtDate, fmtDateTime, fmtClock, alertBox, uid, badge } from '../dom.js';
import { startPage, pageHead, showError, busy, certLabel } from '../app.js';
import { stepName, stepCard, paramParts, paramsList, reasonsList, verdict, valueLabel, fmtValue } from '../plan-view.js';

function who(ref) {
    return ref ? (ref.display_name || ref.username) : '—';
}

function isSigned(s) {
    return s.status === 'signed' || Boolean(s.signed_at);
}

function isCancelled(s) {
    return s.status === 'cancelled' || Boolean(s.cancelled_at);
}

// "12 s", "4 min 10 s", "2 h 5 min"
function fmtSpan(seconds) {
    const t = Math.max(0, Math.round(seconds));
    if (t < 60) return `${t} s`;
    if (t < 3600) return `${Math.floor(t / 60)} min${t % 60 ? ` ${t % 60} s` : ''}`;
    return `${Math.floor(t / 3600)} h${Math.floor((t % 3600) / 60) ? ` ${Math.floor((t % 3600) / 60)} min` : ''}`;
}

// The first step still to do (not skipped, not recorded), or null.
function currentStep(s) {
    return (s.steps || []).find((st) => st.action !== 'skip' && !st.record) || null;
}

// ---- the countdown ----
let ticker = 0;
let live = null; // the current step's form: follows the clock (duration entered, early reason)
function tick() {
    if (live) live();
    for (const el of document.querySelectorAll('.timer[data-ends]')) {
        const ends = Date.parse(el.dataset.ends);
        const total = Number(el.dataset.total) || 1;
        const left = (ends - serverNow()) / 1000;
        const clock = el.querySelector('.clock');
        const bar = el.querySelector('progress');
        const state = el.querySelector('.timer-state');
        clock.textContent = fmtClock(left);
        bar.value = Math.min(total, Math.max(0, total - left));
        if (left <= 0 && !el.classList.contains('finished')) {
            el.classList.add('finished');
            state.textContent = '✓ Time is up — record the step below.';
        }
    }
}
function ensureTicker() {
    if (!ticker) ticker = setInterval(tick, 250);
    tick();
}

function timerBox(st) {
    const total = st.duration_s;
    const el = h('div', { class: 'timer', id: `timer-${st.step}`, 'data-ends': st.ends_at, 'data-total': total, role: 'timer', 'aria-live': 'off' },
        h('span', { class: 'clock', 'aria-label': 'Time left' }, fmtClock(total)),
        h('progress', { max: total, value: 0, 'aria-label': `${stepName(st.step)} progress` }),
        h('div', null,
            h('div', { class: 'timer-state', 'aria-live': 'polite' }, `Running since ${fmtDateTime(st.started_at)}`),
            h('div', { class: 'small muted' }, `${total >= 60 ? `${Math.round(total / 60)} min` : `${total} s`} in total, ends ${new Date(st.ends_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`)));
    return el;
}

// ---- inputs for the actual parameters: the protocol's choices (st.allowed) as a select in
// words, numbers with the protocol's range beside them ----
function paramInputs(st) {
    const rows = [];
    const allowed = st.allowed || {};
    for (const [k, v] of Object.entries(st.params || {})) {
        const id = uid(`p-${k}`);
        const { label, unit } = paramParts(k);
        const a = allowed[k] || {};
        let input;
        let hint = null;
        if (typeof v === 'boolean') {
            input = h('label', { class: 'choice', for: id }, h('input', { type: 'checkbox', id, 'data-param': k, 'data-type': 'boolean', checked: v }), h('span', null, label));
            rows.push(h('div', { class: 'field' }, input));
            continue;
        }
        if (Array.isArray(a.choices)) {
            const choices = a.choices.includes(v) ? a.choices : [v, ...a.choices];
            input = h('select', { id, 'data-param': k, 'data-type': 'choice' },
                choices.map((c) => h('option', { value: c, selected: c === v }, valueLabel(c))));
        } else if (typeof v === 'number') {
            const ranged = typeof a.min === 'number' && typeof a.max === 'number';
            input = h('input', { type: 'number', id, 'data-param': k, 'data-type': 'number', value: v, step: 'any', inputmode: 'decimal',
                min: ranged ? a.min : null, max: ranged ? a.max : null });
            if (ranged) hint = h('span', { class: 'hint' }, `protocol ${a.min}–${a.max}${unit ? ` ${unit}` : ''}`);
        } else {
            input = h('input', { type: 'text', id, 'data-param': k, 'data-type': 'string', value: typeof v === 'string' ? v : JSON.stringify(v), maxlength: 200 });
        }
        rows.push(h('div', { class: 'field' }, h('label', { for: id }, `${label}${unit ? ` (${unit})` : ''}`), hint, input));
    }
    return rows;
}

// The values outside what the protocol allows (st.allowed): "Duration: 600 min (protocol 5–15)".
function outsideProtocol(st, params) {
    const out = [];
    for (const [k, v] of Object.entries(params)) {
        const a = (st.allowed || {})[k];
        const { label, unit } = paramParts(k);
        if (!a) out.push(`${label}: not a parameter of this step`);
        else if (Array.isArray(a.choices) && !a.choices.includes(v)) out.push(`${label}: ${fmtValue(v, unit)} (not one of the protocol's choices)`);
        else if (typeof a.min === 'number' && (typeof v !== 'number' || v < a.min || v > a.max)) out.push(`${label}: ${fmtValue(v, unit)} (protocol ${a.min}–${a.max}${unit ? ` ${unit}` : ''})`);
    }
    return out;
}

function readParams(form) {
    const out = {};
    for (const el of form.querySelectorAll('[data-param]')) {
        const k = el.dataset.param;
        if (el.dataset.type === 'boolean') out[k] = el.checked;
        else if (el.dataset.type === 'number') {
            if (el.value.trim() === '') continue;
            const n = Number(el.value);
            out[k] = Number.isFinite(n) ? n : el.value;
        } else out[k] = el.value;
    }
    return out;
}

// ---- a recorded step (read-only) ----
// Done: a tick and the parameters as done. Not done: no tick and no parameters (nothing was
// done with them), the note saying why.
function recordView(rec) {
    if (rec.outcome !== 'done') {
        return h('div', { class: 'record not-done', 'data-outcome': rec.outcome },
            h('p', null, badge('skip', 'Not done'), ` Recorded by ${who(rec.by)} · ${fmtDateTime(rec.at)}`),
            rec.notes ? h('p', { class: 'small' }, 'Why: ', rec.notes) : null);
    }
    const devs = rec.deviations || [];
    return h('div', { class: 'record', 'data-outcome': rec.outcome },
        h('p', null, badge('done', 'Done'), ` Signed by ${who(rec.by)} · ${fmtDateTime(rec.at)}`),
        h('p', { class: 'small', 'data-elapsed': rec.elapsed_s === null || rec.elapsed_s === undefined ? '' : rec.elapsed_s },
            rec.elapsed_s === null || rec.elapsed_s === undefined ? 'Not timed (the timer was not started).' : `Timed by the server: ${fmtSpan(rec.elapsed_s)}.`),
        rec.ended_early ? h('div', { class: 'record-flag', 'data-flag': 'ended-early' }, badge('caution', 'Ended early'), ' ', rec.early_reason || '') : null,
        rec.params && Object.keys(rec.params).length ? h('p', { class: 'small muted' }, 'Parameters as done:') : null,
        paramsList(rec.params),
        devs.length ? h('div', { class: 'record-flag', 'data-flag': 'deviation' }, badge('modify', 'Outside the protocol'), ' ',
            devs.map((d) => paramParts(String(d.field || '').replace(/^params\./, '')).label).join(', '), ' — ', rec.deviation_reason || '') : null,
        rec.implement_batch ? h('p', { class: 'small' }, 'Implements / batch: ', h('strong', null, rec.implement_batch)) : null,
        rec.notes ? h('p', { class: 'small' }, 'Notes: ', rec.notes) : null);
}

// The consent item that covers a step, if the step has one of its own: the server's word when
// the session says it (consent_item), else the consent page's items by step.
function consentItem(st) {
    if (Object.prototype.hasOwnProperty.call(st, 'consent_item')) return st.consent_item || null;
    if (st.step === 'extract' || st.step === 'extraction') return 'extraction';
    if (st.step === 'high_frequency') return 'high_frequency';
    if (st.certification === 'chemical_exfoliation') return 'chemical_exfoliation';
    return null;
}

// True when the client did not agree today to what this step needs.
function lacksConsent(st, consent) {
    const item = consentItem(st);
    return Boolean(consent && item && !(consent.agreed || []).includes(item));
}

// ---- the controls for the step being done ----
function stepControls(s, st, user, refresh, consent, reload) {
    const errors = h('div', { hidden: true, class: 'step-errors', id: `errors-${st.step}` });
    const parts = [errors];
    const item = consentItem(st);
    const noConsent = lacksConsent(st, consent);
    if (noConsent) {
        parts.push(alertBox('error', `No consent to ${item.replace(/_/g, ' ')}`,
            h('p', null, `${consent.client_name} did not agree to this today. Do not do it: record it as not done, with a note.`)));
    }
    const lacks = st.certification && !(user.certifications || []).includes(st.certification);
    if (lacks && !noConsent) {
        parts.push(alertBox('warn', `Needs ${certLabel(st.certification).toLowerCase()} certification`,
            h('p', null, 'You do not hold it, so the server will refuse to record this step for you. A certified colleague must sign it.')));
    }
    if (st.duration_s && !noConsent) {
        if (st.started_at && st.ends_at) {
            parts.push(timerBox(st));
        } else {
            const start = h('button', { type: 'button', class: 'primary big', id: `start-${st.step}` }, `▶ Start timer (${st.duration_s >= 60 ? `${Math.round(st.duration_s / 60)} min` : `${st.duration_s} s`})`);
            start.addEventListener('click', async () => {
                try {
                    const next = await busy(start, () => api.post(`/api/sessions/${s.id}/steps/${encodeURIComponent(st.step)}/start`));
                    refresh(next, null, true);
                } catch (e) {
                    showError(errors, e, e instanceof ApiError && e.code === 'certification_required' ? 'Refused by the server: certification required' : 'The timer did not start');
                }
            });
            parts.push(h('div', { class: 'button-row' }, start));
        }
    }
    const batchId = uid('batch');
    const notesId = uid('notes');
    const earlyId = uid('early');
    const devId = uid('dev');
    // asked when the step is recorded done before the server's early_until (or never started)
    const earlyHint = h('p', { class: 'hint', id: `early-hint-${st.step}` });
    const earlyBox = h('div', { class: 'field reason-box', id: `early-${st.step}`, hidden: true },
        h('label', { for: earlyId }, 'Why did it end early?'), earlyHint,
        h('textarea', { id: earlyId, name: 'early_reason', rows: 2, maxlength: 4000 }));
    // asked when a value lies outside the protocol's range or choices
    const devHint = h('p', { class: 'hint', id: `dev-hint-${st.step}` });
    const devBox = h('div', { class: 'field reason-box', id: `deviation-${st.step}`, hidden: true },
        h('label', { for: devId }, 'Why do the values differ from the protocol?'), devHint,
        h('textarea', { id: devId, name: 'deviation_reason', rows: 2, maxlength: 4000 }));
    const form = h('form', { class: 'record-form', id: `record-${st.step}`, novalidate: true },
        h('h4', null, noConsent ? 'Record that it was not done' : 'Record what was done'),
        noConsent ? null : h('div', { class: 'grid-2' }, paramInputs(st)),
        noConsent ? null : earlyBox,
        noConsent ? null : devBox,
        h('div', { class: 'grid-2' },
            h('div', { class: 'field' },
                h('label', { for: batchId }, 'Implement / batch used ', h('span', { class: 'muted small' }, '(optional)')),
                h('input', { type: 'text', id: batchId, name: 'implement_batch', maxlength: 200, autocomplete: 'off' })),
            h('div', { class: 'field' },
                h('label', { for: notesId }, 'Notes ', h('span', { class: 'muted small' }, '(required if not done)')),
                h('textarea', { id: notesId, name: 'notes', rows: 2, maxlength: 4000 }, noConsent ? 'No consent from the client today.' : null))),
        h('div', { class: 'button-row' },
            noConsent ? null : h('button', { type: 'submit', class: 'primary big', id: `sign-${st.step}`, value: 'done' }, '✓ Sign step as done'),
            h('button', { type: 'button', class: noConsent ? 'primary big' : 'danger', id: `notdone-${st.step}` }, noConsent ? 'Record as not done' : 'Not done…')));

    // The duration entered follows the server's clock until the practitioner changes it; the
    // early reason is asked while the step is before its early_until (or was never started).
    const duration = form.querySelector('[data-param="duration_min"]');
    if (duration && st.started_at) {
        duration.dataset.follow = '1';
        duration.addEventListener('input', () => { delete duration.dataset.follow; });
    }
    function early() {
        if (!st.duration_s) return false;
        return !st.early_until || serverNow() < Date.parse(st.early_until);
    }
    function update() {
        const since = st.started_at ? (serverNow() - Date.parse(st.started_at)) / 1000 : null;
        if (duration && duration.dataset.follow && since !== null) duration.value = String(Math.round(since / 60));
        const e = early();
        earlyBox.hidden = !e;
        if (e) {
            earlyHint.textContent = since === null
                ? `The timer was not started, so the ${Math.round(st.duration_s / 60)} min planned were not measured: say why the step is recorded done.`
                : `${fmtSpan(since)} of the ${Math.round(st.duration_s / 60)} min planned, less than half: say why it ended early.`;
        }
        const outside = outsideProtocol(st, readParams(form));
        if (outside.length) devHint.textContent = `${outside.join('; ')}. Correct the value, or say why it differs.`;
        devBox.hidden = !outside.length && !devBox.dataset.asked;
    }
    if (!noConsent) {
        live = update;
        form.addEventListener('input', update);
        form.addEventListener('change', update);
        update();
    }

    async function record(outcome, button) {
        const notes = form.notes.value.trim();
        if (outcome === 'not_done' && notes.length < 3) {
            fill(errors, alertBox('error', 'Say why the step was not done', h('p', null, 'Write a short note (at least 3 characters), then press “Not done” again.')));
            errors.hidden = false;
            form.notes.focus();
            return;
        }
        // a step not done has no parameters as done
        const body = { outcome, params: outcome === 'done' ? readParams(form) : {}, notes };
        const batch = form.implement_batch.value.trim();
        if (batch) body.implement_batch = batch;
        if (outcome === 'done') {
            const er = form.early_reason.value.trim();
            const dr = form.deviation_reason.value.trim();
            if (!earlyBox.hidden && er.length < 5) {
                fill(errors, alertBox('error', 'Say why the step ended early', h('p', null, earlyHint.textContent)));
                errors.hidden = false;
                form.early_reason.focus();
                return;
            }
            if (er && !earlyBox.hidden) body.early_reason = er;
            if (dr) body.deviation_reason = dr;
        }
        try {
            const next = await busy(button, async () => {
                // a step not done is not started (one without its consent cannot be)
                if (!st.started_at && outcome === 'done') await api.post(`/api/sessions/${s.id}/steps/${encodeURIComponent(st.step)}/start`);
                return api.post(`/api/sessions/${s.id}/steps/${encodeURIComponent(st.step)}/record`, body);
            });
            refresh(next, null, true);
        } catch (e) {
            if (e instanceof ApiError && e.status === 422) {
                // the server asks for a reason: open its box, with the server's words
                const box = e.code === 'reason_required' ? earlyBox : devBox;
                box.hidden = false;
                box.dataset.asked = '1';
                showError(errors, e, 'The step was not recorded yet');
                box.querySelector('textarea').focus();
                return;
            }
            if (e instanceof ApiError && e.status === 409) {
                // recorded meanwhile (another tablet) or signed: show the record as it now is
                reload(alertBox('warn', 'The session changed meanwhile', h('p', null, e.message), h('p', { class: 'small' }, 'This is the record as the server has it now.')));
                return;
            }
            showError(errors, e, e instanceof ApiError && e.code === 'certification_required'
                ? `Refused by the server: ${certLabel(st.certification || 'certification').toLowerCase()} certification required`
                : 'The step was not recorded');
        }
    }
    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        if (noConsent) record('not_done', form.querySelector(`#notdone-${st.step}`));
        else record('done', form.querySelector(`#sign-${st.step}`));
    });
    form.querySelector(`#notdone-${st.step}`).addEventListener('click', (ev) => record('not_done', ev.currentTarget));
    parts.push(form);
    return h('div', { class: 'step-controls' }, parts);
}

function progressChips(s, cur) {
    return h('ol', { class: 'progress-steps', 'aria-label': 'Progress' }, (s.steps || []).map((st) => {
        let cls = '';
        let state = 'to do';
        if (st.action === 'skip') { cls = 'skipped'; state = 'skipped'; }
        else if (st.record && st.record.outcome !== 'done') { cls = 'not-done'; state = 'not done'; }
        else if (st.record) { cls = 'done'; state = 'done'; }
        else if (cur && st.step === cur.step) { cls = 'current'; state = 'now'; }
        const mark = { done: '✓ ', 'not-done': '⊘ ' }[cls] || '';
        return h('li', { class: cls }, `${mark}${stepName(st.step)}`, h('span', { class: 'visually-hidden' }, ` (${state})`));
    }));
}

function amendmentsBox(s, refresh) {
    const errors = h('div', { hidden: true });
    const textId = uid('amend');
    const form = h('form', { id: 'amend-form', novalidate: true },
        errors,
        h('div', { class: 'field' },
            h('label', { for: textId }, 'Add an amendment'),
            h('p', { class: 'hint' }, 'The signed record stays as it is; the amendment is added below it with your name and the time, marked as a late entry.'),
            h('textarea', { id: textId, name: 'text', rows: 3, maxlength: 4000 })),
        h('button', { type: 'submit', id: 'amend-save' }, 'Add amendment'));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const text = form.text.value.trim();
        if (text.length < 3) {
            fill(errors, alertBox('error', 'Write the correction', h('p', null, 'At least 3 characters.')));
            errors.hidden = false;
            return;
        }
        try {
            await busy(form.querySelector('#amend-save'), () => api.post(`/api/sessions/${s.id}/amendments`, { text }));
            refresh(await api.get(`/api/sessions/${s.id}`));
        } catch (e) {
            showError(errors, e, 'The amendment was not saved');
        }
    });
    return h('section', { class: 'card', id: 'amendments', 'aria-labelledby': 'am-h' },
        h('h2', { id: 'am-h' }, 'Amendments'),
        (s.amendments || []).length
            ? (s.amendments || []).map((a) => h('div', { class: 'amendment', 'data-late': a.late ? 'true' : 'false' },
                a.late ? h('p', null, badge('caution', 'Late entry'), h('span', { class: 'small' }, ` added ${fmtSpan(a.after_signing_s || 0)} after signing`)) : null,
                h('p', null, a.text), h('p', { class: 'small muted' }, `${who(a.by)} · ${fmtDateTime(a.at)}`)))
            : h('p', { class: 'muted' }, 'None.'),
        form);
}

// ---- a deliberate signature: what will be signed, and the password again ----
function signSummary(s) {
    return h('div', { class: 'table-wrap' }, h('table', { id: 'sign-summary' },
        h('caption', { class: 'visually-hidden' }, 'What will be signed'),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Step'), h('th', { scope: 'col' }, 'Recorded'),
            h('th', { scope: 'col' }, 'Parameters'), h('th', { scope: 'col' }, 'Time'))),
        h('tbody', null, (s.steps || []).filter((st) => st.action !== 'skip').map((st) => {
            const rec = st.record || {};
            const done = rec.outcome === 'done';
            return h('tr', { 'data-step': st.step, 'data-outcome': rec.outcome || '' },
                h('th', { scope: 'row' }, stepName(st.step)),
                h('td', null, done ? '✓ Done' : `⊘ Not done${rec.notes ? ` — ${rec.notes}` : ''}`, h('div', { class: 'small muted' }, who(rec.by))),
                h('td', null, done && rec.params && Object.keys(rec.params).length
                    ? Object.entries(rec.params).map(([k, v]) => { const { label, unit } = paramParts(k); return h('div', null, `${label}: ${fmtValue(v, unit)}`); })
                    : h('span', { class: 'muted' }, '—'),
                (rec.deviations || []).length ? h('div', { class: 'small' }, `Outside the protocol: ${rec.deviation_reason || ''}`) : null),
                h('td', null, done ? (rec.elapsed_s === null || rec.elapsed_s === undefined ? 'not timed' : fmtSpan(rec.elapsed_s)) : '—',
                    rec.ended_early ? h('div', { class: 'small' }, `Ended early: ${rec.early_reason || ''}`) : null));
        }))));
}

function signDialog(s, user, onSigned) {
    const errors = h('div', { hidden: true, id: 'sign-dialog-errors' });
    const pwId = uid('sign-pw');
    const confirm = h('button', { type: 'submit', class: 'primary big', id: 'sign-confirm' }, 'Sign with my password');
    const cancel = h('button', { type: 'button', id: 'sign-cancel' }, 'Go back');
    const form = h('form', { id: 'sign-form', novalidate: true },
        h('h2', { id: 'sign-dialog-h' }, 'Sign the session'),
        h('p', null, 'You sign this record as ', h('strong', null, who(user)), '. Your signature means that each step below was done — or not done — as recorded, by the person named. After signing nothing can be changed; corrections are added as amendments, marked as late entries.'),
        signSummary(s),
        h('div', { class: 'field' },
            h('label', { for: pwId }, 'Your password'),
            h('p', { class: 'hint' }, 'Entered again for this signature (an electronic signature is your own act).'),
            h('input', { type: 'password', id: pwId, name: 'password', autocomplete: 'current-password', required: true })),
        errors,
        h('div', { class: 'button-row' }, confirm, cancel));
    const dlg = h('dialog', { id: 'sign-dialog', class: 'dialog', 'aria-labelledby': 'sign-dialog-h' }, form);
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => dlg.remove());
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const password = form.password.value;
        if (!password) {
            fill(errors, alertBox('error', 'Enter your password', h('p', null, 'Signing needs your own password again.')));
            errors.hidden = false;
            form.password.focus();
            return;
        }
        try {
            const signed = await busy(confirm, () => api.post(`/api/sessions/${s.id}/sign`, { password }));
            dlg.close();
            onSigned(signed);
        } catch (e) {
            form.password.value = '';
            if (e instanceof ApiError && e.code === 'bad_credentials') {
                fill(errors, alertBox('error', 'Wrong password — the session is not signed', h('p', null, 'Enter your own password, the one you sign in with.')));
                errors.hidden = false;
            } else showError(errors, e, 'The session was not signed');
            form.password.focus();
        }
    });
    document.body.append(dlg);
    dlg.showModal();
    form.password.focus();
    return dlg;
}

// ---- cancelling an open session, with the reason ----
function cancelDialog(s, onCancelled) {
    const errors = h('div', { hidden: true, id: 'cancel-dialog-errors' });
    const rId = uid('cancel-reason');
    const confirm = h('button', { type: 'submit', class: 'danger big', id: 'cancel-confirm' }, 'Cancel the session');
    const back = h('button', { type: 'button', id: 'cancel-back' }, 'Keep it open');
    const form = h('form', { id: 'cancel-form', novalidate: true },
        h('h2', { id: 'cancel-dialog-h' }, 'Cancel this session?'),
        h('p', null, 'A cancelled session is kept with its reason, but nothing more can be recorded in it and it cannot be signed. The client\'s consent is used up: another session needs a new consent.'),
        h('div', { class: 'field' },
            h('label', { for: rId }, 'Why is it cancelled?'),
            h('textarea', { id: rId, name: 'reason', rows: 3, maxlength: 4000 })),
        errors,
        h('div', { class: 'button-row' }, confirm, back));
    const dlg = h('dialog', { id: 'cancel-dialog', class: 'dialog', 'aria-labelledby': 'cancel-dialog-h' }, form);
    back.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => dlg.remove());
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const reason = form.reason.value.trim();
        if (reason.length < 5) {
            fill(errors, alertBox('error', 'Say why the session is cancelled', h('p', null, 'A few words (at least 5 characters) are kept with the record.')));
            errors.hidden = false;
            form.reason.focus();
            return;
        }
        try {
            const done = await busy(confirm, () => api.post(`/api/sessions/${s.id}/cancel`, { reason }));
            dlg.close();
            onCancelled(done);
        } catch (e) {
            showError(errors, e, 'The session was not cancelled');
        }
    });
    document.body.append(dlg);
    dlg.showModal();
    form.reason.focus();
    return dlg;
}

startPage({
    nav: 'clients',
    title: 'Session',
    render: async (main, session) => {
        const sid = queryId('id');
        if (!sid) throw new Error('No session chosen: open a session from a client page.');
        let client = null;
        let consent = null;
        let online = null; // the consent the client signed online (issue 12.3)
        let review = null;

        let lastSigned = false;
        async function reload(notice) {
            try {
                draw(await api.get(`/api/sessions/${sid}`), notice);
            } catch (e) {
                showError(main, e);
            }
        }
        // Back on this tab (e.g. a colleague signed a step on another tablet): fetch the record
        // again, unless something has been typed into the current step's form.
        document.addEventListener('visibilitychange', () => {
            if (document.visibilityState !== 'visible' || lastSigned) return;
            const typed = [...main.querySelectorAll('.record-form input[type="text"], .record-form textarea')].some((el) => el.value.trim());
            if (!typed) reload();
        });

        // The step card's badge says what happened or may happen: "✓ Done" / "⊘ Not done" once
        // recorded, "✖ No consent" on a step the client did not agree to; else the plan's.
        function stepBadgeNow(card, st) {
            let b = null;
            if (st.record) b = st.record.outcome === 'done' ? badge('done', 'Done') : badge('skip', 'Not done');
            else if (st.action !== 'skip' && lacksConsent(st, consent)) b = badge('blocked', 'No consent — do not do');
            if (!b) return;
            const old = card.querySelector(':scope > .step-head > .badge:last-child');
            if (old) old.replaceWith(b);
            card.classList.remove('do', 'modify');
            card.classList.add(st.record ? (st.record.outcome === 'done' ? 'done' : 'not-done') : 'no-consent');
        }

        // moveFocus: after Start or Sign, the keyboard lands on the step to work on next (or the
        // signing section), not at the top of the page.
        function draw(fresh, notice, moveFocus) {
            const s = withReasons(fresh);
            const signed = isSigned(s);
            const cancelled = isCancelled(s);
            lastSigned = signed || cancelled;
            const closed = signed || cancelled;
            const cur = closed ? null : currentStep(s);
            live = null;
            const crumbs = [{ href: '/', label: 'Clients' }];
            if (client) crumbs.push({ href: `/client?id=${client.id}`, label: client.name });
            crumbs.push({ label: 'Session' });

            const steps = h('ol', { class: 'steps', id: 'session-steps' }, (s.steps || []).map((st, i) => {
                let extra = null;
                if (st.record) extra = recordView(st.record);
                else if (st.action === 'skip') extra = null;
                else if (closed) extra = h('p', { class: 'readonly-note' }, 'Not recorded.');
                else if (cur && st.step === cur.step) extra = stepControls(s, st, session.user, draw, consent, reload);
                else extra = h('p', { class: 'muted small' }, 'Waiting for the steps before it.');
                const card = stepCard(st, i, extra);
                if (st.record) { const planned = card.querySelector(':scope > .params'); if (planned) planned.remove(); }
                stepBadgeNow(card, st);
                if (cur && st.step === cur.step) card.classList.add('current');
                if (st.record) card.append(h('span', { class: 'visually-hidden' }, 'recorded'));
                return card;
            }));

            let footer;
            if (signed) {
                footer = [
                    h('div', { class: 'button-row' },
                        h('a', { class: 'button primary big', href: `/aftercare?session=${s.id}`, id: 'go-aftercare' }, 'Aftercare handout'),
                        client ? h('a', { class: 'button', href: `/client?id=${client.id}` }, 'Back to client') : null),
                    amendmentsBox(s, draw),
                ];
            } else if (cancelled) {
                footer = client ? h('div', { class: 'button-row' }, h('a', { class: 'button', href: `/client?id=${client.id}` }, 'Back to client')) : null;
            } else if (!cur) {
                const errors = h('div', { hidden: true, id: 'sign-errors' });
                const sign = h('button', { type: 'button', class: 'primary big', id: 'sign-session' }, '✓ Complete and sign the session…');
                sign.addEventListener('click', () => {
                    signDialog(s, session.user, (signedNow) => { draw(signedNow); window.scrollTo(0, 0); });
                });
                footer = h('section', { class: 'card', id: 'finish', 'aria-labelledby': 'finish-h' },
                    h('h2', { id: 'finish-h', tabindex: '-1' }, 'All steps recorded'),
                    h('p', null, 'Signing completes the record: you will see what is signed and enter your password again. After this it cannot be changed, only amended.'),
                    errors,
                    sign);
            } else {
                footer = h('p', { class: 'muted small' }, 'Sign each step when it is done. The session can be completed when every step is recorded.');
            }
            let cancelBtn = null;
            if (!closed) {
                cancelBtn = h('button', { type: 'button', class: 'danger no-print', id: 'cancel-session' }, 'Cancel session…');
                cancelBtn.addEventListener('click', () => cancelDialog(s, (c) => { draw(c); window.scrollTo(0, 0); }));
            }

            fill(main,
                pageHead(`Session${client ? ` — ${client.name}` : ''}`, crumbs,
                    signed ? badge('signed', 'Signed') : cancelled ? badge('skip', 'Cancelled') : badge('active', 'In progress'),
                    closed ? null : refreshButton(), cancelBtn),
                notice || null,
                h('p', { class: 'muted' },
                    `Started ${fmtDateTime(s.started_at)} by ${who(s.started_by)}`,
                    s.implement_set ? [' · implement set ', h('strong', null, s.implement_set)] : null,
                    consent ? [h('br'), `Consent from ${consent.client_name} (${fmtDateTime(consent.at)}): `, h('strong', { id: 'consent-agreed' }, (consent.agreed || []).map((a) => a.replace(/_/g, ' ')).join(', '))] : null,
                    h('br'), h('a', { href: `/photos?client=${s.client_id}&session=${s.id}`, id: 'session-photos' }, 'Before/after photos'), ' · ', h('a', { href: `/compare?session=${s.id}`, id: 'session-compare' }, 'Compare before/after')),
                signed ? alertBox('ok', 'Session signed — read-only',
                    h('p', null, `Signed by ${who(s.signed_by)} · ${fmtDateTime(s.signed_at)}. Corrections are added as amendments below.`),
                    s.rebook_date ? h('p', null, 'Rebook on ', h('strong', { id: 'session-rebook' }, fmtDate(s.rebook_date)), '.') : null) : null,
                cancelled ? Object.assign(alertBox('warn', 'Session cancelled — read-only',
                    h('p', null, 'Why: ', h('strong', { id: 'cancel-reason' }, s.cancel_reason || '')),
                    h('p', { class: 'small' }, `Cancelled by ${who(s.cancelled_by)} · ${fmtDateTime(s.cancelled_at)}. Nothing more is recorded in it.`)), { id: 'session-cancelled' }) : null,
                !closed && s.plan && s.plan.status && s.plan.status !== 'ok' ? verdict(s.plan.status) : null,
                review ? alertBox(review.decision === 'proceed' ? 'warn' : 'error', `Started after a review by ${who(review.by)} (${fmtDateTime(review.at)})`,
                    h('p', null, '“', review.reason, '”')) : null,
                s.plan && s.plan.reasons && s.plan.reasons.length ? h('details', { class: 'card' }, h('summary', null, 'Reasons for the whole treatment'), reasonsList(s.plan.reasons)) : null,
                online,
                progressChips(s, cur),
                h('h2', { id: 'steps-h' }, 'Steps'),
                steps,
                footer);
            steps.setAttribute('aria-labelledby', 'steps-h');
            if (live) live();
            if (main.querySelector('.timer[data-ends]')) ensureTicker();
            const curCard = cur && main.querySelector(`#step-${cur.step}`);
            if (moveFocus) {
                const target = curCard ? curCard.querySelector('.step-head h3') : main.querySelector('#finish-h');
                if (target) {
                    target.setAttribute('tabindex', '-1');
                    target.focus({ preventScroll: true });
                    (curCard || target).scrollIntoView({ block: 'start' });
                }
            } else if (curCard && document.activeElement === document.body) curCard.scrollIntoView({ block: 'start' });
        }

        function refreshButton() {
            const b = h('button', { type: 'button', id: 'refresh-session', class: 'no-print', title: 'Fetch the record again (steps signed on another tablet)' }, '↻ Refresh');
            b.addEventListener('click', () => busy(b, () => reload()));
            return b;
        }

        // The session's steps carry what is needed to run them; the reasons and titles are in
        // its frozen plan: join them by step name.
        function withReasons(sess) {
            const planSteps = (sess.plan && sess.plan.steps) || [];
            for (const st of sess.steps || []) {
                const ps = planSteps.find((p) => p.step === st.step);
                if (!ps) continue;
                if (!st.reasons) st.reasons = ps.reasons;
                if (!st.title) st.title = ps.title;
            }
            return sess;
        }
        const s = withReasons(await api.get(`/api/sessions/${sid}`));
        try { client = await api.get(`/api/clients/${s.client_id}`); } catch (e) { client = null; }
        try {
            const list = (await api.get(`/api/clients/${s.client_id}/consents`)).consents || [];
            consent = list.find((c) => c.id === s.consent_id) || null;
        } catch (e) { consent = null; }
        online = await onlineConsentBox(s.client_id);
        if (s.review_id) {
            try {
                const list = (await api.get(`/api/clients/${s.client_id}/reviews`)).reviews || [];
                review = list.find((r) => r.id === s.review_id) || null;
            } catch (e) { review = null; }
        }
        draw(s);
    },
});
