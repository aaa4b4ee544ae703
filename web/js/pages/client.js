// SPDX-License-Identifier: AGPL-3.0-or-later
// One client: details, rebooking date, intake history (every version, dated) and sessions.

import { api, queryId, withQuery } from '../api.js';
import { h, fill, fmtDate, fmtDateTime, alertBox, badge } from '../dom.js';
import { startPage, pageHead, errorBox, siteName } from '../app.js';
import { alertsBox } from '../alerts.js';
import { portalBox, portalIntakeBox } from '../portal-staff.js';
import { atHomeBox } from '../portal-home-staff.js';
import {
    summarize, fromIntake, labelFor, SKIN_TYPES, FITZPATRICK, CONDITIONS, IMPLANTS, ALLERGIES,
    MEDICATIONS, PROCEDURES,
} from '../intake-schema.js';

function byName(ref) {
    return ref ? (ref.display_name || ref.username || `user ${ref.id}`) : 'the system (set-up)';
}

function intakeDetails(intake) {
    const m = fromIntake(intake);
    const list = (items) => (items.length ? items.join(', ') : 'none');
    return h('dl', { class: 'facts' },
        h('dt', null, 'Skin type'), h('dd', null, m.skin_type ? labelFor(SKIN_TYPES, m.skin_type) : '—'),
        h('dt', null, 'Fitzpatrick'), h('dd', null, m.fitzpatrick ? `Type ${FITZPATRICK[m.fitzpatrick - 1][1]}` : '—'),
        h('dt', null, 'Pregnant'), h('dd', null, m.pregnant ? 'yes' : 'no'),
        h('dt', null, 'Breastfeeding'), h('dd', null, m.breastfeeding ? 'yes' : 'no'),
        h('dt', null, 'Implants'), h('dd', null, list(m.implants.map((v) => labelFor(IMPLANTS, v)))),
        h('dt', null, 'Conditions'), h('dd', null, list(m.conditions.map((v) => labelFor(CONDITIONS, v)))),
        h('dt', null, 'Allergies'), h('dd', null, list(m.allergies.map((v) => labelFor(ALLERGIES, v)))),
        h('dt', null, 'Medications'), h('dd', null, list(m.medications.map((v) => `${labelFor(MEDICATIONS, v.name)}${v.extra ? ` ${v.extra}` : ''}${v.date ? ` (last taken ${fmtDate(v.date)})` : ' (still taking)'}`))),
        h('dt', null, 'Procedures'), h('dd', null, list(m.recent_procedures.map((v) => `${labelFor(PROCEDURES, v.name)}${v.date ? ` (${fmtDate(v.date)})` : ''}${v.extra ? `, ${v.extra}` : ''}`))),
        m.notes ? [h('dt', null, 'Notes'), h('dd', null, m.notes)] : null);
}

function sessionStatus(s) {
    if (s.status === 'signed' || s.signed_at) return badge('signed', 'Signed');
    return badge('active', 'Open');
}

