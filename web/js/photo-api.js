// SPDX-License-Identifier: AGPL-3.0-or-later
// Photos and jobs (docs/api.md, "Photos, analysis, comparison, progress, products, privacy"):
// the raw-file upload with progress (XMLHttpRequest: fetch cannot report upload progress),
// polling a job until it ends, and the tabs shared by a client's photo pages.

import { ApiError, getCsrfToken, api } from './api.js';
import { h } from './dom.js';
import { explain, titleFor, asSentence } from './messages.js';

export const UPLOAD_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
export const UPLOAD_MAX_BYTES = 25 * 1024 * 1024; // the server's cap (docs/api.md, Upload)

// Explain an upload refusal in words for the person holding the tablet (messages.js).
export function uploadErrorText(err) {
    const e = explain(err);
    return e.detail ? `${e.text} ${e.detail}` : e.text;
}

// The kind of refusal in a few words, or null when the code has no words of its own.
export function uploadErrorTitle(err) {
    return err instanceof ApiError ? titleFor(err.code) : null;
}

export { asSentence };

// POST the file as the raw body. onProgress(sentBytes, totalBytes). Resolves with the JSON
// answer; rejects with ApiError (retryAfter set on 503).
export function uploadPhoto(url, file, onProgress) {
    return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', url);
        xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
        xhr.setRequestHeader('X-CSRF-Token', getCsrfToken());
        xhr.setRequestHeader('Accept', 'application/json');
        xhr.responseType = 'text';
        xhr.upload.addEventListener('progress', (e) => {
            if (onProgress) onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
        });
        xhr.addEventListener('load', () => {
            let data = null;
            try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
            if (xhr.status >= 200 && xhr.status < 300) { resolve(data); return; }
            const msg = data && data.error ? data.error : `The server answered ${xhr.status} ${xhr.statusText}.`;
            const err = new ApiError(xhr.status, data && data.code, msg);
            if (xhr.status === 503 || xhr.status === 429) err.retryAfter = Number(xhr.getResponseHeader('Retry-After')) || 5;
            reject(err);
        });
        xhr.addEventListener('error', () => reject(new ApiError(0, 'network', 'The upload was interrupted: the server cannot be reached.')));
        xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.')));
        xhr.send(file);
    });
}

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

// Poll /api/jobs/{id} until it is done or failed; onUpdate(job) after every answer.
// Resolves with the final job. A job forgotten by the server (404) resolves as null.
export async function waitForJob(jobId, onUpdate, { intervalMs = 700, maxMs = 10 * 60e3 } = {}) {
    const until = Date.now() + maxMs;
    for (;;) {
        let job;
        try {
            job = await api.get(`/api/jobs/${jobId}`);
        } catch (e) {
            if (e instanceof ApiError && e.status === 404) return null;
            throw e;
        }
        if (onUpdate) onUpdate(job);
        if (job.state === 'done' || job.state === 'failed') return job;
        if (Date.now() > until) throw new Error('The analysis is taking too long; reload the page to see whether it finished.');
        await sleep(intervalMs);
    }
}

// "Waiting in the queue (2nd)", "Analysing — finding comedones (42 %)"
export function jobText(job) {
    if (!job) return '';
    const what = job.kind === 'comparison' ? 'Comparing' : 'Analysing';
    switch (job.state) {
    case 'queued': return job.position ? `Waiting in the queue — position ${job.position}` : 'Waiting in the queue';
    case 'running': return `${what}${job.stage ? ` — ${job.stage}` : ''} (${Math.round((job.progress || 0) * 100)} %)`;
    case 'done': return job.kind === 'comparison' ? 'Comparison done' : 'Analysis done';
    case 'failed': return `Failed: ${job.error || 'no reason given'}`;
    default: return String(job.state || '');
    }
}

// The tabs of a client's photo pages.
export function clientTabs(clientId, current) {
    const tab = (key, href, label) => h('a', { href, 'aria-current': key === current ? 'page' : null }, label);
    return h('nav', { class: 'tabs', 'aria-label': 'Client records' },
        tab('client', `/client?id=${clientId}`, 'Client'),
        tab('photos', `/photos?client=${clientId}`, 'Photos'),
        tab('assessment', `/assessment?client=${clientId}`, 'Assessment'),
        tab('progress', `/progress?client=${clientId}`, 'Progress'),
        tab('ingredients', `/ingredients?client=${clientId}`, 'Products'));
}

// A badge for a photo's analysis state (icon + words, never colour alone).
export function analysisState(photo) {
    const map = {
        queued: ['pending', '○', 'Queued'],
        running: ['active', '▶', 'Analysing'],
        done: ['ok', '✓', 'Analysed'],
        failed: ['refused', '✖', 'Analysis failed'],
    };
    const [cls, icon, words] = map[photo.analysis_state] || ['muted', '•', photo.analysis_state || 'unknown'];
    return h('span', { class: `badge ${cls}` }, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), words);
}

export function kindBadge(kind) {
    return kind === 'after'
        ? h('span', { class: 'badge kind-after' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '◑'), 'After')
        : h('span', { class: 'badge kind-before' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '◐'), 'Before');
}
