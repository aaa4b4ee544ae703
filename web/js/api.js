// SPDX-License-Identifier: AGPL-3.0-or-later
// The JSON API client (docs/api.md). One place that knows about the CSRF header, JSON bodies,
// error objects and clock skew. Pages call api.get/post/patch and catch ApiError.

let csrfToken = '';
let skewMs = 0; // server clock minus browser clock, from the last "server_time" seen

export class ApiError extends Error {
    constructor(status, code, message) {
        super(message || `Request failed (${status})`);
        this.status = status;
        this.code = code || 'error';
    }
}

export function setCsrfToken(token) {
    csrfToken = token || '';
}

// Milliseconds on the server's clock now (corrects a tablet whose clock is off).
export function serverNow() {
    return Date.now() + skewMs;
}

function noteServerTime(body, sentAt, receivedAt) {
    if (body && typeof body === 'object' && typeof body.server_time === 'string') {
        const t = Date.parse(body.server_time);
        if (!Number.isNaN(t)) skewMs = t - (sentAt + receivedAt) / 2;
    }
}

async function request(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET' && method !== 'HEAD') {
        headers['X-CSRF-Token'] = csrfToken;
    }
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    const sentAt = Date.now();
    let resp;
    try {
        resp = await fetch(path, init);
    } catch (e) {
        throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');
    }
    const receivedAt = Date.now();
    let data = null;
    const type = resp.headers.get('Content-Type') || '';
    if (type.includes('application/json')) {
        try { data = await resp.json(); } catch (e) { data = null; }
    }
    if (!resp.ok) {
        const message = data && data.error ? data.error : `The server answered ${resp.status} ${resp.statusText}.`;
        const err = new ApiError(resp.status, data && data.code, message);
        err.data = data; // the whole reply, e.g. the removals of 409 confirm_removals
        if (resp.status === 429 || resp.status === 503) err.retryAfter = Number(resp.headers.get('Retry-After')) || 0;
        throw err;
    }
    noteServerTime(data, sentAt, receivedAt);
    return data;
}

export const api = {
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body === undefined ? {} : body),
    patch: (path, body) => request('PATCH', path, body),
    put: (path, body) => request('PUT', path, body),
    del: (path, body) => request('DELETE', path, body),
};

// The CSRF token for requests made without this module (a raw-file upload through
// XMLHttpRequest, which reports upload progress).
export function getCsrfToken() {
    return csrfToken;
}

// Build "/api/clients?q=..&limit=.." from an object, skipping empty values.
export function withQuery(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
        if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    return s ? `${path}?${s}` : path;
}

// Integer id from the page's query string (?id=7), or null.
export function queryId(name) {
    const v = new URLSearchParams(window.location.search).get(name);
    return v && /^[0-9]{1,15}$/.test(v) ? Number(v) : null;
}
