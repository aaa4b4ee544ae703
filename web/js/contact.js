// SPDX-License-Identifier: AGPL-3.0-or-later
// The phone and e-mail as the server accepts them (docs/api.md, POST /api/clients): checked
// here first so that a typo is pointed at before anything is sent.
export function phoneOk(s) {
    const digits = (s.match(/[0-9]/g) || []).length;
    return /^\+?[0-9 ().\/-]{1,32}$/.test(s) && digits >= 5 && digits <= 20;
}
const LABEL = '[A-Za-z0-9\\u0080-\\uffff]([A-Za-z0-9\\u0080-\\uffff-]{0,61}[A-Za-z0-9\\u0080-\\uffff])?';
const EMAIL = new RegExp(`^[^\\s@()<>,;:\\\\"[\\]]{1,64}@(${LABEL}\\.)+${LABEL}$`);
export function emailOk(s) {
    return s.length >= 5 && s.length <= 254 && EMAIL.test(s) && !/^\.|\.@|\.\./.test(s);
}
