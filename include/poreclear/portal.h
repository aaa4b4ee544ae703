/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — the client's side (issue 12): client accounts, invitations, the portal's login
 * sessions, a second factor (TOTP, RFC 6238), intake before the visit and consent signed online.
 *
 * A client account belongs to one client record (one account per client). The clinic invites a
 * client with a one-time link (a random 256-bit token; the store keeps only its BLAKE2b hash),
 * valid PC_PORTAL_INVITE_HOURS; accepting it sets the account's password (argon2id, as for the
 * staff: lib/clinic/accounts.c). Client login sessions are rows of their own (portal_logins),
 * never in the staff's table, so no client session can ever be taken for a staff one.
 *
 * Rules (lib/clinic/portal*.c) and rows (lib/store/portal.c); the server only parses and maps
 * (src/web/web_portal*.c). Every function returns PC_OK or a negative pc_status with the
 * message in ctx; refusals carry a stable code in *why. */
#ifndef PORECLEAR_PORTAL_H
#define PORECLEAR_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"
#include "protocol.h"
#include "store.h"

/* ---- TOTP, RFC 6238 (lib/clinic/portal_totp.c, HMAC from nettle) ---- */
typedef enum pc_totp_alg { PC_TOTP_SHA1 = 1, PC_TOTP_SHA256, PC_TOTP_SHA512 } pc_totp_alg;
#define PC_TOTP_STEP 30         /* seconds (RFC 6238 §4.1 default X) */
#define PC_TOTP_DIGITS 6        /* what authenticator applications show */
#define PC_TOTP_SECRET_BYTES 20 /* 160 bits, RFC 4226 §4 R6 recommends at least 128 */
#define PC_TOTP_SECRET_CHARS 32 /* base32 (RFC 4648) of 20 bytes, no padding */
/* HOTP (RFC 4226 §5.3) of counter with key under alg, as a number of digits (1..9) digits.
 * PC_ERR_INVALID for an unknown alg, an empty key or digits out of range. */
int pc_totp_hotp(pc_ctx *ctx, pc_totp_alg alg, const uint8_t *key, size_t key_len, uint64_t counter,
                 int digits, uint32_t *code);
/* The time step of Unix time t (T0 = 0, X = PC_TOTP_STEP); negative t: step 0. */
int64_t pc_totp_step(int64_t t);
/* A new random secret (PC_TOTP_SECRET_BYTES) and its base32 text. */
void pc_totp_secret_new(uint8_t key[PC_TOTP_SECRET_BYTES], char b32[PC_TOTP_SECRET_CHARS + 1]);
/* base32 text (A-Z 2-7, case and spaces ignored, no padding needed) into at most max bytes;
 * false when it is not base32 or too long. */
bool pc_totp_b32_decode(const char *b32, uint8_t *out, size_t max, size_t *len);
/* Does code (PC_TOTP_DIGITS decimal digits) match the SHA-1 TOTP of key at now, one step
 * before or after (clock drift, RFC 6238 §5.2), at a step later than last_step (a code is
 * never accepted twice)? *matched_step: the step it matched (untouched when false). */
bool pc_totp_verify(const uint8_t *key, size_t key_len, const char *code, int64_t now,
                    int64_t last_step, int64_t *matched_step);
/* The otpauth:// address an authenticator application reads (Key Uri Format): issuer and
 * account percent-encoded. *out malloc'd. */
int pc_totp_uri(pc_ctx *ctx, const char *issuer, const char *account, const char *b32, char **out);

/* ---- client accounts ---- */
#define PC_PORTAL_INVITE_HOURS 72
#define PC_PORTAL_TOKEN_CHARS 64 /* hexadecimal of 32 random bytes */
#define PC_PORTAL_USERNAME_MAX 64

