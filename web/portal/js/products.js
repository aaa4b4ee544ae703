// SPDX-License-Identifier: AGPL-3.0-or-later
// My products (issue 12.6): type or paste a product's ingredient list (or pick one the clinic
// checked for you) and read the check in plain words; keep it on your shelf, which your
// practitioner reads before the visit (GET/POST /api/portal/shelf, DELETE
// /api/portal/shelf/{id}, GET /api/portal/products).
import { api, ApiError, say, errorText, startPortal } from '/portal/js/portal.js';
import { h, fill, fmtDate } from '/js/dom.js';

await startPortal('products');
const box = document.getElementById('products-body');
const result = h('div', { id: 'check-result', 'aria-live': 'polite' });
const shelfBox = h('div', { id: 'shelf' });

function itemCard(it, saved) {
    const flagged = it.flagged > 0;
    const remove = saved ? h('button', { type: 'button', class: 'remove', 'data-id': it.id }, `Take ${it.name} off my shelf`) : null;
    if (remove) {
        remove.addEventListener('click', async () => {
            remove.disabled = true;
            try {
                await api.del(`/api/portal/shelf/${it.id}`);
                say('ok', `${it.name} is off your shelf.`);
                await drawShelf();
            } catch (e) { say('bad', errorText(e)); remove.disabled = false; }
        });
    }
    return h('li', { class: `card product ${flagged ? 'flagged' : 'none-flagged'}`, 'data-id': it.id || null },
        h('h3', null, it.name),
        h('p', { class: 'verdict' }, h('strong', null, flagged ? 'Has ingredients that may clog pores.' : 'No ingredient we flag.')),
        h('p', { class: 'plain' }, it.plain),
        saved ? h('p', { class: 'hint' }, `On your shelf since ${fmtDate(it.added_at)}.`) : null,
        remove);
}

async function drawShelf() {
    const data = await api.get('/api/portal/shelf');
    fill(shelfBox, data.shelf.length
        ? h('ul', { class: 'shelf-list' }, data.shelf.map((it) => itemCard(it, true)))
        : h('p', { id: 'shelf-empty' }, 'Your shelf is empty. Check a product above and keep it here: your practitioner sees your shelf before your next visit.'));
}

async function check(body, save, btn) {
    btn.disabled = true;
    try {
        const it = await api.post('/api/portal/shelf', { ...body, save });
        fill(result, h('h2', null, 'The check'), h('ul', { class: 'shelf-list' }, itemCard(it, false)));
        say('ok', save ? `${it.name} is on your shelf.` : 'Checked (not kept).');
        if (save) await drawShelf();
    } catch (e) {
        say('bad', e instanceof ApiError && e.status === 400 ? `That did not work: ${e.message}` : errorText(e));
    } finally {
        btn.disabled = false;
    }
}

const form = h('form', { id: 'label-form', novalidate: true },
    h('div', { class: 'field' },
        h('label', { for: 'p-name' }, 'Product name'),
        h('input', { type: 'text', id: 'p-name', name: 'name', maxlength: '200', autocomplete: 'off' })),
    h('div', { class: 'field' },
        h('label', { for: 'p-label' }, 'Ingredients, as on the pack'),
        h('p', { class: 'hint', id: 'p-label-hint' }, 'Type or paste the list that starts with "Ingredients" or "Aqua".'),
        h('textarea', { id: 'p-label', name: 'label', 'aria-describedby': 'p-label-hint' })),
    h('div', { class: 'choices' },
        h('label', { for: 'p-rinse' }, h('input', { type: 'checkbox', id: 'p-rinse', name: 'rinse_off' }), 'I rinse it off (a cleanser, a mask)')),
    h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary', id: 'check-keep' }, 'Check and keep on my shelf'),
        h('button', { type: 'button', id: 'check-only' }, 'Only check')));

function fromForm() {
    const name = form.name.value.trim();
    const label = form.label.value.trim();
    if (!name) { say('bad', 'Please give the product a name.'); form.name.focus(); return null; }
    if (!label) { say('bad', 'Please type or paste the ingredient list.'); form.label.focus(); return null; }
    return { name, label, rinse_off: form.rinse_off.checked };
}
form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const b = fromForm();
    if (b) check(b, true, document.getElementById('check-keep'));
});
form.querySelector('#check-only').addEventListener('click', (ev) => {
    const b = fromForm();
    if (b) check(b, false, ev.currentTarget);
});

try {
    const clinic = await api.get('/api/portal/products');
    let pick = null;
    if (clinic.products.length) {
        const sel = h('select', { id: 'pick-product' }, clinic.products.map((p) => h('option', { value: p.id }, p.name)));
        const btn = h('button', { type: 'button', id: 'pick-keep' }, 'Keep it on my shelf');
        btn.addEventListener('click', () => check({ product_id: Number(sel.value) }, true, btn));
        pick = h('section', { class: 'card', 'aria-labelledby': 'pick-h' },
            h('h2', { id: 'pick-h' }, 'Products your clinic checked for you'),
            h('div', { class: 'field' }, h('label', { for: 'pick-product' }, 'Product'), sel),
            btn);
    }
    fill(box,
        h('p', null, 'Some ingredients are known to clog pores. Check what you use at home; the answer says what we know and what we do not.'),
        h('section', { class: 'card', 'aria-labelledby': 'type-h' }, h('h2', { id: 'type-h' }, 'Check a product'), form),
        pick,
        result,
        h('section', { 'aria-labelledby': 'shelf-h' }, h('h2', { id: 'shelf-h' }, 'My shelf'), shelfBox));
    await drawShelf();
} catch (e) {
    fill(box);
    say('bad', errorText(e));
}
