// SPDX-License-Identifier: AGPL-3.0-or-later
// The appointment book (docs/api.md, "Appointments"): a day or a week, for one practitioner or
// the whole clinic; book from a free slot, move, cancel, mark arrived or no-show, start the
// treatment from the appointment; a practitioner's calendar subscription (make, renew, revoke). Times are the clinic's wall clock as the server writes them
// ("2027-01-12T09:00:00+01:00" → 09:00), whatever the tablet's own time zone. The pre-visit
// checks come from the server, which leaves the clinical ones out for reception.
//
//   /book?view=day|week&date=YYYY-MM-DD&practitioner=ID&client=ID&around=YYYY-MM-DD
// `client` books for that client; `around` (the aftercare's rebooking date) shows the week
// around that date with its free slots. In a chain the book is the current site's (the top
// bar's, app.js; also chosen here): its appointments, its practitioners, bookings made there.

import { api, withQuery } from '../api.js';
import { h, fill, badge, alertBox, fmtDateTime } from '../dom.js';
import { startPage, pageHead, busy, showError, rememberSite, siteName } from '../app.js';

const STATUS = {
    booked: ['pending', 'Booked'],
    arrived: ['active', 'Arrived'],
    in_treatment: ['active', 'In treatment'],
    done: ['done', 'Done'],
    cancelled: ['refused', 'Cancelled'],
    no_show: ['refused', 'No-show'],
};
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