/* A client account as the store keeps it. */
typedef struct pc_portal_account {
    int64_t client_id;
    char username[PC_PORTAL_USERNAME_MAX + 1];
    bool active;
    bool totp_on;        /* a second factor is required at login */
    bool totp_enrolling; /* a secret is waiting for its first code */
    int64_t created_at;
} pc_portal_account;

/* A client's user name: 3..PC_PORTAL_USERNAME_MAX of a-z 0-9 . _ - @ + (an e-mail address
 * in lower case fits). */
bool pc_portal_username_valid(const char *name);

/* How the clinic e-mails (NULL: it sends no mail). */
typedef struct pc_portal_mail {
    const char *from;        /* the clinic's sender address (pc_mail_clinic.from) */
    const char *clinic_name; /* NULL or "": "the clinic" */
} pc_portal_mail;

/* Invite client_id: a new one-time token (token: PC_PORTAL_TOKEN_CHARS hex + NUL) valid until
 * now + PC_PORTAL_INVITE_HOURS (*expires_at); earlier unused invitations of the client are
 * withdrawn. With mail, and when the client has an e-mail address and has not opted out, the
 * message carrying url_prefix + token is queued in the outbox in the same transaction
 * (*mailed true). Audited "portal.invite" (by who). PC_ERR_NOTFOUND: no such client. */
int pc_portal_invite(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t client_id,
                     const char *url_prefix, const pc_portal_mail *mail, int64_t now,
                     char token[PC_PORTAL_TOKEN_CHARS + 1], int64_t *expires_at, bool *mailed);

/* Accept an invitation: the token must be known (PC_ERR_NOTFOUND "invitation_unknown"),
 * unused (PC_ERR_CONFLICT "invitation_used") and not expired (PC_ERR_CONFLICT
 * "invitation_expired"); the password must meet pc_password_weak (PC_ERR_INVALID "weak").
 * The client's account is created (username: the given one, NULL for the default — the
 * client's e-mail address in lower case when it is a valid user name, else "client<ID>") or,
 * when it exists, gets the new password (and keeps its name); the invitation is used up.
 * PC_ERR_CONFLICT "username_taken" when another client has the name. Audited "portal.accept".
 * *out: the account. */
int pc_portal_accept(pc_ctx *ctx, pc_store *s, const char *token, const char *username,
                     const char *password, int64_t now, pc_portal_account *out, const char **why);

/* Check a login: password against the account's hash (a dummy hash when there is no such
 * account, so the answer takes as long); when the account has a second factor, code must be
 * its TOTP (PC_ERR_DENIED "totp_required" when code is NULL or "", "bad_code" when wrong or
 * used before: the step is recorded). PC_ERR_DENIED "bad_credentials" for a wrong name or
 * password or an inactive account. *out: the account. */
int pc_portal_login_check(pc_ctx *ctx, pc_store *s, const char *username, const char *password,
                          const char *code, int64_t now, pc_portal_account *out, const char **why);

/* Start enrolling a second factor: a new secret kept as pending (replacing a pending one);
 * b32 its base32 text for the authenticator. Refused ("totp_on") when one is on already. */
int pc_portal_totp_begin(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t now,
                         char b32[PC_TOTP_SECRET_CHARS + 1], const char **why);
/* Confirm enrolment with the first code of the pending secret ("no_enrolment" without one,
 * "bad_code"): from then on logins need a code. Audited "portal.totp.on". */
int pc_portal_totp_confirm(pc_ctx *ctx, pc_store *s, int64_t client_id, const char *code,
                           int64_t now, const char **why);
/* Turn the second factor off with a current code ("bad_code"). Audited "portal.totp.off". */
int pc_portal_totp_off(pc_ctx *ctx, pc_store *s, int64_t client_id, const char *code, int64_t now,
                       const char **why);

