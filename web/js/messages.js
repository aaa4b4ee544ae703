// SPDX-License-Identifier: AGPL-3.0-or-later
// Every refusal of the server said in words, in one place: the error codes of docs/api.md →
// a title and a sentence for the person at the chair. Pages never show a status number or a
// machine code (the code stays on the box as data-code, for tests and support); the server's
// own sentence follows when it adds something (the field it names, the step it means).

import { ApiError } from './api.js';

// code → [title, what it means and what to do]
const MESSAGES = {
    bad_json: ['The page sent something the server could not read', 'Reload the page and try again.'],
    invalid: ['Please check what was entered', 'Something in the form is missing or not allowed.'],
    empty: ['The file is empty', 'Choose the photo again.'],
    bad_image: ['The photo is damaged or incomplete', 'The file is truncated or corrupt: take or choose the photo again.'],
    login_required: ['Please sign in', 'Your sign-in is needed for this.'],
    session_expired: ['You were signed out', 'For safety you are signed out after a while without use. Sign in again.'],
    bad_credentials: ['Wrong user name or password', 'Check both and try again.'],
    csrf: ['Security check failed', 'The page is out of date: reload it and try again.'],
    forbidden: ['Not allowed for your role', 'Your account may not do this. Ask a practitioner or an administrator.'],
    certification_required: ['Certification required', 'Only a colleague certified for this step may record it as done.'],
    password_change_required: ['Choose your own password first', 'Your password was set by an administrator: choose your own before going on.'],
    not_found: ['Not found', 'It may have been removed, or the link is wrong.'],
    method_not_allowed: ['Not possible here', 'The page asked the server for something it does not offer: reload the page.'],
    review_required: ['A review is required first', 'The plan needs a practitioner\'s review, recorded with a reason, before a session can start.'],
    consent_required: ['Consent is required first', 'Record today\'s consent from the client, then try again.'],
    consent_missing: ['No consent to this', 'The client did not agree to this today: it cannot be done. Record the step as not done, with a note.'],
    immutable: ['This record is signed and cannot be changed', 'Corrections are added as amendments.'],
    step_order: ['Not possible at this point', 'This step is skipped, or the session is not at this stage yet.'],
    incomplete: ['Not complete yet', 'Something needed for this is missing.'],
    stale_review: ['The review is for an older intake', 'The intake changed after the review: review the plan again.'],
    exists: ['That name is taken', 'Choose another one.'],
    invalid_intake: ['The saved intake no longer fits the protocol', 'Fill in the intake again.'],
    no_aftercare: ['No aftercare for this session', 'The plan blocked the treatment, so there is no aftercare.'],
    booked: ['Already booked then', 'The practitioner has another appointment at that time: pick a free slot.'],
    not_working: ['Not working then', 'That time is outside the practitioner\'s working hours.'],
    absent: ['Away then', 'The practitioner is absent at that time.'],
    client_busy: ['The client is booked then', 'The client already has an appointment at that time.'],
    not_practitioner: ['Not a practitioner', 'Only practitioners can be booked.'],
    other_client: ['Another client\'s appointment', 'That appointment is another client\'s: start the session from this client\'s own.'],
    // the client's side at home (issue 12.4-12.6)
    too_late: ['Only today and yesterday can be ticked', 'Earlier days are left as they are.'],
    future: ['That day has not come yet', 'Tick the routine on the day it is done.'],
    not_started: ['That routine has not started yet', 'It starts on the date the aftercare gives.'],
    no_feed: ['No calendar address', 'There is no private calendar address to stop.'],
    revoked: ['No longer shared', 'This was already taken back from the client.'],
    status: ['Not possible in this state', 'The appointment\'s state does not allow this: reload the page.'],
    conflict: ['Changed meanwhile', 'Someone else changed this at the same time: reload the page.'],
    not_ready: ['Not ready yet', 'The analysis is still running: wait a moment.'],
    photos_missing: ['Both photos are needed', 'An analysed before and after photo of this session are needed.'],
    too_large: ['Too large', 'The photo is too large (the limit is 25 MB).'],
    uri_too_long: ['The address is too long', 'The link is damaged or far too long: go back and open the page again.'],
    too_many_pixels: ['Too many pixels', 'The photo has too many pixels (at most 16384 on a side and 40 megapixels).'],
    unsupported_media_type: ['This kind of file cannot be used', 'Take the photo as JPEG, PNG or WebP.'],
    type_mismatch: ['Not the image it claims to be', 'The file is not the image it claims to be: choose a real JPEG, PNG or WebP photo.'],
    throttled: ['Too many attempts', 'Wait a moment before trying again.'],
    insufficient_storage: ['The server\'s disk is full', 'Nothing was saved. Tell the administrator; what is already saved can still be read.'],
    confirm_removals: ['Confirm what the new intake removes', 'Tick each entry that no longer applies, or add it back to the form.'],
    password_required: ['Your password is needed to sign', 'Signing is your own act: enter your password again.'],
    reason_required: ['A reason is needed', 'Say why in a few words, then send again.'],
    out_of_range: ['Outside the protocol\'s range', 'Correct the value, or say why it differs from the protocol.'],
    not_in_vocabulary: ['Not one of the protocol\'s choices', 'Choose one of the listed values, or say why it differs from the protocol.'],
    cancelled: ['This session was cancelled', 'Nothing more is recorded in a cancelled session.'],
    // the client portal (issue 12)
    client_session: ['This page is for the clinic\'s staff', 'You are signed in to the client portal. Staff sign in on the clinic\'s own sign-in page.'],
    staff_session: ['This page is for clients', 'You are signed in as clinic staff. The client portal needs a client\'s own sign-in.'],
    not_yours: ['Not yours', 'This record belongs to someone else.'],
    invitation_unknown: ['This link is not known', 'Open the whole link from the clinic, or ask the clinic for a new one.'],
    invitation_used: ['This link was used already', 'Each link works once. Ask the clinic for a new one.'],
    invitation_expired: ['This link has expired', 'A link works for three days. Ask the clinic for a new one.'],
    username_taken: ['This user name is taken', 'Choose another user name.'],
    public_url_required: ['The clinic\'s public address is not set', 'The link in an invitation must lead clients to the clinic on the internet. An administrator starts the server with --public-url https://your.clinic (or PORECLEAR_PUBLIC_URL), then invites again.'],
    totp_required: ['Enter the code from your app', 'This account asks for the 6-digit code from the authenticator app too.'],
    bad_code: ['That code did not work', 'Wait for the next code in the app and try again.'],
    totp_on: ['The extra sign-in code is on already', 'Turn it off first to set it up again.'],
    no_enrolment: ['Set up the extra sign-in code first', 'Start setting it up, then enter the first code the app shows.'],
    totp_off: ['The extra sign-in code is off', 'There is nothing to turn off.'],
    text_changed: ['The consent text changed', 'Read it again, then sign.'],
    withdrawn: ['Withdrawn already', 'This consent was withdrawn before.'],
    site_required: ['Which site?', 'There are several sites: say at which one this takes place.'],
    not_at_site: ['Not at this site', 'That practitioner does not work at this site: choose one of its practitioners, or another site.'],
    site_scope: ['Not your site', 'This belongs to another site, or to the whole chain: its administrator does it.'],
    account_locked: ['Account locked — ask an administrator', 'After too many failed sign-ins this account is locked until an administrator unlocks it.'],
    internal: ['Something went wrong on the server', 'Nothing was changed. Try again; if it happens again, tell the administrator.'],
    busy: ['The server is busy', 'Nothing was stored. Try again in a few seconds.'],
    client_gone: ['The connection was closed', 'The photo was not kept: upload it again.'],
    unavailable: ['Not available right now', 'The server is missing what this needs: tell the administrator.'],
    network: ['No connection', 'The server cannot be reached. Check the connection and try again.'],
    aborted: ['Cancelled', 'Nothing was stored.'],
};

