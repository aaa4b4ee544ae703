// SPDX-License-Identifier: AGPL-3.0-or-later
// The treatment session, step by step. Timed steps (steam, mask, high frequency) count down from
// the start time the server stored, so the countdown survives a reload or a second tablet. Each
// step is signed by the person who did it (the server refuses a step needing a certification
// they lack); the signed session is read-only and corrections are amendments.

import { api, ApiError, queryId, serverNow } from '../api.js';
import { h, fill, fmtDate, fmtDateTime, fmtClock, alertBox, uid, badge } from '../dom.js';
import { startPage, pageHead, showError, busy, certLabel } from '../app.js';
import { stepName, stepCard, paramParts, paramsList, reasonsList, verdict } from '../plan-view.js';

function who(ref) {
    return ref ? (ref.display_name || ref.username) : '—';
}

function isSigned(s) {
    return s.status === 'signed' || Boolean(s.signed_at);
}

// The first step still to do (not skipped, not recorded), or null.
function currentStep(s) {
    return (s.steps || []).find((st) => st.action !== 'skip' && !st.record) || null;
}

// ---- the countdown ----
let ticker = 0;
function tick() {
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

// ---- inputs for the actual parameters ----
function paramInputs(params) {
    const rows = [];
    for (const [k, v] of Object.entries(params || {})) {
        const id = uid(`p-${k}`);
        const { label, unit } = paramParts(k);
        let input;
        if (typeof v === 'boolean') {
            input = h('label', { class: 'choice', for: id }, h('input', { type: 'checkbox', id, 'data-param': k, 'data-type': 'boolean', checked: v }), h('span', null, label));
            rows.push(h('div', { class: 'field' }, input));
            continue;
        }
        if (typeof v === 'number') {
            input = h('input', { type: 'number', id, 'data-param': k, 'data-type': 'number', value: v, step: 'any', inputmode: 'decimal' });
        } else {
            input = h('input', { type: 'text', id, 'data-param': k, 'data-type': 'string', value: typeof v === 'string' ? v : JSON.stringify(v), maxlength: 200 });
        }
        rows.push(h('div', { class: 'field' }, h('label', { for: id }, `${label}${unit ? ` (${unit})` : ''}`), input));
    }
    return rows;
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
    return h('div', { class: 'record', 'data-outcome': rec.outcome },
        h('p', null, badge('done', 'Done'), ` Signed by ${who(rec.by)} · ${fmtDateTime(rec.at)}`),
        rec.params && Object.keys(rec.params).length ? h('p', { class: 'small muted' }, 'Parameters as done:') : null,
        paramsList(rec.params),
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
    const form = h('form', { class: 'record-form', id: `record-${st.step}`, novalidate: true },
        h('h4', null, noConsent ? 'Record that it was not done' : 'Record what was done'),
        noConsent ? null : h('div', { class: 'grid-2' }, paramInputs(st.params)),
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
        try {
            const next = await busy(button, async () => {
                // a step not done is not started (one without its consent cannot be)
                if (!st.started_at && outcome === 'done') await api.post(`/api/sessions/${s.id}/steps/${encodeURIComponent(st.step)}/start`);
                return api.post(`/api/sessions/${s.id}/steps/${encodeURIComponent(st.step)}/record`, body);
            });
            refresh(next, null, true);
        } catch (e) {
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
            h('p', { class: 'hint' }, 'The signed record stays as it is; the amendment is added below it with your name and the time.'),
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
            ? (s.amendments || []).map((a) => h('div', { class: 'amendment' }, h('p', null, a.text), h('p', { class: 'small muted' }, `${who(a.by)} · ${fmtDateTime(a.at)}`)))
            : h('p', { class: 'muted' }, 'None.'),
        form);
}

startPage({
    nav: 'clients',
    title: 'Session',
    render: async (main, session) => {
        const sid = queryId('id');
        if (!sid) throw new Error('No session chosen: open a session from a client page.');
        let client = null;
        let consent = null;
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
            lastSigned = isSigned(s);
            const signed = isSigned(s);
            const cur = signed ? null : currentStep(s);
            const crumbs = [{ href: '/', label: 'Clients' }];
            if (client) crumbs.push({ href: `/client?id=${client.id}`, label: client.name });
            crumbs.push({ label: 'Session' });

            const steps = h('ol', { class: 'steps', id: 'session-steps' }, (s.steps || []).map((st, i) => {
                let extra = null;
                if (st.record) extra = recordView(st.record);
                else if (st.action === 'skip') extra = null;
                else if (signed) extra = h('p', { class: 'readonly-note' }, 'Not recorded.');
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
            } else if (!cur) {
                const errors = h('div', { hidden: true, id: 'sign-errors' });
                const sign = h('button', { type: 'button', class: 'primary big', id: 'sign-session' }, '✓ Complete and sign the session');
                sign.addEventListener('click', async () => {
                    try {
                        draw(await busy(sign, () => api.post(`/api/sessions/${s.id}/sign`)));
                        window.scrollTo(0, 0);
                    } catch (e) {
                        showError(errors, e, 'The session was not signed');
                    }
                });
                footer = h('section', { class: 'card', id: 'finish', 'aria-labelledby': 'finish-h' },
                    h('h2', { id: 'finish-h', tabindex: '-1' }, 'All steps recorded'),
                    h('p', null, 'Signing completes the record: after this it cannot be changed, only amended.'),
                    errors,
                    sign);
            } else {
                footer = h('p', { class: 'muted small' }, 'Sign each step when it is done. The session can be completed when every step is recorded.');
            }

            fill(main,
                pageHead(`Session${client ? ` — ${client.name}` : ''}`, crumbs,
                    signed ? badge('signed', 'Signed') : badge('active', 'In progress'),
                    signed ? null : refreshButton()),
                notice || null,
                h('p', { class: 'muted' },
                    `Started ${fmtDateTime(s.started_at)} by ${who(s.started_by)}`,
                    s.implement_set ? [' · implement set ', h('strong', null, s.implement_set)] : null,
                    consent ? [h('br'), `Consent from ${consent.client_name} (${fmtDateTime(consent.at)}): `, h('strong', { id: 'consent-agreed' }, (consent.agreed || []).map((a) => a.replace(/_/g, ' ')).join(', '))] : null,
                    h('br'), h('a', { href: `/photos?client=${s.client_id}&session=${s.id}`, id: 'session-photos' }, 'Before/after photos'), ' · ', h('a', { href: `/compare?session=${s.id}`, id: 'session-compare' }, 'Compare before/after')),
                signed ? alertBox('ok', 'Session signed — read-only',
                    h('p', null, `Signed by ${who(s.signed_by)} · ${fmtDateTime(s.signed_at)}. Corrections are added as amendments below.`),
                    s.rebook_date ? h('p', null, 'Rebook on ', h('strong', { id: 'session-rebook' }, fmtDate(s.rebook_date)), '.') : null) : null,
                !signed && s.plan && s.plan.status && s.plan.status !== 'ok' ? verdict(s.plan.status) : null,
                review ? alertBox(review.decision === 'proceed' ? 'warn' : 'error', `Started after a review by ${who(review.by)} (${fmtDateTime(review.at)})`,
                    h('p', null, '“', review.reason, '”')) : null,
                s.plan && s.plan.reasons && s.plan.reasons.length ? h('details', { class: 'card' }, h('summary', null, 'Reasons for the whole treatment'), reasonsList(s.plan.reasons)) : null,
                progressChips(s, cur),
                h('h2', { id: 'steps-h' }, 'Steps'),
                steps,
                footer);
            steps.setAttribute('aria-labelledby', 'steps-h');
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
        if (s.review_id) {
            try {
                const list = (await api.get(`/api/clients/${s.client_id}/reviews`)).reviews || [];
                review = list.find((r) => r.id === s.review_id) || null;
            } catch (e) { review = null; }
        }
        draw(s);
    },
});