startPage({
    nav: 'clients',
    title: 'Client',
    render: async (main, session) => {
        const id = queryId('id');
        if (!id) throw new Error('No client chosen: open a client from the client list.');
        const clinical = session.user.role !== 'reception';
        const client = await api.get(`/api/clients/${id}`);
        document.title = `${client.name} · poreclear`;
        // reception sees whether the intake and consent are current, not what they say
        const [intakes, sessions] = await Promise.all([
            clinical ? api.get(`/api/clients/${id}/intakes`) : api.get(`/api/clients/${id}/status`),
            // in a chain, the sessions at the site chosen in the top bar (all sites: every one)
            clinical ? api.get(withQuery(`/api/clients/${id}/sessions`, { site_id: session.site ? String(session.site) : '' })).catch((e) => ({ error: e })) : Promise.resolve(null),
        ]);

        const params = new URLSearchParams(window.location.search);
        const notice = params.get('saved') === 'intake'
            ? alertBox('ok', `Intake saved${params.get('v') ? ` as version ${params.get('v')}` : ''}.`, h('p', null, 'Open today\'s plan to see what it changes.'))
            : null;

        const actions = [];
        if (session.user.role === 'practitioner') actions.push(h('a', { class: 'button', href: `/intake?client=${id}`, id: 'act-intake' }, client.latest_intake ? 'Update intake' : 'Fill in intake'));
        if (clinical) {
            actions.push(h('a', { class: 'button', href: `/consent?client=${id}`, id: 'act-consent' }, 'Record consent'));
            actions.push(h('a', { class: 'button primary', href: `/plan?client=${id}`, id: 'act-plan' }, 'Today\'s plan'));
            actions.push(h('a', { class: 'button', href: `/photos?client=${id}`, id: 'act-photos' }, 'Photos'));
            actions.push(h('a', { class: 'button', href: `/progress?client=${id}`, id: 'act-progress' }, 'Progress'));
            actions.push(h('a', { class: 'button', href: `/ingredients?client=${id}`, id: 'act-products' }, 'Products'));
        }
        if (session.user.role === 'admin') actions.push(h('a', { class: 'button', href: `/privacy?client=${id}`, id: 'act-privacy' }, 'Privacy'));

        const facts = h('section', { class: 'card', 'aria-labelledby': 'facts-h' },
            h('h2', { id: 'facts-h' }, 'Details'),
            h('dl', { class: 'facts' },
                h('dt', null, 'Date of birth'), h('dd', null, fmtDate(client.birth_date)),
                client.phone ? [h('dt', null, 'Phone'), h('dd', null, client.phone)] : null,
                client.email ? [h('dt', null, 'E-mail'), h('dd', null, client.email)] : null,
                client.notes ? [h('dt', null, 'Notes'), h('dd', null, client.notes)] : null,
                h('dt', null, 'Client since'), h('dd', null, fmtDate(client.created_at))));

        const rebook = h('section', { class: 'card', id: 'rebook', 'aria-labelledby': 'rebook-h' },
            h('h2', { id: 'rebook-h' }, 'Next visit'),
            client.rebook_date
                ? [h('p', { class: 'rebook-date' }, h('strong', { id: 'rebook-date' }, fmtDate(client.rebook_date))),
                    h('p', { class: 'hint' }, 'Rebooking date from the aftercare of the last signed session.')]
                : h('p', { class: 'muted' }, 'No rebooking date yet: it is set when a session is signed.'));

        let sessionsBox = null;
        if (clinical) {
            let body;
            const chain = (session.sites || []).length > 1;
            const where = session.site ? siteName(session, session.site) : '';
            if (sessions && sessions.error) body = errorBox(sessions.error, 'Sessions could not be loaded');
            else if (!sessions.sessions.length) body = h('p', { class: 'muted' }, where ? `No sessions at ${where}.` : 'No sessions yet.');
            else {
                body = h('div', { class: 'table-wrap' }, h('table', { id: 'sessions-table' },
                    h('thead', null, h('tr', null, h('th', null, 'Started'), h('th', null, 'Status'), h('th', null, 'Plan'), h('th', null, 'Practitioner'), chain ? h('th', null, 'Site') : null, h('th', null, 'Aftercare'))),
                    h('tbody', null, sessions.sessions.map((s) => h('tr', null,
                        h('td', null, h('a', { class: 'rowlink', href: `/session?id=${s.id}` }, fmtDateTime(s.started_at))),
                        h('td', null, sessionStatus(s), s.signed_at ? h('div', { class: 'small muted' }, `signed ${fmtDateTime(s.signed_at)}`) : null),
                        h('td', null, s.plan_status ? badge(s.plan_status === 'modified' ? 'modify' : (s.plan_status === 'ok' ? 'ok' : s.plan_status), s.plan_status.replace('_', ' ')) : '—'),
                        h('td', null, byName(s.practitioner)),
                        chain ? h('td', null, siteName(session, s.site_id) || `site ${s.site_id}`) : null,
                        h('td', null, h('a', { href: `/aftercare?session=${s.id}` }, 'Handout'), ' · ', h('a', { href: `/compare?session=${s.id}` }, 'Before/after')))))));
            }
            sessionsBox = h('section', { class: 'card', 'aria-labelledby': 'sessions-h', id: 'sessions' }, h('h2', { id: 'sessions-h' }, 'Sessions'),
                where ? h('p', { class: 'small muted', id: 'sessions-site' }, `At ${where} only: choose “All sites” at the top to see every site's.`) : null,
                body);
        }

        const statusBox = clinical ? null : h('section', { class: 'card', 'aria-labelledby': 'status-h', id: 'intake-status' },
            h('h2', { id: 'status-h' }, 'Intake and consent'),
            h('dl', { class: 'facts' },
                h('dt', null, 'Intake'),
                h('dd', null, intakes.intake.on_file
                    ? [intakes.intake.current ? badge('ok', 'Updated today') : badge('warn', 'Not updated today'), ` last updated ${fmtDateTime(intakes.intake.recorded_at)}`]
                    : badge('warn', 'None on file')),
                h('dt', null, 'Consent for today'),
                h('dd', null, intakes.consent.current ? badge('ok', 'Recorded') : badge('warn', 'Not yet recorded'))),
            h('p', { class: 'hint' }, 'A practitioner records the intake and consent; their contents are not shown to reception.'));
        const history = !clinical ? null : h('section', { class: 'card', 'aria-labelledby': 'intakes-h', id: 'intake-history' },
            h('h2', { id: 'intakes-h' }, 'Intake history'),
            intakes.intakes.length
                ? h('ol', { class: 'results', reversed: true }, intakes.intakes.map((v, i) => h('li', null,
                    h('details', { class: 'card', open: i === 0 ? true : null },
                        h('summary', null,
                            h('strong', null, `Version ${v.version}`),
                            ` · ${fmtDateTime(v.created_at)} · `,
                            v.from_client ? badge('info', 'from the client') : `by ${byName(v.created_by)}`,
                            i === 0 ? [' ', badge('info', 'current')] : null,
                            h('div', { class: 'small muted' }, summarize(v.intake))),
                        intakeDetails(v.intake)))))
                : h('p', { class: 'muted' }, 'No intake yet. Fill one in before the first treatment.'));

        const fromClient = clinical ? await portalIntakeBox(id, intakes.intakes[0]) : null;
        fill(main,
            pageHead(client.name, [{ href: '/', label: 'Clients' }, { label: client.name }], ...actions),
            alertsBox(client.alerts),
            notice,
            fromClient,
            h('div', { class: 'grid-2' }, facts, rebook),
            portalBox(id),
            sessionsBox,
            statusBox,
            atHomeBox(id, clinical),
            history);
    },
});
