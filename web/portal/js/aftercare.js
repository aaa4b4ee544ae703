// SPDX-License-Identifier: AGPL-3.0-or-later
// Aftercare at home (issue 12.4): today's routine with a "done today" tick for the morning and
// the evening (and yesterday's, for a forgotten evening), what to avoid until which date, the
// next visit, the calendar file and a private calendar address (GET /api/portal/aftercare,
// POST /api/portal/aftercare/ticks, POST/DELETE /api/portal/aftercare/feed).
import { api, ApiError, say, errorText, startPortal } from '/portal/js/portal.js';
import { h, fill, fmtDate } from '/js/dom.js';

await startPortal('aftercare');
const box = document.getElementById('aftercare-body');

const PARTS = [
    { key: 'morning', title: 'Morning routine' },
    { key: 'evening', title: 'Evening routine' },
];

function addDays(day, n) {
    const d = new Date(`${day}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
}

async function tick(part, day, done, input) {
    input.disabled = true;
    try {
        await api.post('/api/portal/aftercare/ticks', { day, part, done });
        say('ok', done ? 'Ticked. Well done for looking after your skin.' : 'Tick taken back.');
    } catch (e) {
        input.checked = !done;
        say('bad', e instanceof ApiError && e.code === 'too_late'
            ? 'Only today and yesterday can be ticked.' : errorText(e));
    } finally {
        input.disabled = false;
    }
}

function tickBox(part, day, checked, label) {
    const id = `tick-${part}-${day}`;
    const input = h('input', { type: 'checkbox', id, checked, 'data-part': part, 'data-day': day });
    input.addEventListener('change', () => tick(part, day, input.checked, input));
    return h('label', { class: 'tick', for: id }, input, h('span', null, label));
}

function routineCard(care, ticks, today, p) {
    const item = care.routine.find((r) => r.code === p.key);
    const t = ticks[p.key];
    if (!item || !t) return null;
    const started = t.from <= today;
    const yesterday = addDays(today, -1);
    return h('section', { class: 'card routine', id: `routine-${p.key}`, 'aria-labelledby': `routine-${p.key}-h` },
        h('h3', { id: `routine-${p.key}-h` }, p.title),
        h('p', null, item.text),
        started
            ? h('div', { class: 'choices' },
                tickBox(p.key, today, t.today, 'Done today'),
                t.from <= yesterday ? tickBox(p.key, yesterday, t.yesterday, 'Done yesterday') : null)
            : h('p', { class: 'hint' }, `Starts ${fmtDate(t.from)}.`));
}

function avoidList(care, today) {
    const rows = care.avoid.map((a) => ({ ...a, over: a.until < today }));
    rows.sort((a, b) => (a.over - b.over) || a.until.localeCompare(b.until));
    return h('ul', { class: 'avoid', id: 'avoid-list' }, rows.map((a) => h('li', { class: a.over ? 'over' : 'now', 'data-code': a.code },
        h('span', null, a.text), ' ',
        h('strong', null, a.over ? `(over since ${fmtDate(addDays(a.until, 1))})` : `until ${fmtDate(a.until)}`))));
}

function feedBox(feed) {
    const area = h('div', { id: 'feed-area' });
    const show = (f, url) => {
        const parts = [];
        if (url) {
            const full = `${location.origin}${url}`;
            parts.push(h('p', null, 'Your private calendar address (it is shown only this once: copy it into your calendar app now):'),
                h('label', { for: 'feed-url', class: 'hint' }, 'Calendar address'),
                h('input', { type: 'text', id: 'feed-url', readonly: true, value: full }),
                h('p', null, h('a', { href: full.replace(/^https?:/, 'webcal:'), id: 'feed-open' }, 'Open it in my calendar app')));
        } else if (f.active) {
            parts.push(h('p', { id: 'feed-state' }, `You have a private calendar address (made ${fmtDate(f.created_at)}). Anyone who has it can see your aftercare dates, so keep it to yourself.`));
        } else {
            parts.push(h('p', { id: 'feed-state' }, 'Your calendar app can follow your aftercare dates with a private address that only you have.'));
        }
        const make = h('button', { type: 'button', class: 'primary', id: 'feed-new' }, f.active ? 'Make a new address' : 'Get a private calendar address');
        make.addEventListener('click', async () => {
            make.disabled = true;
            try {
                const r = await api.post('/api/portal/aftercare/feed');
                show(r, r.url);
                say('ok', 'Your new calendar address is ready. Any older one stopped working.');
            } catch (e) { say('bad', errorText(e)); make.disabled = false; }
        });
        const stop = f.active ? h('button', { type: 'button', id: 'feed-stop' }, 'Stop the address') : null;
        if (stop) {
            stop.addEventListener('click', async () => {
                stop.disabled = true;
                try {
                    show(await api.del('/api/portal/aftercare/feed'));
                    say('ok', 'The calendar address no longer works.');
                } catch (e) { say('bad', errorText(e)); stop.disabled = false; }
            });
        }
        fill(area, ...parts, h('div', { class: 'actions' }, make, stop));
    };
    show(feed);
    return area;
}

try {
    const data = await api.get('/api/portal/aftercare');
    const care = data.aftercare;
    const today = data.today;
    const others = care.routine.filter((r) => r.code !== 'morning' && r.code !== 'evening');
    fill(box,
        h('section', { 'aria-labelledby': 'today-h', id: 'today' },
            h('h2', { id: 'today-h' }, `Today, ${fmtDate(today)}`),
            PARTS.map((p) => routineCard(care, data.ticks, today, p)),
            others.map((r) => h('section', { class: 'card routine', 'data-code': r.code },
                h('h3', null, r.code === 'exfoliate' ? 'Gentle exfoliation' : r.code),
                h('p', null, r.text),
                h('p', { class: 'hint' }, `${r.frequency[0].toUpperCase()}${r.frequency.slice(1)}, from ${fmtDate(r.from)}.`)))),
        h('section', { class: 'card', 'aria-labelledby': 'avoid-h' },
            h('h2', { id: 'avoid-h' }, 'What to avoid, and until when'),
            avoidList(care, today)),
        h('section', { class: 'card', 'aria-labelledby': 'next-h', id: 'next-visit' },
            h('h2', { id: 'next-h' }, 'Your next visit'),
            h('p', { id: 'rebook' }, `Book your next deep pore cleansing facial for ${fmtDate(care.rebook.date)} (in ${care.rebook.weeks} weeks).`),
            h('p', null, h('a', { href: '/api/portal/aftercare.ics', id: 'ics-file', class: 'button' }, 'Add the dates to my calendar (file)'))),
        h('section', { class: 'card', 'aria-labelledby': 'feed-h' },
            h('h2', { id: 'feed-h' }, 'Follow it in my calendar app'),
            feedBox(data.feed)),
        care.lifestyle && care.lifestyle.length
            ? h('section', { class: 'card', 'aria-labelledby': 'life-h' },
                h('h2', { id: 'life-h' }, 'Every day'),
                h('ul', null, care.lifestyle.map((l) => h('li', null, l))))
            : null);
} catch (e) {
    if (e instanceof ApiError && e.code === 'no_aftercare') {
        fill(box, h('p', { id: 'no-aftercare' }, 'Your care at home appears here after your treatment.'));
    } else {
        fill(box);
        say('bad', errorText(e));
    }
}