// ---- dates as plain "YYYY-MM-DD" (no time zone involved) ----
function addDays(date, n) {
    const d = new Date(`${date}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
}
function weekday(date) { return (new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7; } // 0 Monday
function dayLabel(date) {
    const [y, m, d] = date.split('-');
    return `${DAY_NAMES[weekday(date)]} ${Number(d)}.${Number(m)}.${y}`;
}
const clock = (iso) => (iso || '').slice(11, 16); // the clinic's wall clock
const dayOf = (iso) => (iso || '').slice(0, 10);

export function bookUrl(p) {
    return withQuery('/book', p);
}

startPage({
    nav: 'book',
    title: 'Appointments',
    render: async (main, session) => {
        const q = new URLSearchParams(window.location.search);
        const clock0 = await api.get('/api/clinic/clock');
        const state = {
            view: q.get('view') === 'week' || q.get('around') ? 'week' : 'day',
            date: /^\d{4}-\d{2}-\d{2}$/.test(q.get('around') || q.get('date') || '')
                ? (q.get('around') || q.get('date')) : dayOf(clock0.now),
            practitioner: q.get('practitioner') || '',
            client: q.get('client') || '',
            around: q.get('around') || '',
            // null: every site (or a clinic of one site); a user of one site sees its book
            site: session.site || ((session.user.sites || []).length === 1 ? session.user.sites[0] : null),
        };
        const chain = (session.sites || []).length > 1;
        const role = session.user.role;
        const clinical = role === 'admin' || role === 'practitioner';
        // the practitioners of the site shown (all of them with no site chosen)
        const practitionersOf = async () => (await api.get(withQuery('/api/users', { role: 'practitioner', site_id: state.site || '' })))
            .users.filter((u) => u.active !== false);
        const [found, client] = await Promise.all([
            practitionersOf(),
            state.client ? api.get(`/api/clients/${encodeURIComponent(state.client)}`).catch(() => null) : null,
        ]);
        let practitioners = found;
        const msg = h('div', { id: 'book-msg', hidden: true });
        const board = h('div', { id: 'book-board' });
        const feedBox = h('section', { id: 'book-feed', class: 'card', 'aria-labelledby': 'feed-h', hidden: true });
        let moving = null; // the appointment picked up to move (below)
        const movingBar = h('div', { id: 'book-moving', class: 'alert info', role: 'status', hidden: true });

        const pSel = h('select', { id: 'book-practitioner', name: 'practitioner' });
        const fillPractitioners = () => {
            if (!practitioners.some((p) => String(p.id) === state.practitioner)) state.practitioner = '';
            fill(pSel, h('option', { value: '' }, chain && state.site ? 'Whole site' : 'Whole clinic'),
                practitioners.map((p) => h('option', { value: String(p.id), selected: String(p.id) === state.practitioner }, p.display_name)));
        };
        fillPractitioners();
        // in a chain: which site's book (the same choice as the top bar's, remembered alike)
        const siteSel = chain ? h('select', { id: 'book-site', name: 'site' },
            h('option', { value: '' }, 'All sites'),
            session.sites.map((s) => h('option', { value: String(s.id), selected: s.id === state.site }, s.name))) : null;
        if (siteSel) siteSel.addEventListener('change', async () => {
            state.site = Number(siteSel.value) || null;
            session.site = state.site;
            rememberSite(state.site);
            const top = document.getElementById('site-select');
            if (top) top.value = siteSel.value;
            try {
                practitioners = await practitionersOf();
                fillPractitioners();
                await draw();
                await drawFeed();
            } catch (err) { showError(msg, err); }
        });
        const dateIn = h('input', { type: 'date', id: 'book-date', value: state.date });
        const viewSel = h('select', { id: 'book-view' },
            h('option', { value: 'day', selected: state.view === 'day' }, 'Day'),
            h('option', { value: 'week', selected: state.view === 'week' }, 'Week'));
        const step = (n) => { state.date = addDays(state.date, n * (state.view === 'week' ? 7 : 1)); state.around = ''; dateIn.value = state.date; draw(); };
        const prev = h('button', { type: 'button', id: 'book-prev', onclick: () => step(-1) }, '‹ Earlier');
        const next = h('button', { type: 'button', id: 'book-next', onclick: () => step(1) }, 'Later ›');
        const today = h('button', { type: 'button', id: 'book-today', onclick: () => { state.date = dayOf(clock0.now); state.around = ''; dateIn.value = state.date; draw(); } }, 'Today');
        pSel.addEventListener('change', () => { state.practitioner = pSel.value; draw(); drawFeed(); });
        dateIn.addEventListener('change', () => { if (dateIn.value) { state.date = dateIn.value; state.around = ''; draw(); } });
        viewSel.addEventListener('change', () => { state.view = viewSel.value; draw(); });

        fill(main,
            pageHead('Appointments', [{ href: '/', label: 'Clients' }, { label: 'Appointments' }]),
            client ? alertBox('info', `Booking for ${client.name}`,
                h('p', { id: 'book-for' }, state.around
                    ? `Free slots around the rebooking date, ${dayLabel(state.around)}: pick one.`
                    : 'Pick a free slot.')) : null,
            h('div', { class: 'card book-controls', role: 'group', 'aria-label': 'Which appointments' },
                siteSel ? h('label', null, 'Site ', siteSel) : null,
                h('label', null, 'Date ', dateIn),
                h('label', null, 'View ', viewSel),
                h('label', null, 'Practitioner ', pSel),
                h('div', { class: 'book-steps' }, prev, today, next)),
            h('p', { class: 'small muted' }, `Times are the clinic's (${clock0.time_zone}).`),
            msg, movingBar, board, feedBox);

        // A practitioner's private calendar subscription (docs/api.md, "Calendar feeds"): their
        // own, or for an admin the chosen practitioner's. The address is shown once, when it is
        // made (the server keeps only its hash); a new one or a revoke ends the old one.
        async function drawFeed(made) {
            const me = role === 'practitioner' ? practitioners.find((p) => p.id === session.user.id) : null;
            const p = me || (role === 'admin' && state.practitioner
                ? practitioners.find((x) => String(x.id) === state.practitioner) : null);
            feedBox.hidden = !p;
            if (!p) return;
            const path = `/api/practitioners/${p.id}/feed`;
            const feedMsg = h('div', { id: 'feed-msg', hidden: true });
            const act = (id, label, fn, cls) => h('button', { type: 'button', id, class: cls || null, onclick: (e) => busy(e.currentTarget, fn) }, label);
            const run = async (fn) => { try { await drawFeed(await fn()); } catch (err) { showError(feedMsg, err, 'The calendar address did not change'); } };
            const create = () => run(() => api.post(path));
            const revoke = () => run(async () => { await api.del(path); return null; });
            const cur = made ? { active: true } : await api.get(path);
            const whose = me ? 'your' : `${p.display_name}'s`;
            const parts = [h('h2', { id: 'feed-h' }, 'Calendar subscription')];
            if (made && made.url) {
                const url = new URL(made.url, window.location.origin).href;
                const input = h('input', { type: 'text', id: 'feed-url', readonly: true, value: url, 'aria-label': 'Subscription address', spellcheck: 'false' });
                parts.push(alertBox('ok', 'The private address of ' + whose + ' appointments',
                    h('p', null, 'Add it in Google Calendar (Other calendars → From URL), Apple Calendar (New Calendar Subscription) or Thunderbird (New Calendar → On the Network). It is shown only now: anyone who has it sees the appointments, so keep it private.'),
                    h('div', { class: 'book-actions' }, input,
                        h('button', { type: 'button', id: 'feed-copy', onclick: async () => { input.select(); try { await navigator.clipboard.writeText(url); } catch { /* selected for a manual copy */ } } }, 'Copy'),
                        h('a', { class: 'button', id: 'feed-webcal', href: url.replace(/^https?:/, 'webcal:') }, 'Open in a calendar app'))));
            }
            if (cur.active) {
                if (!made) parts.push(h('p', { id: 'feed-state' }, `A private subscription address of ${whose} appointments is in use since ${fmtDateTime(cur.created_at)}.`));
                parts.push(h('div', { class: 'book-actions' },
                    act('feed-new', 'Make a new address (the old one stops)', create),
                    act('feed-revoke', 'Revoke the address', revoke, 'danger')));
            } else {
                parts.push(h('p', { id: 'feed-state' }, `Subscribe to ${whose} appointments from a calendar app with a private address.`),
                    h('div', { class: 'book-actions' }, act('feed-create', 'Make a subscription address', create, 'primary')));
            }
            parts.push(feedMsg);
            fill(feedBox, ...parts);
        }

        function range() {
            if (state.view === 'day') return [state.date, addDays(state.date, 1)];
            const from = state.around ? addDays(state.around, -3) : addDays(state.date, -weekday(state.date));
            return [from, addDays(from, 7)];
        }
        const shown = () => (state.practitioner ? practitioners.filter((p) => String(p.id) === state.practitioner) : practitioners);

        async function draw() {
            const url = new URL(window.location.href);
            url.searchParams.set('view', state.view);
            url.searchParams.set('date', state.date);
            if (state.practitioner) url.searchParams.set('practitioner', state.practitioner); else url.searchParams.delete('practitioner');
            if (!state.around) url.searchParams.delete('around');
            window.history.replaceState(null, '', url);
            const [from, to] = range();
            fill(board, h('p', { class: 'loading' }, 'Loading…'));
            const list = await api.get(withQuery('/api/appointments', {
                from, to, practitioner_id: state.practitioner, site_id: state.site || '', checks: '1',
            }));
            const duration = clock0.default_duration_min;
            const slotStep = state.view === 'day' ? 30 : 60;
            const frees = await Promise.all(shown().map((p) => api.get(withQuery(`/api/practitioners/${p.id}/free`, {
                from, to, duration_min: String(duration), step_min: String(slotStep),
            })).then((f) => [p.id, f.slots]).catch(() => [p.id, []])));
            const freeBy = new Map(frees);
            const days = [];
            for (let d = from; d < to; d = addDays(d, 1)) days.push(d);
            const cols = days.map((d) => h('section', { class: 'book-day card', 'data-date': d, 'aria-label': dayLabel(d) },
                h('h2', null, dayLabel(d)),
                shown().map((p) => {
                    const appts = list.appointments.filter((a) => a.practitioner_id === p.id && dayOf(a.start) === d);
                    const slots = (freeBy.get(p.id) || []).filter((s) => dayOf(s.start) === d);
                    const absent = list.absences.filter((x) => x.practitioner_id === p.id && dayOf(x.start) <= d && d <= dayOf(x.end));
                    return h('div', { class: 'book-col', 'data-practitioner': String(p.id) },
                        shown().length > 1 || state.view === 'day' ? h('h3', null, p.display_name) : null,
                        absent.map((x) => h('p', { class: 'book-absent' }, badge('muted', `Absent: ${x.reason}`))),
                        agenda(p, appts, slots));
                })));
            fill(board, h('div', { class: `book-grid ${state.view}` }, cols));
        }

        // The day of one practitioner in time order: appointments, and the free slots between
        // them grouped in rows of buttons.
        function agenda(p, appts, slots) {
            const items = [...appts.map((a) => ({ at: a.start, a })), ...slots.map((s) => ({ at: s.start, s }))]
                .sort((x, y) => (clock(x.at) < clock(y.at) ? -1 : clock(x.at) > clock(y.at) ? 1 : (x.a ? -1 : 1)));
            if (!items.length) return h('p', { class: 'small muted' }, 'Nothing booked, no free slot.');
            const out = h('div', { class: 'book-agenda' });
            let row = null;
            for (const it of items) {
                if (it.a) {
                    row = null;
                    out.append(apptCard(it.a));
                    continue;
                }
                if (!row) {
                    row = h('div', { class: 'book-free', 'aria-label': `Free slots of ${p.display_name}` });
                    out.append(row);
                }
                row.append(h('button', {
                    type: 'button', class: 'slot', 'data-start': it.s.start,
                    onclick: (e) => (moving ? moveTo(moving, e.currentTarget) : bookForm(e.currentTarget, p, it.s.start)),
                }, `${clock(it.s.start)} free`));
            }
            return out;
        }

        function apptCard(a) {
            const [kind, words] = STATUS[a.status] || ['muted', a.status];
            const live = a.status === 'booked' || a.status === 'arrived';
            const acts = h('div', { class: 'book-actions' });
            const card = h('article', { class: `appt ${a.status}`, 'data-id': String(a.id) },
                h('p', { class: 'appt-head' },
                    a.status === 'booked' ? dragHandle(a) : null,
                    h('strong', { class: 'appt-time' }, `${clock(a.start)}–${clock(a.end)}`), ' ',
                    h('a', { href: `/client?id=${a.client_id}`, class: 'appt-client' }, a.client_name), ' ',
                    badge(kind, words)),
                chain && !state.site && a.site_id ? h('p', { class: 'small appt-site' }, siteName(session, a.site_id) || `Site ${a.site_id}`) : null,
                a.notes ? h('p', { class: 'small appt-notes' }, a.notes) : null,
                a.cancel_reason ? h('p', { class: 'small' }, `Cancelled: ${a.cancel_reason}`) : null,
                a.checks && a.checks.length ? h('ul', { class: 'checks', 'aria-label': 'Before the visit' },
                    a.checks.map((c) => h('li', { 'data-code': c.code }, badge(c.code.startsWith('plan') ? 'blocked' : 'caution', c.text)))) : null,
                acts);
            const act = (id, label, fn, cls) => h('button', { type: 'button', class: cls || null, 'data-act': id, onclick: (e) => busy(e.currentTarget, fn) }, label);
            const change = async (path, body) => {
                try { await api.post(`/api/appointments/${a.id}/${path}`, body); msg.hidden = true; await draw(); } catch (err) { showError(msg, err); }
            };
            if (a.status === 'booked') acts.append(act('arrived', 'Arrived', () => change('status', { status: 'arrived' })));
            if (a.status === 'booked' && Date.parse(a.start_utc) <= Date.parse(clock0.now_utc) + (Date.now() - loadedAt))
                acts.append(act('no_show', 'No-show', () => change('status', { status: 'no_show' })));
            if (clinical && live)
                acts.append(h('a', { class: 'button primary', 'data-act': 'start', href: `/consent?client=${a.client_id}&appointment=${a.id}` }, 'Start treatment'));
            if (a.session_id && clinical) acts.append(h('a', { class: 'button', href: `/session?id=${a.session_id}` }, 'Session'));
            if (a.status === 'booked') acts.append(act('move', 'Move', async () => moveForm(card, a)));
            if (live) acts.append(act('cancel', 'Cancel', async () => cancelForm(card, a), 'danger'));
            return card;
        }

        // ---- moving an appointment onto a free slot: drag its handle there (pointer events:
        // mouse, pen or finger), or pick it up (a click, a tap, Enter or Space on the handle) and
        // then choose the slot (click, tap or Enter; Escape puts it back). The server checks the
        // new time again (hours, absences, the practitioner's and the client's other
        // appointments): a slot taken meanwhile is refused and said so.
        function pickUp(a) {
            moving = a;
            board.classList.add('moving');
            fill(movingBar, h('p', null, `Moving ${a.client_name}, ${dayLabel(dayOf(a.start))} ${clock(a.start)}: choose a free slot, or `),
                h('button', { type: 'button', id: 'book-moving-cancel', onclick: putBack }, 'Keep it where it is'));
            movingBar.hidden = false;
            const first = board.querySelector('.slot');
            if (first) first.focus();
        }
        function putBack() {
            const a = moving;
            moving = null;
            board.classList.remove('moving');
            movingBar.hidden = true;
            const handle = a && board.querySelector(`.appt[data-id="${a.id}"] .appt-drag`);
            if (handle) handle.focus();
        }
        document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && moving) putBack(); });
        async function moveTo(a, slot) {
            moving = null;
            board.classList.remove('moving');
            movingBar.hidden = true;
            const body = { start: slot.dataset.start };
            const col = slot.closest('.book-col');
            const pid = col ? Number(col.dataset.practitioner) : a.practitioner_id;
            if (pid !== a.practitioner_id) body.practitioner_id = pid;
            try {
                const m = await api.post(`/api/appointments/${a.id}/move`, body);
                fill(msg, alertBox('ok', 'Moved', h('p', { id: 'moved-note' }, `${m.client_name} with ${m.practitioner_name}, ${dayLabel(dayOf(m.start))} at ${clock(m.start)}.`)));
                msg.hidden = false;
            } catch (err) { showError(msg, err, 'Not moved'); }
            await draw();
        }
        function dragHandle(a) {
            const handle = h('button', {
                type: 'button', class: 'appt-drag', 'data-act': 'drag',
                'aria-label': `Move ${a.client_name} at ${clock(a.start)}: pick up, then choose a free slot`,
                title: 'Drag onto a free slot',
            }, '⠿');
            let dragged = false;
            handle.addEventListener('pointerdown', (e) => {
                if (e.button !== 0) return;
                e.preventDefault();
                handle.setPointerCapture(e.pointerId);
                const x0 = e.clientX, y0 = e.clientY;
                let ghost = null, over = null;
                dragged = false;
                const onMove = (ev) => {
                    if (!dragged && Math.hypot(ev.clientX - x0, ev.clientY - y0) < 6) return;
                    if (!ghost) {
                        dragged = true;
                        ghost = h('div', { class: 'appt-ghost', 'aria-hidden': 'true' }, `${clock(a.start)} ${a.client_name}`);
                        document.body.append(ghost);
                        board.classList.add('moving');
                    }
                    ghost.style.left = `${ev.clientX + 8}px`;
                    ghost.style.top = `${ev.clientY + 8}px`;
                    const el = document.elementFromPoint(ev.clientX, ev.clientY);
                    const slot = el ? el.closest('#book-board .slot') : null;
                    if (slot !== over) {
                        if (over) over.classList.remove('drop-over');
                        over = slot;
                        if (over) over.classList.add('drop-over');
                    }
                };
                const end = (ev) => {
                    handle.removeEventListener('pointermove', onMove);
                    handle.removeEventListener('pointerup', end);
                    handle.removeEventListener('pointercancel', end);
                    if (ghost) ghost.remove();
                    if (over) over.classList.remove('drop-over');
                    if (!dragged) return; /* a click: picked up by the click handler */
                    board.classList.remove('moving');
                    if (ev.type === 'pointerup' && over) moveTo(a, over);
                };
                handle.addEventListener('pointermove', onMove);
                handle.addEventListener('pointerup', end);
                handle.addEventListener('pointercancel', end);
            });
            handle.addEventListener('click', (e) => {
                e.preventDefault();
                if (dragged) { dragged = false; return; } /* the end of a drag */
                if (moving && moving.id === a.id) putBack(); else pickUp(a);
            });
            return handle;
        }

        function cancelForm(card, a) {
            const reason = h('input', { type: 'text', name: 'reason', id: `cancel-reason-${a.id}`, maxlength: '255', required: true });
            const form = h('form', { class: 'book-form', 'data-form': 'cancel' },
                h('label', { for: reason.id }, 'Why is it cancelled?'), reason,
                h('div', { class: 'book-actions' },
                    h('button', { type: 'submit', class: 'danger' }, 'Cancel the appointment'),
                    h('button', { type: 'button', onclick: () => form.remove() }, 'Keep it')));
            form.addEventListener('submit', async (e) => {
                e.preventDefault();
                try { await api.post(`/api/appointments/${a.id}/cancel`, { reason: reason.value.trim() }); msg.hidden = true; await draw(); } catch (err) { showError(msg, err); }
            });
            card.append(form);
            reason.focus();
        }

        async function moveForm(card, a) {
            const minutes = a.duration_min;
            const date = h('input', { type: 'date', value: dayOf(a.start), name: 'date' });
            const slots = h('select', { name: 'start', 'aria-label': 'New time' });
            const load = async () => {
                const f = await api.get(withQuery(`/api/practitioners/${a.practitioner_id}/free`, {
                    from: date.value, to: addDays(date.value, 1), duration_min: String(minutes), step_min: '15',
                }));
                fill(slots, f.slots.length ? f.slots.map((s) => h('option', { value: s.start }, clock(s.start)))
                    : h('option', { value: '' }, 'No free time that day'));
            };
            date.addEventListener('change', () => load().catch((err) => showError(msg, err)));
            const form = h('form', { class: 'book-form', 'data-form': 'move' },
                h('label', null, 'New day ', date), h('label', null, 'New time ', slots),
                h('div', { class: 'book-actions' },
                    h('button', { type: 'submit', class: 'primary' }, 'Move'),
                    h('button', { type: 'button', onclick: () => form.remove() }, 'Keep it')));
            form.addEventListener('submit', async (e) => {
                e.preventDefault();
                if (!slots.value) return;
                try { await api.post(`/api/appointments/${a.id}/move`, { start: slots.value }); msg.hidden = true; await draw(); } catch (err) { showError(msg, err); }
            });
            card.append(form);
            await load();
        }

        function bookForm(button, p, start) {
            const old = board.querySelector('form[data-form="book"]');
            if (old) old.remove();
            const search = h('input', { type: 'search', name: 'q', id: 'book-client-q', placeholder: 'Name or phone', value: client ? client.name : '' });
            const pick = h('select', { name: 'client_id', id: 'book-client', required: true },
                client ? h('option', { value: String(client.id) }, client.name) : h('option', { value: '' }, 'Search for the client'));
            const mins = h('input', { type: 'number', name: 'duration_min', id: 'book-duration', min: '5', max: '480', step: '5', value: String(clock0.default_duration_min) });
            const notes = h('input', { type: 'text', name: 'notes', id: 'book-notes', maxlength: '500' });
            // a chain's book of every site: where (the server takes the practitioner's one site)
            const where = chain && !state.site ? h('select', { name: 'site_id', id: 'book-where' },
                h('option', { value: '' }, 'The practitioner\'s site'),
                session.sites.map((s) => h('option', { value: String(s.id) }, s.name))) : null;
            search.addEventListener('input', async () => {
                const v = search.value.trim();
                if (v.length < 2) return;
                try {
                    const r = await api.get(withQuery('/api/clients', { q: v, limit: '20' }));
                    fill(pick, r.clients.length ? r.clients.map((c) => h('option', { value: String(c.id) }, `${c.name} · ${c.birth_date}`))
                        : h('option', { value: '' }, 'No client of that name'));
                } catch (err) { showError(msg, err); }
            });
            const form = h('form', { class: 'book-form card', 'data-form': 'book' },
                h('h3', null, `Book ${p.display_name}, ${dayLabel(dayOf(start))} at ${clock(start)}`),
                client ? null : h('label', { for: search.id }, 'Client ', search),
                h('label', { for: pick.id }, 'Client ', pick),
                h('label', { for: mins.id }, 'Minutes ', mins),
                h('label', { for: notes.id }, 'Booking note ', notes),
                where ? h('label', { for: where.id }, 'Site ', where) : null,
                h('div', { class: 'book-actions' },
                    h('button', { type: 'submit', class: 'primary', id: 'book-submit' }, 'Book'),
                    h('button', { type: 'button', onclick: () => form.remove() }, 'Close')));
            form.addEventListener('submit', async (e) => {
                e.preventDefault();
                if (!pick.value) { search.focus(); return; }
                const body = { client_id: Number(pick.value), practitioner_id: p.id, start, duration_min: Number(mins.value) };
                if (notes.value.trim()) body.notes = notes.value.trim();
                const site = state.site || (where && Number(where.value));
                if (site) body.site_id = site;
                try {
                    const a = await busy(form.querySelector('#book-submit'), () => api.post('/api/appointments', body));
                    fill(msg, alertBox('ok', 'Booked', h('p', { id: 'booked-note' }, `${a.client_name} with ${a.practitioner_name}, ${dayLabel(dayOf(a.start))} at ${clock(a.start)}.`)));
                    msg.hidden = false;
                    await draw();
                } catch (err) { showError(msg, err); }
            });
            button.closest('.book-col').append(form);
            (client ? mins : search).focus();
        }

        const loadedAt = Date.now();
        await draw();
        await drawFeed().catch((err) => { feedBox.hidden = false; showError(feedBox, err); });
    },
});
