// SPDX-License-Identifier: AGPL-3.0-or-later
// The intake form's fields in plain language. The schema itself belongs to the protocol engine
// (docs/intake.md); this module only gives each field a label, a hint and common choices for
// the person filling it in, and converts between the form and the intake JSON. The server
// validates every value with the protocol library; an entry the protocol does not know is not an
// error but makes the plan "needs review" — so free text is allowed everywhere.

export const SKIN_TYPES = [
    ['normal', 'Normal', 'Neither oily nor dry, few blemishes'],
    ['dry', 'Dry', 'Feels tight, flaky patches, small pores'],
    ['oily', 'Oily', 'Shiny all over, large pores, congestion'],
    ['combination', 'Combination', 'Oily T-zone (forehead, nose, chin), normal or dry cheeks'],
    ['sensitive', 'Sensitive', 'Reacts easily: redness, stinging, itching'],
];

// Fitzpatrick skin phototype I–VI (how the skin burns and tans).
export const FITZPATRICK = [
    [1, 'I', 'Always burns, never tans (very fair)'],
    [2, 'II', 'Usually burns, tans with difficulty (fair)'],
    [3, 'III', 'Sometimes burns, tans gradually (medium)'],
    [4, 'IV', 'Rarely burns, tans easily (olive)'],
    [5, 'V', 'Very rarely burns, tans very easily (brown)'],
    [6, 'VI', 'Never burns (deeply pigmented, dark brown to black)'],
];

// [value sent to the protocol engine, label for the person, hint]. The values are the
// protocol's vocabulary keys (data/protocol.json "vocabulary"); the protocol also knows
// synonyms and brand names, so a typed-in "Accutane" or "cold sore" is recognised too.
export const CONDITIONS = [
    ['impetigo', 'Impetigo', 'Contagious bacterial skin infection'],
    ['herpes_simplex_active', 'Cold sore now (herpes simplex)', 'In or near the treatment area'],
    ['fungal_infection', 'Fungal skin infection', 'Tinea, ringworm'],
    ['conjunctivitis', 'Pink eye (conjunctivitis)', ''],
    ['open_wound', 'Open cuts or broken skin', 'In the treatment area'],
    ['fever', 'Fever or feeling unwell', ''],
    ['sunburn', 'Sunburn now', ''],
    ['inflamed_pustular_acne', 'Inflamed acne', 'Red, swollen, pus-filled spots or deep painful lumps'],
    ['rosacea', 'Rosacea', 'Persistent facial redness, flushing'],
    ['telangiectasia', 'Broken capillaries', 'Small visible red veins'],
    ['eczema', 'Eczema', ''],
    ['psoriasis', 'Psoriasis', ''],
    ['dermatitis', 'Dermatitis', 'Irritated or allergic skin rash'],
    ['very_sensitive_skin', 'Very sensitive skin', ''],
    ['tanned_skin', 'Recently tanned skin', ''],
    ['asthma', 'Asthma or breathing allergy', ''],
    ['heart_condition', 'Heart condition', ''],
    ['epilepsy', 'Epilepsy or seizures', ''],
    ['cancer', 'Cancer', 'Now or under treatment'],
    ['diabetes', 'Diabetes', ''],
    ['thrombosis', 'Thrombosis', 'Blood clots, DVT'],
];

export const IMPLANTS = [
    ['pacemaker', 'Pacemaker', ''],
    ['electronic_implant', 'Other implanted electronic device', 'Defibrillator, cochlear implant, insulin pump'],
    ['metal_in_treatment_area', 'Metal in the face', 'Plates, pins or screws in the treatment area'],
];

export const ALLERGIES = [
    ['salicylate', 'Aspirin / salicylates', 'Rules out salicylic acid (BHA) products'],
];

export const MEDICATIONS = [
    ['isotretinoin', 'Isotretinoin (Roaccutane, Accutane)'],
    ['topical_retinoid', 'Retinoid cream (tretinoin, adapalene, retinol)'],
    ['oral_antibiotic', 'Antibiotic tablets (doxycycline, minocycline)'],
    ['topical_vitamin_c', 'Vitamin C serum'],
    ['topical_acid', 'Acids at home (glycolic, lactic, AHA/BHA)'],
];

