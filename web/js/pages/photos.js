// SPDX-License-Identifier: AGPL-3.0-or-later
// A client's photos: upload one (or take it with the tablet's camera), marked before/after and
// linked to a session; upload progress, then the analysis job's progress; the server's refusals
// in words (413, 415, 400, 503 "busy, retrying in N s" with an automatic retry). Below, every
// photo with its analysis state and links to the assessment and the before/after comparison.

import { api, queryId, ApiError } from '../api.js';
import { h, fill, fmtDateTime, alertBox } from '../dom.js';
import { startPage, pageHead, showError, errorBox } from '../app.js';
import {
    uploadPhoto, waitForJob, jobText, uploadErrorText, uploadErrorTitle, clientTabs, analysisState, kindBadge,
    UPLOAD_MAX_BYTES,
} from '../photo-api.js';
import { fmtBytes } from '../skin.js';
import { shareButton } from '../portal-home-staff.js';

const MAX_BUSY_RETRIES = 5;
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

function sessionLabel(s) {
    return `${fmtDateTime(s.started_at)} — ${s.signed_at ? 'signed' : 'open'}${s.practitioner ? `, ${s.practitioner.display_name || s.practitioner.username}` : ''}`;
}

startPage({
    nav: 'clients',
    title: 'Photos',
    render: async (main) => {
        const cid = queryId('client');
        if (!cid) throw new Error('No client chosen: open photos from a client page.');
        const [client, sessions] = await Promise.all([
            api.get(`/api/clients/${cid}`),
            api.get(`/api/clients/${cid}/sessions`).catch(() => ({ sessions: [] })),
        ]);
        document.title = `Photos — ${client.name} · poreclear`;
        const wantSession = queryId('session');
        const list = sessions.sessions || [];
        const defaultSession = wantSession || (list.find((s) => !s.signed_at) || list[0] || {}).id || '';

        // ---- the upload form ----
        const fileInput = h('input', {
            type: 'file', id: 'photo-file', name: 'file', accept: 'image/*', capture: 'environment',
            'aria-describedby': 'photo-file-hint', class: 'file-input',
        });
        const kindBefore = h('input', { type: 'radio', name: 'kind', value: 'before', id: 'kind-before', checked: true });
        const kindAfter = h('input', { type: 'radio', name: 'kind', value: 'after', id: 'kind-after' });
        const sessionSel = h('select', { id: 'photo-session', name: 'session_id', 'aria-describedby': 'photo-session-hint' },
            h('option', { value: '' }, 'Not linked to a session'),
            list.map((s) => h('option', { value: String(s.id), selected: String(s.id) === String(defaultSession) }, sessionLabel(s))));
        const submit = h('button', { type: 'submit', class: 'primary big', id: 'photo-upload' }, 'Upload and analyse');
        const cancel = h('button', { type: 'button', id: 'photo-cancel', hidden: true }, 'Stop retrying');
        const upBar = h('progress', { id: 'upload-progress', max: 100, value: 0, 'aria-labelledby': 'upload-status' });
        const upText = h('p', { id: 'upload-status', class: 'progress-text' }, '');
        const jobBar = h('progress', { id: 'analysis-progress', max: 100, 'aria-labelledby': 'analysis-status' });
        const jobTextEl = h('p', { id: 'analysis-status', class: 'progress-text' }, '');
        const status = h('div', { class: 'upload-status', id: 'upload-panel', hidden: true, 'aria-live': 'polite' },
            h('div', { class: 'progress-row' }, h('span', { class: 'progress-label' }, '1 · Upload'), upBar, upText),
            h('div', { class: 'progress-row' }, h('span', { class: 'progress-label' }, '2 · Analysis'), jobBar, jobTextEl));
        const result = h('div', { id: 'upload-result', 'aria-live': 'polite' });
        const preview = h('p', { id: 'photo-chosen', class: 'hint' }, 'No photo chosen yet.');

        fileInput.addEventListener('change', () => {
            const f = fileInput.files && fileInput.files[0];
            if (!f) { preview.textContent = 'No photo chosen yet.'; return; }
            preview.textContent = `Chosen: ${f.name || 'camera photo'} · ${fmtBytes(f.size)} · ${f.type || 'unknown type'}`;
            result.replaceChildren();
            if (f.size > UPLOAD_MAX_BYTES) {
                result.replaceChildren(alertBox('warn', 'This photo is over 25 MB', h('p', null, 'The server will refuse it. Take it again at a lower resolution or choose a smaller file.')));
            }
        });

        let stopRetry = false;
        cancel.addEventListener('click', () => { stopRetry = true; });

        const form = h('form', { id: 'upload-form', class: 'card', 'aria-labelledby': 'upload-h', novalidate: true },
            h('h2', { id: 'upload-h' }, 'Add a photo'),
            h('fieldset', null,
                h('legend', null, 'Before or after the treatment?'),
                h('div', { class: 'choices cols-2' },
                    h('label', { class: 'choice', for: 'kind-before' }, kindBefore, h('span', null, h('strong', null, 'Before'), h('span', { class: 'hint' }, 'taken before cleansing'))),
                    h('label', { class: 'choice', for: 'kind-after' }, kindAfter, h('span', null, h('strong', null, 'After'), h('span', { class: 'hint' }, 'the same area, same light, after the treatment'))))),
            h('div', { class: 'field' },
                h('label', { for: 'photo-session' }, 'Treatment session'),
                h('p', { class: 'hint', id: 'photo-session-hint' }, 'Link before and after photos to the same session to compare them.'),
                sessionSel),
            h('div', { class: 'field' },
                h('label', { for: 'photo-file' }, 'Photo'),
                h('p', { class: 'hint', id: 'photo-file-hint' }, 'On the tablet this opens the camera. JPEG, PNG or WebP, up to 25 MB. Hold the camera square to the skin, in even light, without flash glare.'),
                fileInput,
                preview),
            h('div', { class: 'button-row' }, submit, cancel),
            status,
            result);

        const setUpload = (sent, total) => {
            const pct = total > 0 ? Math.min(100, Math.round((sent / total) * 100)) : 0;
            upBar.value = pct;
            upText.textContent = `${pct} % · ${fmtBytes(sent)} of ${fmtBytes(total)}`;
        };
        const setJob = (job) => {
            if (job.state === 'running') jobBar.value = Math.round((job.progress || 0) * 100);
            else if (job.state === 'done') jobBar.value = 100;
            else jobBar.removeAttribute('value'); // indeterminate while queued
            jobTextEl.textContent = jobText(job);
        };

        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            const file = fileInput.files && fileInput.files[0];
            if (!file) {
                result.replaceChildren(alertBox('error', 'Choose a photo first', h('p', null, 'Tap “Photo” to take one with the camera or pick a file.')));
                fileInput.focus();
                return;
            }
            const kind = kindAfter.checked ? 'after' : 'before';
            const q = new URLSearchParams({ kind });
            if (sessionSel.value) q.set('session_id', sessionSel.value);
            const url = `/api/clients/${cid}/photos?${q.toString()}`;
            submit.disabled = true;
            stopRetry = false;
            result.replaceChildren();
            status.hidden = false;
            jobBar.value = 0;
            jobTextEl.textContent = 'Starts when the upload is complete.';
            try {
                let answer = null;
                for (let attempt = 0; ; attempt++) {
                    setUpload(0, file.size);
                    try {
                        answer = await uploadPhoto(url, file, setUpload);
                        break;
                    } catch (err) {
                        if (!(err instanceof ApiError) || err.status !== 503 || attempt >= MAX_BUSY_RETRIES || stopRetry) throw err;
                        cancel.hidden = false;
                        for (let left = err.retryAfter || 5; left > 0 && !stopRetry; left--) {
                            upText.textContent = `The server is busy (analysis queue full) — retrying in ${left} s`;
                            await sleep(1000);
                        }
                        if (stopRetry) throw err;
                    }
                }
                cancel.hidden = true;
                setUpload(file.size, file.size);
                upText.textContent = `Uploaded · ${fmtBytes(file.size)}`;
                const photo = answer.photo;
                const job = answer.job ? await waitForJob(answer.job.id, setJob) : null;
                const final = await api.get(`/api/clients/${cid}/photos/${photo.id}`);
                if (final.analysis_state === 'done' || (job && job.state === 'done')) {
                    result.replaceChildren(alertBox('ok', `${kind === 'after' ? 'After' : 'Before'} photo analysed`,
                        h('p', null, h('a', { href: `/assessment?client=${cid}&photo=${photo.id}`, id: 'open-assessment' }, 'See the assessment'),
                            final.session_id ? [' · ', h('a', { href: `/compare?session=${final.session_id}` }, 'Before/after for this session')] : null)));
                } else {
                    result.replaceChildren(alertBox('error', 'The photo was stored but could not be analysed',
                        h('p', null, final.analysis_error || (job && job.error) || 'The analysis did not finish.'),
                        h('p', { class: 'small' }, 'Retake the photo (more skin in the frame, even light) or use “Analyse again” below.')));
                }
                if (result.scrollIntoView) result.scrollIntoView({ block: 'nearest' });
                fileInput.value = ''; // keep before/after and the session for the next photo
                preview.textContent = 'No photo chosen yet.';
                await drawList();
            } catch (err) {
                cancel.hidden = true;
                if (err instanceof ApiError && err.status === 401) { showError(result, err); return; }
                const title = err instanceof ApiError && err.status === 503 ? 'The server is busy: nothing was stored'
                    : (uploadErrorTitle(err) || 'The photo was not accepted');
                const box = alertBox('error', title,
                    h('p', { id: 'upload-error' }, 'The photo was not accepted. ', uploadErrorText(err)));
                if (err instanceof ApiError) box.dataset.code = err.code;
                result.replaceChildren(box);
                upText.textContent = 'Not uploaded';
                jobTextEl.textContent = '';
                if (result.scrollIntoView) result.scrollIntoView({ block: 'nearest' });
            } finally {
                submit.disabled = false;
            }
        });

        // ---- the list ----
        const listBox = h('section', { class: 'card', id: 'photo-list', 'aria-labelledby': 'photos-h' });
        async function drawList() {
            let photos;
            try {
                photos = (await api.get(`/api/clients/${cid}/photos`)).photos || [];
            } catch (e) {
                fill(listBox, h('h2', { id: 'photos-h' }, 'Photos'), errorBox(e, 'Photos could not be loaded'));
                return;
            }
            const bySession = new Map();
            for (const p of photos) {
                if (!p.session_id || p.analysis_state !== 'done') continue;
                const k = bySession.get(p.session_id) || new Set();
                k.add(p.kind);
                bySession.set(p.session_id, k);
            }
            const comparable = [...bySession.entries()].filter(([, k]) => k.has('before') && k.has('after')).map(([sid]) => sid);
            fill(listBox,
                h('h2', { id: 'photos-h' }, `Photos (${photos.length})`),
                comparable.length ? h('p', { class: 'compare-links' }, 'Before and after are ready for: ',
                    comparable.map((sid, i) => [i ? ', ' : null, h('a', { href: `/compare?session=${sid}`, class: 'button', 'data-session': sid }, `Compare session #${sid}`)])) : null,
                photos.length ? h('ul', { class: 'photo-grid' }, photos.map((p) => photoCard(p))) : h('p', { class: 'muted' }, 'No photos yet.'));
        }

        function photoCard(p) {
            const again = p.analysis_state === 'failed' || (!p.job_id && p.analysis_state !== 'done')
                ? h('button', { type: 'button', 'data-reanalyse': p.id }, 'Analyse again') : null;
            const msg = h('div', { 'aria-live': 'polite' });
            if (again) {
                again.addEventListener('click', async () => {
                    again.disabled = true;
                    try {
                        const a = await api.post(`/api/clients/${cid}/photos/${p.id}/analysis`);
                        msg.replaceChildren(h('p', { class: 'small' }, 'Queued again…'));
                        if (a.job) await waitForJob(a.job.id, (j) => { msg.replaceChildren(h('p', { class: 'small' }, jobText(j))); });
                        await drawList();
                    } catch (e) {
                        msg.replaceChildren(h('p', { class: 'field-error' }, uploadErrorText(e)));
                        again.disabled = false;
                    }
                });
            }
            return h('li', { class: 'photo-card', 'data-photo': p.id, 'data-kind': p.kind },
                h('img', { src: p.image_url, alt: `${p.kind === 'after' ? 'After' : 'Before'} photo of ${fmtDateTime(p.uploaded_at)}`, loading: 'lazy', class: 'thumb' }),
                h('div', { class: 'photo-meta' },
                    h('p', null, kindBadge(p.kind), ' ', analysisState(p)),
                    h('p', { class: 'small' }, fmtDateTime(p.uploaded_at), p.session_id ? ` · session #${p.session_id}` : ' · no session'),
                    h('p', { class: 'small muted' }, `${p.width} × ${p.height} px · ${fmtBytes(p.bytes)}`),
                    p.analysis_state === 'failed' && p.analysis_error ? h('p', { class: 'small field-error' }, p.analysis_error) : null,
                    p.analysis_state === 'done' ? h('a', { href: `/assessment?client=${cid}&photo=${p.id}`, class: 'button' }, 'Assessment') : null,
                    again, msg, shareButton(cid, 'photo', p.id)));
        }

        fill(main,
            pageHead(`Photos — ${client.name}`, [{ href: '/', label: 'Clients' }, { href: `/client?id=${cid}`, label: client.name }, { label: 'Photos' }]),
            clientTabs(cid, 'photos'),
            h('div', { class: 'grid-photos' }, form, listBox));
        await drawList();
    },
});
