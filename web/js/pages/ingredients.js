// SPDX-License-Identifier: AGPL-3.0-or-later
// Check a product's ingredients: paste the label, see every ingredient with its comedogenicity
// and irritancy ratings, their sources and flags, and the summary with its caveat (the ingredient
// checker's report, docs/ingredients.md). With `?client=N` the label is also crossed with the
// allergies the client's intake records (the server asks the protocol and ingredient libraries:
// nothing here knows which ingredient an allergy rules out), and the checked product can be
// saved to the client's record as keep / replace with a reason; the aftercare handout lists them.

import { api, queryId, ApiError } from '../api.js';
import { h, fill, fmtDateTime, alertBox, badge } from '../dom.js';
import { startPage, pageHead, showError, busy } from '../app.js';
import { clientTabs } from '../photo-api.js';

const MATCH_WORDS = {
    exact: 'exact name', synonym: 'known synonym', normalised: 'spelling variant', alternatives: 'one of several alternatives',
    fuzzy: 'close spelling — check it', none: 'not recognised',
};

function ratingCell(v, flagged) {
    if (v === null || v === undefined) return h('span', { class: 'muted' }, 'not rated');
    return h('span', { class: `rating r${v}${flagged ? ' flagged' : ''}` }, `${v}`, h('span', { class: 'small muted' }, ' / 5'));
}

function sourceList(ing, refs) {
    if (!ing.sources || !ing.sources.length) return h('span', { class: 'muted small' }, '—');
    return h('ul', { class: 'sources' }, ing.sources.map((src) => h('li', { class: 'small' },
        h('abbr', { title: (refs && refs[src.source]) || src.source }, src.source),
        src.kind ? ` (${src.kind})` : '',
        `: comedogenic ${src.comedogenicity ?? '—'}, irritant ${src.irritancy ?? '—'}`,
        src.vehicle ? `, in ${src.vehicle}` : '',
        src.note ? ` — ${src.note}` : '',
        src.dispute ? h('span', { class: 'dispute' }, ` ⚠ disputed: ${src.dispute}`) : null)));
}

function flagsOf(ing, allergyHits) {
    const out = [];
    for (const a of allergyHits.get(ing.position) || []) out.push(badge('blocked', `Allergy: ${a}`));
    if (ing.flagged) out.push(badge('blocked', 'Flagged: comedogenic'));
    if (ing.status === 'unrecognised') out.push(badge('caution', 'Not recognised'));
    if (ing.match_kind === 'fuzzy') out.push(badge('caution', 'Close spelling'));
    if (ing.sources_disagree) out.push(badge('caution', 'Sources disagree'));
    if (ing.disputed) out.push(badge('caution', 'Disputed'));
    if (ing.may_contain) out.push(badge('info', 'May contain'));
    if (ing.nano) out.push(badge('info', 'Nano'));
    if (typeof ing.percent === 'number') out.push(badge('info', `${ing.percent} %`));
    return out;
}

// The verdict never calls a label clean while part of it was not recognised (the library's
// summary.verdict: flagged / incomplete / none_flagged).
function verdictBox(r, allergic) {
    const sum = r.summary || {};
    const ings = r.ingredients || [];
    const flagged = ings.filter((i) => i.flagged);
    const unknown = ings.filter((i) => i.status === 'unrecognised');
    const from = sum.effective_threshold ?? sum.threshold;
    const unknownList = unknown.length
        ? h('p', null, 'Not recognised: ', unknown.map((i) => (i.suggestion ? `${i.label} (did you mean ${i.suggestion}?)` : i.label)).join(', '), '.')
        : null;
    const verdict = sum.verdict || (flagged.length ? 'flagged' : unknown.length ? 'incomplete' : 'none_flagged');
    let box;
    if (verdict === 'flagged') {
        box = alertBox('warn', `${flagged.length} ingredient${flagged.length === 1 ? '' : 's'} rated comedogenic at ${from} or more`,
            h('p', null, flagged.map((i) => `${i.label} (${i.comedogenicity})`).join(', ')),
            unknown.length ? h('p', null, `${unknown.length} more could not be checked.`) : null, unknownList);
    } else if (verdict === 'incomplete' && unknown.length === ings.length) {
        box = alertBox('error', 'Nothing on this label was recognised',
            h('p', null, 'No ingredient could be checked: is this the ingredient list (INCI) from the pack? Check the spelling, or paste it again.'), unknownList);
    } else if (verdict === 'incomplete') {
        box = alertBox('warn', `Not fully checked: ${unknown.length} of ${ings.length} ingredients not recognised`,
            h('p', null, `Nothing recognised is rated ${from} or more, but the label cannot be called clean while part of it is unknown.`), unknownList);
    } else {
        // beside an allergy conflict a green box would read as "fine": keep it neutral
        box = alertBox(allergic ? 'info' : 'ok', 'No ingredient flagged as comedogenic',
            h('p', null, `Every ingredient was recognised; nothing is rated ${from} or more.`));
    }
    box.id = 'ingredients-verdict';
    box.dataset.verdict = verdict;
    return box;
}