export const PROCEDURES = [
    ['chemical_peel', 'Chemical peel'],
    ['botox', 'Botox / anti-wrinkle injections'],
    ['surgery', 'Surgery on the face'],
    ['laser', 'Laser or IPL'],
    ['waxing', 'Facial waxing'],
    ['sunburn', 'Sunburn'],
];

export function labelFor(table, value) {
    const hit = table.find((row) => row[0] === value);
    return hit ? hit[1] : String(value).replace(/_/g, ' ');
}

// Read an intake list whose entries are strings or objects ({name: ...} / {code: ...}).
function names(list) {
    if (!Array.isArray(list)) return [];
    return list.map((e) => (typeof e === 'string' ? e : (e && (e.name || e.code || e.id)) || '')).filter(Boolean);
}
function dated(list, nameKey, dateKey, extraKey) {
    if (!Array.isArray(list)) return [];
    return list.map((e) => (typeof e === 'string'
        ? { name: e, date: '', extra: '' }
        : {
            name: (e && (e[nameKey] || e.name || e.kind)) || '',
            date: (e && e[dateKey]) || '',
            extra: (e && e[extraKey]) || '',
            notes: (e && e.notes) || '',
        }))
        .filter((e) => e.name);
}

// The intake JSON → a flat model the form edits.
export function fromIntake(intake) {
    const i = intake || {};
    const c = i.client || {};
    return {
        skin_type: c.skin_type || '',
        fitzpatrick: c.fitzpatrick ? Number(c.fitzpatrick) : 0,
        pregnant: Boolean(i.pregnant),
        breastfeeding: Boolean(i.breastfeeding),
        conditions: names(i.conditions),
        implants: names(i.implants),
        allergies: names(i.allergies),
        medications: dated(i.medications, 'name', 'last_taken', 'dose'),
        recent_procedures: dated(i.recent_procedures, 'kind', 'date', 'area'),
        notes: typeof i.notes === 'string' ? i.notes : '',
    };
}

function compact(o) {
    const out = {};
    for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') out[k] = v;
    return out;
}

// The form's model → the intake JSON the server validates (docs/intake.md; lib/protocol/intake.c:
// medications [{name, last_taken?}], recent_procedures [{kind, date}], notes).
export function toIntake(m) {
    const client = {};
    if (m.skin_type) client.skin_type = m.skin_type;
    if (m.fitzpatrick) client.fitzpatrick = Number(m.fitzpatrick);
    const out = {
        client,
        conditions: m.conditions,
        pregnant: Boolean(m.pregnant),
        breastfeeding: Boolean(m.breastfeeding),
        implants: m.implants,
        allergies: m.allergies,
        // a medication's last_taken is optional (absent = still taking it); a procedure's date is
        // required. Per-entry notes are not on the form but are kept from the previous version.
        medications: m.medications.map((e) => compact({ name: e.name, last_taken: e.date, dose: e.extra, notes: e.notes })),
        recent_procedures: m.recent_procedures.map((e) => compact({ kind: e.name, date: e.date, area: e.extra, notes: e.notes })),
    };
    if (m.notes) out.notes = m.notes;
    return out;
}

// A one-line summary of an intake for the history list.
export function summarize(intake) {
    const m = fromIntake(intake);
    const parts = [];
    if (m.skin_type) parts.push(`${labelFor(SKIN_TYPES, m.skin_type)} skin`);
    if (m.fitzpatrick) parts.push(`Fitzpatrick ${FITZPATRICK[m.fitzpatrick - 1] ? FITZPATRICK[m.fitzpatrick - 1][1] : m.fitzpatrick}`);
    if (m.pregnant) parts.push('pregnant');
    if (m.breastfeeding) parts.push('breastfeeding');
    for (const v of m.implants) parts.push(labelFor(IMPLANTS, v));
    for (const v of m.conditions) parts.push(labelFor(CONDITIONS, v));
    for (const v of m.allergies) parts.push(`allergy: ${labelFor(ALLERGIES, v)}`);
    for (const v of m.medications) parts.push(labelFor(MEDICATIONS, v.name));
    for (const v of m.recent_procedures) parts.push(labelFor(PROCEDURES, v.name));
    return parts.join(' · ') || 'nothing recorded';
}