// A server sentence as a sentence: capital first letter, full stop at the end.
export function asSentence(text) {
    const t = String(text || '').trim();
    if (!t) return '';
    const c = t.charAt(0).toUpperCase() + t.slice(1);
    return /[.!?]$/.test(c) ? c : `${c}.`;
}

// { code, title, text, detail } for any error: an ApiError by its code (by its status when the
// code is unknown), anything else by its message. `detail` is the server's own sentence when
// it says more than `text`, else ''.
export function explain(err) {
    if (!(err instanceof ApiError)) {
        return { code: 'error', title: 'Something went wrong', text: asSentence(err && err.message ? err.message : err), detail: '' };
    }
    let m = MESSAGES[err.code];
    if (!m) {
        const byStatus = { 400: 'invalid', 401: 'login_required', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'too_large', 414: 'uri_too_long', 415: 'unsupported_media_type', 429: 'throttled', 503: 'busy' };
        m = MESSAGES[byStatus[err.status]] || MESSAGES.internal;
    }
    const detail = asSentence(err.message);
    const generic = /^The server answered \d+/.test(detail) || /^Request failed/.test(detail);
    return { code: err.code, title: m[0], text: m[1], detail: generic || detail === m[1] ? '' : detail };
}

// The title alone, or null when the code has no sentence of its own.
export function titleFor(code) {
    return MESSAGES[code] ? MESSAGES[code][0] : null;
}