// The label crossed with the client's recorded allergies (allergy_check, from the server).
function allergyBox(ac, clientName) {
    if (!ac) return null;
    const who = clientName || 'this client';
    let box;
    const allergies = ac.allergies || [];
    if (ac.intake_version === null || ac.intake_version === undefined) {
        box = alertBox('warn', 'Allergies not checked', h('p', null, `${who} has no intake recorded yet: record one to check labels against the client's allergies.`));
    } else if (ac.conflicts > 0) {
        const hits = allergies.filter((a) => (a.conflicts || []).length);
        box = alertBox('error', `Not for ${who}: ${hits.map((a) => a.conflicts.map((c) => c.label).join(', ')).join('; ')}`,
            hits.map((a) => h('p', { 'data-allergy': a.allergy },
                h('strong', null, `Recorded allergy: ${a.allergy}. `),
                a.reason ? `${a.reason} ` : '',
                `On this label: ${a.conflicts.map((c) => c.label).join(', ')}.`,
                a.source ? h('span', { class: 'source small' }, ' Source: ', h('cite', null, a.source)) : null)));
    } else if (allergies.length) {
        box = alertBox('ok', `No conflict with ${who}'s recorded allergies`,
            h('p', null, `Checked against: ${allergies.map((a) => a.allergy).join(', ')} (intake version ${ac.intake_version}).`));
    } else {
        box = alertBox('info', `${who} has no allergy recorded`, h('p', null, `Intake version ${ac.intake_version} lists none.`));
    }
    const loose = allergies.filter((a) => a.how === 'name' || a.how === 'none');
    box.id = 'allergy-check';
    return [box, loose.length ? alertBox('warn', 'Not every allergy could be checked',
        h('p', { id: 'allergy-unchecked' }, `${loose.map((a) => a.allergy).join(', ')}: no ingredient names are known for ${loose.length === 1 ? 'it' : 'them'} — read the label yourself.`)) : null];
}

function reportView(r, clientName) {
    const sum = r.summary || {};
    const refs = r.references || {};
    const allergyHits = new Map();
    for (const a of (r.allergy_check && r.allergy_check.allergies) || []) {
        for (const c of a.conflicts || []) allergyHits.set(c.position, [...(allergyHits.get(c.position) || []), a.allergy]);
    }
    return h('section', { id: 'report', class: 'card', 'aria-label': 'Ingredient check' },
        allergyBox(r.allergy_check, clientName),
        verdictBox(r, allergyHits.size > 0),
        h('dl', { class: 'facts summary-facts', id: 'ingredients-summary' },
            h('dt', null, 'Ingredients'), h('dd', null, `${sum.count ?? (r.ingredients || []).length} (${sum.rated ?? 0} rated, ${sum.unrated ?? 0} known but unrated, ${sum.unrecognised ?? 0} not recognised)`),
            h('dt', null, 'Highest comedogenicity'), h('dd', null, sum.max_comedogenicity === null || sum.max_comedogenicity === undefined ? 'nothing rated' : `${sum.max_comedogenicity} of 5 — ${sum.max_ingredient}`),
            h('dt', null, 'Highest irritancy'), h('dd', null, sum.max_irritancy === null || sum.max_irritancy === undefined ? 'nothing rated' : `${sum.max_irritancy} of 5`),
            h('dt', null, 'Flagged from'), h('dd', null, `${sum.effective_threshold ?? sum.threshold} of 5${sum.rinse_off ? ' (rinse-off product: only the top ratings are flagged)' : ''}`)),
        sum.caveat ? h('div', { class: 'caveat', id: 'ingredients-caveat', role: 'note' }, h('strong', null, 'Read with care: '), sum.caveat) : null,
        h('div', { class: 'table-wrap' }, h('table', { id: 'ingredients-table' },
            h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, 'Ingredient'), h('th', null, 'Comedogenic'), h('th', null, 'Irritant'), h('th', null, 'Sources'), h('th', null, 'Flags'))),
            h('tbody', null, (r.ingredients || []).map((i) => h('tr', { class: i.flagged ? 'flagged-row' : null, 'data-status': i.status },
                h('td', { class: 'num' }, String(i.position ?? '')),
                h('td', null, h('strong', null, i.label),
                    i.match && i.match.toLowerCase() !== String(i.label).toLowerCase() ? h('div', { class: 'small muted' }, `= ${i.match}`) : null,
                    h('div', { class: 'small muted' }, MATCH_WORDS[i.match_kind] || i.match_kind || ''),
                    i.suggestion ? h('div', { class: 'small' }, `Did you mean ${i.suggestion}?`) : null),
                h('td', null, ratingCell(i.comedogenicity, i.flagged)),
                h('td', null, ratingCell(i.irritancy, false)),
                h('td', null, sourceList(i, refs)),
                h('td', null, h('div', { class: 'flags' }, flagsOf(i, allergyHits)))))))),
        Object.keys(refs).length ? h('details', { class: 'card' }, h('summary', null, 'References'),
            h('ul', { class: 'small' }, Object.entries(refs).map(([k, v]) => h('li', null, h('strong', null, k), ': ', v)))) : null);
}

