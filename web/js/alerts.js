// SPDX-License-Identifier: AGPL-3.0-or-later
// A client's medical alerts (CLIENT.alerts, docs/api.md: what the protocol's contraindication
// rules look at in the latest intake, and anything it does not recognise) in words, for the
// client list and the top of the client page. Which entries are alerts is the server's word.

import { h, fmtDate } from './dom.js';
import { labelFor, CONDITIONS, IMPLANTS, ALLERGIES, MEDICATIONS, PROCEDURES } from './intake-schema.js';

const TABLES = { condition: CONDITIONS, implant: IMPLANTS, allergy: ALLERGIES, medication: MEDICATIONS, procedure: PROCEDURES };

// "Pacemaker", "Isotretinoin (last taken 5 Oct 2026)", "Allergy: aspirin", "Pregnant",
// "Unrecognised medication “Zorblax” — review"
export function alertText(a) {
    if (a.kind === 'pregnant') return 'Pregnant';
    if (a.kind === 'breastfeeding') return 'Breastfeeding';
    if (!a.recognised) return `Unrecognised ${a.kind} “${a.name}” — review`;
    let label = labelFor(TABLES[a.kind] || [], a.class || a.name);
    label = `${label.charAt(0).toUpperCase()}${label.slice(1)}`;
    if (a.kind === 'allergy') label = `Allergy: ${label.charAt(0).toLowerCase()}${label.slice(1)}`;
    if (a.date && a.kind === 'medication') return `${label} (last taken ${fmtDate(a.date)})`;
    if (a.date && a.kind === 'procedure') return `${label} (${fmtDate(a.date)})`;
    return label;
}

// Small badges for a list row; null when there is nothing to say.
export function alertBadges(alerts) {
    if (!alerts || !alerts.length) return null;
    return h('span', { class: 'alert-badges' }, alerts.map((a) => h('span', { class: 'badge caution medical-alert' },
        h('span', { class: 'icon', 'aria-hidden': 'true' }, '⚠'), alertText(a))));
}

// The box at the top of the client page; null when there is nothing to say.
export function alertsBox(alerts) {
    if (!alerts || !alerts.length) return null;
    return h('div', { class: 'alert warn medical-alerts', id: 'medical-alerts', role: 'note', 'aria-labelledby': 'medical-alerts-h' },
        h('span', { class: 'icon', 'aria-hidden': 'true' }, '⚠'),
        h('div', null,
            h('strong', { class: 'title', id: 'medical-alerts-h' }, 'Medical alerts'),
            h('ul', { class: 'alert-list' }, alerts.map((a) => h('li', null, alertText(a)))),
            h('p', { class: 'small' }, 'From the latest intake. Today\'s plan says what each one changes.')));
}
