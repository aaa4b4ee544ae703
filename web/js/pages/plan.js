// SPDX-License-Identifier: AGPL-3.0-or-later
// Today's plan for a client: the verdict, each step with its action, parameters and reasons
// with sources; a review (with a reason) for blocked / needs-review plans; then consent +
// implement set → start the session. The server decides `can_start`; this page only explains.

import { api, ApiError, queryId } from '../api.js';
import { h, fill, fmtDate, fmtDateTime, alertBox, uid, humanize } from '../dom.js';
import { startPage, pageHead, showError, busy, errorBox, certLabel, rememberSite } from '../app.js';
import { verdict, stepCard, reasonsList, sourcesList } from '../plan-view.js';

function who(ref) {
    return ref ? (ref.display_name || ref.username) : '—';
}

function reviewBox(data, clientId, reload) {
    const plan = data.plan;
    const needs = plan.status === 'blocked' || plan.status === 'needs_review';
    if (!needs) return null;
    const r = data.review;
    const parts = [h('h2', { id: 'review-h' }, 'Review')];
    if (r) {
        parts.push(alertBox(r.decision === 'proceed' ? 'ok' : 'warn',
            r.decision === 'proceed' ? 'Reviewed: proceed' : 'Reviewed: declined',
            h('p', null, '“', r.reason, '”'),
            h('p', { class: 'small' }, `${who(r.by)} · ${fmtDateTime(r.at)}`)));
    } else {
        parts.push(h('p', null, 'No review recorded for this intake version yet.'));
    }
    const errors = h('div', { hidden: true });
    const reasonId = uid('review-reason');
    const form = h('form', { id: 'review-form', novalidate: true },
        errors,
        h('fieldset', null,
            h('legend', null, r ? 'Record a new review' : 'Record the review'),
            h('div', { class: 'choices compact', role: 'radiogroup', 'aria-label': 'Decision' },
                h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'decision', value: 'proceed' }), h('span', null, 'Proceed', h('span', { class: 'hint' }, 'Safe to treat as planned'))),
                h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'decision', value: 'decline', checked: true }), h('span', null, 'Decline', h('span', { class: 'hint' }, 'Do not treat today')))),
            h('div', { class: 'field' },
                h('label', { for: reasonId }, 'Reason'),
                h('p', { class: 'hint', id: `${reasonId}-hint` }, 'Why — for example “GP letter on file: pacemaker removed in 2025”. At least 5 characters. Recorded with your name and the time.'),
                h('textarea', { id: reasonId, name: 'reason', rows: 3, minlength: 5, maxlength: 2000, 'aria-describedby': `${reasonId}-hint` })),
            h('button', { type: 'submit', class: 'primary', id: 'review-save' }, 'Save review')));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const decision = form.querySelector('input[name="decision"]:checked').value;
        const reason = form.reason.value.trim();
        if (reason.length < 5) {
            fill(errors, alertBox('error', 'A reason is required', h('p', null, 'Write at least 5 characters explaining the decision.')));
            errors.hidden = false;
            form.reason.focus();
            return;
        }
        try {
            await busy(form.querySelector('#review-save'), () => api.post(`/api/clients/${clientId}/reviews`, { intake_id: data.intake_id, decision, reason }));
            reload();
        } catch (e) {
            showError(errors, e, 'The review was not saved');
        }
    });
    parts.push(form);
    return h('section', { class: 'card', id: 'review', 'aria-labelledby': 'review-h' }, parts);
}

// Where the session takes place, when the user may work at more than one site (a chain): the
// appointment's site when started from the book, else the site chosen in the top bar, else
// nobody guesses — the person picks it. null when there is nothing to choose.
function siteField(session, apptSite) {
    const sites = session.sites || [];
    if (sites.length < 2) return null;
    const pre = sites.some((s) => s.id === apptSite) ? apptSite : session.site;
    const id = uid('site');
    const select = h('select', { id, name: 'site_id', 'aria-describedby': `${id}-hint` },
        h('option', { value: '', selected: !pre }, 'Choose the site…'),
        sites.map((s) => h('option', { value: String(s.id), selected: s.id === pre }, s.name)));
    return h('div', { class: 'field', id: 'start-site' },
        h('label', { for: id }, 'Site'),
        h('p', { class: 'hint', id: `${id}-hint` }, 'Where the treatment takes place; recorded with the session.'),
        select);
}