function productsList(products) {
    if (!products.length) return h('p', { class: 'muted' }, 'No products saved yet.');
    return h('ul', { class: 'products', id: 'products-list' }, products.map((p) => h('li', { class: `product ${p.decision}`, 'data-product': p.id },
        p.decision === 'replace' ? badge('blocked', 'Replace') : badge('ok', 'Keep'),
        ' ', h('strong', null, p.name),
        typeof p.max_comedogenicity === 'number' ? h('span', { class: 'small' }, ` · highest comedogenicity ${p.max_comedogenicity} of 5`) : null,
        typeof p.flagged === 'number' && p.flagged ? h('span', { class: 'small' }, ` · ${p.flagged} flagged`) : null,
        p.reason ? h('div', { class: 'small' }, '“', p.reason, '”') : null,
        h('div', { class: 'small muted' }, `${p.by ? (p.by.display_name || p.by.username) : ''} · ${fmtDateTime(p.at)}`))));
}

startPage({
    nav: queryId('client') ? 'clients' : 'ingredients',
    title: 'Ingredients',
    render: async (main, session) => {
        const cid = queryId('client');
        const clinical = session.user.role !== 'reception';
        const client = cid ? await api.get(`/api/clients/${cid}`) : null;
        if (client) document.title = `Products — ${client.name} · poreclear`;
        const crumbs = client ? [{ href: '/', label: 'Clients' }, { href: `/client?id=${cid}`, label: client.name }, { label: 'Products' }]
            : [{ href: '/', label: 'Clients' }, { label: 'Ingredients' }];

        const label = h('textarea', { id: 'label-text', name: 'label', rows: 6, required: true, 'aria-describedby': 'label-hint', maxlength: 65536 });
        const rinse = h('input', { type: 'checkbox', id: 'rinse-off', name: 'rinse_off' });
        const check = h('button', { type: 'submit', class: 'primary big', id: 'check-label' }, 'Check ingredients');
        const out = h('div', { id: 'check-result', 'aria-live': 'polite' });
        const saveBox = h('div', { id: 'save-box', hidden: true });
        let lastLabel = '';
        let lastReport = null;

        // novalidate: an empty box gets our message (and loses the old result), not a browser bubble
        const form = h('form', { class: 'card', id: 'label-form', 'aria-labelledby': 'label-h', novalidate: true },
            h('h2', { id: 'label-h' }, 'Paste the ingredient list'),
            h('div', { class: 'field' },
                h('label', { for: 'label-text' }, 'Ingredients (INCI), as printed on the label'),
                h('p', { class: 'hint', id: 'label-hint' }, 'Copy from the product page or type from the pack: “Aqua, Isopropyl Myristate, Glycerin, …”. Order matters: ingredients over 1 % come first, by weight.'),
                label),
            h('label', { class: 'choice inline-choice', for: 'rinse-off' }, rinse,
                h('span', null, h('strong', null, 'Rinse-off product'), h('span', { class: 'hint' }, 'a cleanser or mask washed off within minutes: only the highest ratings are flagged'))),
            h('div', { class: 'button-row' }, check));
        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            // a new check replaces the old result whatever happens: never show a result for
            // another label than the one in the box
            lastReport = null;
            saveBox.hidden = true;
            out.replaceChildren();
            label.removeAttribute('aria-invalid');
            if (!label.value.replace(/[\s,;.]/g, '')) {
                const box = alertBox('error', 'Paste the ingredient list first', h('p', null, 'The box is empty: there is nothing to check.'));
                box.id = 'label-empty';
                out.replaceChildren(box);
                label.setAttribute('aria-invalid', 'true');
                label.focus();
                return;
            }
            busy(check, async () => {
                try {
                    const body = { label: label.value, rinse_off: rinse.checked };
                    const r = await api.post(client && clinical ? `/api/clients/${cid}/ingredients/check` : '/api/ingredients/check', body);
                    lastLabel = label.value;
                    lastReport = r;
                    out.replaceChildren(reportView(r, client && client.name));
                    if (client && clinical) { prepareSave(r); saveBox.hidden = false; }
                } catch (e) {
                    showError(out, e, e instanceof ApiError && e.status === 503 ? 'The ingredient checker is not available' : 'The label could not be checked');
                }
            });
        });

        // ---- saving to the client's record ----
        const pName = h('input', { type: 'text', id: 'product-name', name: 'name', maxlength: 200, required: true });
        const keep = h('input', { type: 'radio', name: 'decision', value: 'keep', id: 'decision-keep' });
        const replace = h('input', { type: 'radio', name: 'decision', value: 'replace', id: 'decision-replace' });
        const reason = h('textarea', { id: 'product-reason', name: 'reason', rows: 2, maxlength: 2000 });
        const save = h('button', { type: 'submit', class: 'primary', id: 'save-product' }, 'Save to the client\'s record');
        const saveMsg = h('div', { 'aria-live': 'polite', id: 'save-msg' });
        const listBox = h('div', { id: 'products' });
        function prepareSave(r) {
            const flagged = (r.ingredients || []).filter((i) => i.flagged);
            const allergic = ((r.allergy_check && r.allergy_check.allergies) || []).filter((a) => (a.conflicts || []).length);
            const unknown = (r.ingredients || []).filter((i) => i.status === 'unrecognised');
            (flagged.length || allergic.length ? replace : keep).checked = true;
            const parts = [];
            if (allergic.length) parts.push(`Allergy (${allergic.map((a) => a.allergy).join(', ')}): ${allergic.map((a) => a.conflicts.map((c) => c.label).join(', ')).join('; ')}`);
            if (flagged.length) parts.push(`Comedogenic: ${flagged.map((i) => `${i.label} (${i.comedogenicity})`).join(', ')}`);
            if (!parts.length) parts.push(unknown.length ? `No comedogenic ingredient among those recognised (${unknown.length} not recognised)` : 'No comedogenic ingredient found');
            reason.value = parts.join('. ');
            saveMsg.replaceChildren();
        }
        const saveForm = h('form', { class: 'card', id: 'product-form', 'aria-labelledby': 'save-h' },
            h('h2', { id: 'save-h' }, 'Save this product for the client'),
            h('div', { class: 'field' }, h('label', { for: 'product-name' }, 'Product name'), pName),
            h('fieldset', null, h('legend', null, 'Advice'),
                h('div', { class: 'choices cols-2' },
                    h('label', { class: 'choice', for: 'decision-keep' }, keep, h('span', null, h('strong', null, '✓ Keep using'))),
                    h('label', { class: 'choice', for: 'decision-replace' }, replace, h('span', null, h('strong', null, '✖ Replace'))))),
            h('div', { class: 'field' }, h('label', { for: 'product-reason' }, 'Reason (printed on the aftercare handout)'), reason),
            h('div', { class: 'button-row' }, save), saveMsg);
        saveBox.appendChild(saveForm);
        saveForm.addEventListener('submit', (ev) => {
            ev.preventDefault();
            if (!pName.value.trim()) { saveMsg.replaceChildren(alertBox('error', 'Give the product a name')); pName.focus(); return; }
            if (!lastReport) return;
            busy(save, async () => {
                try {
                    const p = await api.post(`/api/clients/${cid}/products`, {
                        name: pName.value.trim(), label: lastLabel, rinse_off: rinse.checked,
                        decision: replace.checked ? 'replace' : 'keep', reason: reason.value.trim(),
                    });
                    saveMsg.replaceChildren(alertBox('ok', `Saved: ${p.name} — ${p.decision}`, h('p', null, 'It is listed on the client\'s aftercare handout.')));
                    await drawProducts();
                } catch (e) {
                    showError(saveMsg, e, 'The product was not saved');
                }
            });
        });
        async function drawProducts() {
            try {
                const r = await api.get(`/api/clients/${cid}/products`);
                fill(listBox, h('h2', null, 'Products on the record'), productsList(r.products || []));
            } catch (e) {
                showError(listBox, e, 'Products could not be loaded');
            }
        }

        fill(main,
            pageHead(client ? `Products — ${client.name}` : 'Check ingredients', crumbs),
            client ? clientTabs(cid, 'ingredients') : null,
            h('p', { class: 'muted' }, 'Comedogenicity (0–5): how much a raw ingredient clogged pores in published tests. A rating is evidence about an ingredient, not a verdict on the product.'),
            form, out, saveBox,
            client && clinical ? h('section', { class: 'card' }, listBox) : null);
        if (client && clinical) await drawProducts();
    },
});