/* ---- intake before the visit (lib/clinic/portal_intake.c) ----
 * The client answers plain questions; the answers (a JSON object) become the next intake version,
 * marked as the client's. The answers, every member optional unless said:
 *   "skin_type": required, one of oily dry combination normal sensitive;
 *   "isotretinoin_last_year": required boolean ("Have you taken isotretinoin (Roaccutane,
 *       Accutane, Absorica) in the last year?"); "isotretinoin_last_taken": a date (YYYY-MM-DD,
 *       not after today) or null (still taking it);
 *   "medications", "allergies": arrays (at most 32) of names, 1..200 characters, no control
 *       characters;
 *   "conditions": an array of PC_PORTAL_CONDITIONS names; "implants": of pacemaker,
 *       electronic_implant, metal_in_treatment_area;
 *   "pregnant", "breastfeeding": booleans;
 *   "recent_procedures": at most 16 of {"kind": chemical_peel botox surgery laser waxing,
 *       "date": a date not after today};
 *   "notes": a string of at most 200 characters (line breaks become " / ").
 * Unknown members are refused. */
extern const char *const PC_PORTAL_CONDITIONS[]; /* NULL-terminated */

/* The next intake (a malloc'd JSON text in *out) from the client's answers on today: the
 * client's id and birth date from c, the Fitzpatrick type and every entry of the previous
 * version (prev_text, NULL when none) that the answers leave out carried over (a client's
 * omission never drops history: issue 16.7; the practitioner confirms a removal), *kept (may be
 * NULL) the array of {"list","item"} carried over. The intake must pass the protocol's checks
 * (pc_plan_build). PC_ERR_INVALID with "field: reason" for bad answers. */
int pc_portal_intake_build(pc_ctx *ctx, const pc_protocol *proto, const char *prev_text,
                           json_t *answers, const pc_client *c, const char *today, char **out,
                           json_t **kept);
/* Build (as above, from the client's latest intake) and store it as the client's own version
 * (from_client), audited "intake.create" with no user. *out: pc_store_intake_clear. */
int pc_portal_intake_save(pc_ctx *ctx, pc_store *s, const pc_protocol *proto, int64_t client_id,
                          json_t *answers, const char *today, int64_t now, pc_intake *out,
                          json_t **kept);
/* The client's answers as a form would show them again, from an intake's text (NULL: {}): the
 * inverse of pc_portal_intake_build for what the questions ask. New object (caller decrefs). */
json_t *pc_portal_intake_answers(const char *intake_text);

/* What changed from one intake version to the next (issue 12.2): a new array (caller decrefs;
 * NULL only out of memory) of {"field": "medications", "added": [...], "removed": [...]} for the
 * lists (conditions, implants, allergies, medications, recent_procedures; each entry in words,
 * e.g. "isotretinoin (last taken 2026-08-01)") and {"field": "client.skin_type", "from", "to"}
 * for client.skin_type, client.fitzpatrick, pregnant, breastfeeding and notes. prev_text NULL:
 * everything is added. */
json_t *pc_clinic_intake_changes(const char *prev_text, const char *next_text);

/* ---- consent signed online (lib/clinic/portal_consent.c) ----
 * The client reads the consent text of each step their plan holds (the treatment, and
 * extraction, high frequency, chemical exfoliation when the plan does them), types their name
 * and draws a signature; the store keeps the text, its SHA-256, the name, the drawing (PNG) and
 * the time, append-only. A withdrawal is recorded beside it, never instead of it. */
#define PC_PORTAL_SIGNATURE_MAX_BYTES (200u << 10) /* the PNG file */
#define PC_PORTAL_SIGNATURE_MAX_SIDE 2000          /* pixels either side */
#define PC_PORTAL_SIGNATURE_MIN_SIDE 40

/* The consent for plan (NULL: the treatment's only): *items a new array of {"item", "title",
 * "text"} in plan order, *text the whole text signed (malloc'd), sha256_hex its SHA-256. */
int pc_portal_consent_text(pc_ctx *ctx, const pc_plan *plan, json_t **items, char **text,
                           char sha256_hex[65]);