function startBox(data, consents, clientId, session, wanted, apptSite) {
    const user = session.user;
    const plan = data.plan;
    const errors = h('div', { hidden: true, id: 'start-errors' });
    const today = consents.filter((c) => !c.session_id);
    const parts = [h('h2', { id: 'start-h' }, 'Start the session')];

    const certs = (plan.certifications || plan.required_certifications || []);
    const missing = certs.filter((c) => !(user.certifications || []).includes(c));
    if (missing.length) {
        parts.push(alertBox('warn', 'You are not certified for every step',
            h('p', null, `This plan includes ${missing.map(certLabel).join(', ').toLowerCase()}. The server will refuse those steps for you: a certified colleague must record them.`)));
    }

    if (!data.can_start) {
        parts.push(alertBox('error', 'Cannot start yet',
            h('p', null, plan.status === 'blocked'
                ? 'The plan is blocked. Record a review with a reason above (decision “proceed”) before starting.'
                : 'The plan needs review. Record a review with a reason above (decision “proceed”) before starting.')));
    }
    if (!today.length) {
        parts.push(alertBox('warn', 'No consent recorded today',
            h('p', null, 'Consent must be confirmed before every treatment. ', h('a', { href: `/consent?client=${clientId}`, id: 'go-consent' }, 'Record consent now'), '.')));
    }
    const consentId = uid('consent');
    const setId = uid('set');
    const select = h('select', { id: consentId, name: 'consent_id' },
        today.map((c) => h('option', { value: c.id, selected: wanted ? c.id === wanted : null },
            `${fmtDateTime(c.at)} — ${c.client_name}: ${(c.agreed || []).map(humanize).join(', ')}`)));
    const form = h('form', { id: 'start-form', novalidate: true },
        errors,
        h('div', { class: 'grid-2' },
            h('div', { class: 'field' },
                h('label', { for: consentId }, 'Consent'),
                h('p', { class: 'hint' }, 'Recorded today and not used by another session.'),
                select),
            h('div', { class: 'field' },
                h('label', { for: setId }, 'Implement set / batch'),
                h('p', { class: 'hint' }, 'Which sterilised tray or batch is used (traceability). Optional.'),
                h('input', { type: 'text', id: setId, name: 'implement_set', maxlength: 200, autocomplete: 'off' })),
            siteField(session, apptSite)),
        h('button', {
            type: 'submit', class: 'primary big', id: 'start-session',
            disabled: !data.can_start || !today.length,
            'aria-describedby': 'start-h',
        }, '▶ Start session'));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const body = { consent_id: Number(select.value) };
        const needsReview = plan.status === 'blocked' || plan.status === 'needs_review';
        if (needsReview && data.review && data.review.decision === 'proceed') body.review_id = data.review.id;
        const set = form.implement_set.value.trim();
        if (set) body.implement_set = set;
        const site = form.site_id;
        if (site) {
            site.removeAttribute('aria-invalid');
            if (!site.value) {
                fill(errors, alertBox('error', 'Which site?', h('p', null, 'Choose the site where the treatment takes place.')));
                errors.hidden = false;
                site.setAttribute('aria-invalid', 'true');
                site.focus();
                return;
            }
            body.site_id = Number(site.value);
        }
        // started from the book: the appointment goes into treatment and links to the session in
        // the same transaction as the start (both or neither)
        const appt = queryId('appointment');
        if (appt) body.appointment_id = Number(appt);
        try {
            const s = await busy(form.querySelector('#start-session'), () => api.post(`/api/clients/${clientId}/sessions`, body));
            if (body.site_id) rememberSite(body.site_id); // where this person works now
            window.location.assign(`/session?id=${s.id}`);
        } catch (e) {
            showError(errors, e, 'The session did not start');
        }
    });
    parts.push(form);
    return h('section', { class: 'card', id: 'start', 'aria-labelledby': 'start-h' }, parts);
}

startPage({
    nav: 'clients',
    title: 'Today\'s plan',
    render: async (main, session) => {
        const clientId = queryId('client');
        if (!clientId) throw new Error('No client chosen: open the plan from a client page.');
        const wanted = queryId('consent');
        const reload = () => draw().catch((e) => fill(main, errorBox(e)));
        async function draw() {
            const client = await api.get(`/api/clients/${clientId}`);
            const crumbs = [{ href: '/', label: 'Clients' }, { href: `/client?id=${clientId}`, label: client.name }, { label: 'Today\'s plan' }];
            let data;
            try {
                data = await api.get(`/api/clients/${clientId}/plan`);
            } catch (e) {
                if (e instanceof ApiError && e.code === 'incomplete') {
                    fill(main, pageHead('Today\'s plan', crumbs),
                        alertBox('warn', 'No intake yet', h('p', null, 'The plan is built from the intake form. ', h('a', { href: `/intake?client=${clientId}` }, 'Fill in the intake'), ' first.')));
                    return;
                }
                throw e;
            }
            const consents = (await api.get(`/api/clients/${clientId}/consents`)).consents || [];
            // started from the book in a chain: the appointment says where
            const apptId = queryId('appointment');
            const appt = apptId && (session.sites || []).length > 1
                ? await api.get(`/api/appointments/${apptId}`).catch(() => null) : null;
            const plan = data.plan;
            const steps = plan.steps || [];
            fill(main,
                pageHead(`Today's plan — ${client.name}`, crumbs,
                    h('a', { class: 'button', href: `/intake?client=${clientId}` }, 'Update intake'),
                    h('button', { type: 'button', id: 'print-plan', class: 'no-print' }, 'Print')),
                h('p', { class: 'muted' }, `${fmtDate(data.date)} · from intake version ${data.intake_version}`,
                    data.assessment_photo_id ? [' and the ', h('a', { href: `/assessment?client=${client.id}&photo=${data.assessment_photo_id}`, id: 'plan-assessment' }, 'skin assessment of the latest photo')] : null),
                verdict(plan.status, plan),
                plan.unrecognised && plan.unrecognised.length
                    ? alertBox('warn', 'Not recognised by the protocol',
                        h('ul', { id: 'unrecognised' }, plan.unrecognised.map((u) => h('li', null,
                            h('strong', null, u.name || u.value || u.entry || '?'), ` — ${(u.list || '').replace(/_/g, ' ')}`))),
                        h('p', null, 'Check the spelling in the intake, or review it below and record your decision.'))
                    : null,
                plan.reasons && plan.reasons.length
                    ? h('section', { class: 'card', id: 'plan-reasons', 'aria-labelledby': 'pr-h' }, h('h2', { id: 'pr-h' }, 'For the whole treatment'), reasonsList(plan.reasons, false, plan.sources))
                    : null,
                h('section', { 'aria-labelledby': 'steps-h' },
                    h('h2', { id: 'steps-h' }, `Steps (${steps.filter((s) => s.action !== 'skip').length} of ${steps.length} to do)`),
                    h('ol', { class: 'steps', id: 'plan-steps' }, steps.map((s, i) => stepCard(s, i, null, { sources: plan.sources, blocked: plan.status === 'blocked' })))),
                sourcesList(plan),
                reviewBox(data, clientId, reload),
                startBox(data, consents, clientId, session, wanted, appt && appt.site_id));
            main.querySelector('#print-plan').addEventListener('click', () => window.print());
            document.title = `Plan (${plan.status.replace('_', ' ')}) · ${client.name} · poreclear`;
        }
        await draw();
    },
});