/* Is b64 (standard base64, an optional "data:image/png;base64," in front) a PNG of at most
 * PC_PORTAL_SIGNATURE_MAX_BYTES that the image library decodes whole, PC_PORTAL_SIGNATURE_MIN_SIDE
 * to _MAX_SIDE pixels a side, with something drawn (not one colour)? PC_OK, or PC_ERR_INVALID
 * "signature: reason". *clean (may be NULL): the base64 without its prefix, malloc'd. */
int pc_portal_signature_check(pc_ctx *ctx, const char *b64, char **clean);

typedef struct pc_portal_consent {
    int64_t id, client_id, signed_at;
    char *items_json; /* owned: the items signed, a JSON array of names */
    char *text;       /* owned: the text shown */
    char text_sha256[65];
    char typed_name[PC_TEXT_BYTES(PC_NAME_MAX)];
    char *signature_png; /* owned: base64 */
    char ip[64];
    int64_t withdrawn_at;  /* 0 unless withdrawn */
    char *withdraw_reason; /* owned; NULL unless withdrawn */
} pc_portal_consent;
void pc_portal_consents_free(pc_portal_consent *c, size_t n); /* NULL is fine */

/* Sign: text_sha256_seen must be the SHA-256 of the text for plan now (else PC_ERR_CONFLICT
 * "text_changed": the client signs what they read); typed_name 1..PC_NAME_MAX characters, no
 * control characters ("name"); the signature as pc_portal_signature_check ("signature").
 * Audited "portal.consent.sign" with no user. *id the new consent. */
int pc_portal_consent_sign(pc_ctx *ctx, pc_store *s, int64_t client_id, const pc_plan *plan,
                           const char *text_sha256_seen, const char *typed_name,
                           const char *signature_b64, const char *ip, int64_t now, int64_t *id,
                           const char **why);
/* Withdraw consent id of client_id (the client acting) with a reason (may be NULL or "": none,
 * at most PC_SHORT_MAX characters). PC_ERR_NOTFOUND no such consent, PC_ERR_DENIED
 * "not_yours" (another client's), PC_ERR_CONFLICT "withdrawn" (already). Audited
 * "portal.consent.withdraw". */
int pc_portal_consent_withdraw(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t consent_id,
                               const char *reason, int64_t now, const char **why);
/* A client's consents signed online, newest first, with their withdrawals. */
int pc_store_portal_consent_list(pc_ctx *ctx, pc_store *s, int64_t client_id,
                                 pc_portal_consent **out, size_t *n);

/* ---- rows (lib/store/portal.c) ---- */
int pc_store_portal_account_get(pc_ctx *ctx, pc_store *s, int64_t client_id,
                                pc_portal_account *out);
/* The client's invitation state: *pending_until the expiry of an unused, unexpired
 * invitation (0: none). */
int pc_store_portal_invitation_state(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t now,
                                     int64_t *pending_until);

/* Client login sessions (the id stored only as its 32-byte hash, like pc_login). */
typedef struct pc_portal_login {
    int64_t client_id;
    char csrf[65];
    int64_t created_at, last_seen;
} pc_portal_login;
int pc_store_portal_login_create(pc_ctx *ctx, pc_store *s, const uint8_t hash[32],
                                 int64_t client_id, const char *csrf, int64_t now);
int pc_store_portal_login_get(pc_ctx *ctx, pc_store *s, const uint8_t hash[32],
                              pc_portal_login *out); /* PC_ERR_NOTFOUND when unknown */
int pc_store_portal_login_touch(pc_ctx *ctx, pc_store *s, const uint8_t hash[32], int64_t now);
int pc_store_portal_login_delete(pc_ctx *ctx, pc_store *s, const uint8_t hash[32]);
int pc_store_portal_login_expire(pc_ctx *ctx, pc_store *s, int64_t idle_before,
                                 int64_t created_before);

#endif
