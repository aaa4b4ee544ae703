/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Client accounts (include/poreclear/portal.h, issue 12): invitations, accepting one, the
 * portal's login check with its optional second factor. Each change is one store transaction
 * with its audit entry (the client's own acts are audited with no user and the client's id). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/strbuf.h"
#include "poreclear/booking.h"
#include "poreclear/clinic.h"
#include "poreclear/portal.h"
#include "store/store_booking.h"
#include "store/store_portal.h"

static int refuse(pc_ctx *ctx, const char **why, const char *code, int status, const char *msg)
{
    if (why) *why = code;
    return pc_error(ctx, status, "%s", msg);
}

bool pc_portal_username_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 3 || n > PC_PORTAL_USERNAME_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '_' || s[i] == '-' || s[i] == '@' || s[i] == '+'))
            return false;
    return true;
}

static void token_hash(const char *token, uint8_t out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

/* The invitation's message: plain words, the link, until when it works. */
static int queue_mail(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *to,
                      const pc_portal_mail *mail, const char *url, int64_t expires_at, int64_t now)
{
    size_t to_len = strlen(to);
    if (to_len >= sizeof((pc_outbox *)0)->to) /* RFC 5321 allows 254 */
        return pc_error(ctx, PC_ERR_INVALID, "the client's e-mail address is longer than %zu bytes",
                        sizeof((pc_outbox *)0)->to - 1);
    const char *clinic = mail->clinic_name && *mail->clinic_name ? mail->clinic_name : "the clinic";
    char until[40];
    time_t t = (time_t)expires_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(until, sizeof until, "%Y-%m-%d %H:%M UTC", &tm);
    pc_strbuf text = {.max = 16384}, html = {.max = 16384};
    pc_strbuf_printf(&text,
                     "Hello,\r\n\r\n%s invites you to its client portal: there you can fill in "
                     "your health questions before your visit and sign your consent.\r\n\r\n"
                     "Set your password here (the link works once, until %s):\r\n%s\r\n",
                     clinic, until, url);
    pc_strbuf_puts(&html, "<p>Hello,</p><p>");
    pc_strbuf_html(&html, clinic);
    pc_strbuf_puts(&html, " invites you to its client portal: there you can fill in your health "
                          "questions before your visit and sign your consent.</p><p><a href=\"");
    pc_strbuf_html(&html, url);
    pc_strbuf_puts(&html, "\">Set your password</a> (the link works once, until ");
    pc_strbuf_html(&html, until);
    pc_strbuf_puts(&html, ").</p>");
    char *tt = pc_strbuf_finish(&text), *hh = pc_strbuf_finish(&html);
    int rc;
    if (!tt || !hh) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    } else {
        pc_outbox o;
        memset(&o, 0, sizeof o);
        o.client_id = client_id;
        snprintf(o.kind, sizeof o.kind, "invitation");
        memcpy(o.to, to, to_len + 1);
        o.subject = (char *)"Your client portal";
        o.text = tt;
        o.html = hh;
        o.not_before = now;
        o.created_at = now;
        int64_t id = 0;
        rc = pc_tx_outbox_insert(ctx, tx, &o, &id);
    }
    free(tt);
    free(hh);
    return rc;
}

int pc_portal_invite(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t client_id,
                     const char *url_prefix, const pc_portal_mail *mail, int64_t now,
                     char token[PC_PORTAL_TOKEN_CHARS + 1], int64_t *expires_at, bool *mailed)
{
    uint8_t raw[32], hash[32];
    char tok[PC_PORTAL_TOKEN_CHARS + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(tok, sizeof tok, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    token_hash(tok, hash);
    int64_t until = now + (int64_t)PC_PORTAL_INVITE_HOURS * 3600;
    bool sent = false;
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    char email[PC_TEXT_BYTES(PC_SHORT_MAX)] = "";
    bool opted_out = false;
    int64_t id = 0;
    if ((rc = pc_tx_client_mail(ctx, &tx, client_id, email, sizeof email, &opted_out)) != PC_OK)
        goto out;
    if ((rc = pc_tx_portal_invitation_insert(ctx, &tx, client_id, hash, who->id, now, until,
                                             &id)) != PC_OK)
        goto out;
    if (mail && mail->from && *mail->from && email[0] && !opted_out) {
        char url[512];
        snprintf(url, sizeof url, "%s%s", url_prefix ? url_prefix : "", tok);
        if ((rc = queue_mail(ctx, &tx, client_id, email, mail, url, until, now)) != PC_OK) goto out;
        sent = true;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "invitation %lld%s", (long long)id, sent ? " e-mailed" : "");
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "portal.invite", client_id, detail, now)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    memcpy(token, tok, sizeof tok);
    *expires_at = until;
    if (mailed) *mailed = sent;
out:
    sodium_memzero(tok, sizeof tok);
    pc_tx_end(&tx);
    return rc;
}

int pc_portal_accept(pc_ctx *ctx, pc_store *s, const char *token, const char *username,
                     const char *password, int64_t now, pc_portal_account *out, const char **why)
{
    const char *weak = pc_password_weak(password);
    if (weak) {
        if (why) *why = "weak";
        return pc_error(ctx, PC_ERR_INVALID, "password: %s", weak);
    }
    if (username && !pc_portal_username_valid(username))
        return refuse(ctx, why, "invalid", PC_ERR_INVALID,
                      "username: 3 to 64 of a-z, 0-9 and . _ - @ +");
    if (!token || strlen(token) != PC_PORTAL_TOKEN_CHARS)
        return refuse(ctx, why, "invitation_unknown", PC_ERR_NOTFOUND,
                      "this invitation link is not known");
    /* hashed before the transaction: argon2id takes tens of milliseconds */
    char hash[PC_PASSWORD_HASH_BYTES];
    int rc = pc_password_hash(ctx, password, hash, sizeof hash);
    if (rc != PC_OK) return rc;
    uint8_t th[32];
    token_hash(token, th);
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    pc_portal_invitation inv;
    pc_portal_row row;
    memset(&row, 0, sizeof row);
    rc = pc_tx_portal_invitation_find(ctx, &tx, th, &inv);
    if (rc == PC_ERR_NOTFOUND) {
        rc = refuse(ctx, why, "invitation_unknown", PC_ERR_NOTFOUND,
                    "this invitation link is not known");
        goto out;
    }
    if (rc != PC_OK) goto out;
    if (inv.used_at || inv.withdrawn_at) {
        rc = refuse(ctx, why, "invitation_used", PC_ERR_CONFLICT,
                    inv.used_at
                        ? "this invitation link was used already; ask the clinic for a new one"
                        : "this invitation link was replaced by a newer one");
        goto out;
    }
    if (now >= inv.expires_at) {
        rc = refuse(ctx, why, "invitation_expired", PC_ERR_CONFLICT,
                    "this invitation link has expired; ask the clinic for a new one");
        goto out;
    }
    rc = pc_tx_portal_account(ctx, &tx, inv.client_id, NULL, &row);
    if (rc == PC_OK) { /* a new password for an existing account; its sessions end */
        if ((rc = pc_tx_portal_password_set(ctx, &tx, inv.client_id, hash, now)) != PC_OK ||
            (rc = pc_tx_portal_logins_end(ctx, &tx, inv.client_id)) != PC_OK)
            goto out;
    } else if (rc == PC_ERR_NOTFOUND) {
        char name[PC_PORTAL_USERNAME_MAX + 1];
        if (username) {
            snprintf(name, sizeof name, "%s", username);
        } else {
            char email[PC_TEXT_BYTES(PC_SHORT_MAX)] = "";
            bool opted = false;
            if ((rc = pc_tx_client_mail(ctx, &tx, inv.client_id, email, sizeof email, &opted)) !=
                PC_OK)
                goto out;
            for (char *c = email; *c; c++)
                if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
            if (pc_portal_username_valid(email)) /* at most PC_PORTAL_USERNAME_MAX bytes */
                memcpy(name, email, strlen(email) + 1);
            else
                snprintf(name, sizeof name, "client%lld", (long long)inv.client_id);
        }
        bool taken = false;
        if ((rc = pc_tx_portal_username_taken(ctx, &tx, name, &taken)) != PC_OK) goto out;
        if (taken) {
            rc = refuse(ctx, why, "username_taken", PC_ERR_CONFLICT,
                        "this user name is taken; choose another");
            goto out;
        }
        if ((rc = pc_tx_portal_account_insert(ctx, &tx, inv.client_id, name, hash, now)) != PC_OK)
            goto out;
        if ((rc = pc_tx_portal_account(ctx, &tx, inv.client_id, NULL, &row)) != PC_OK) goto out;
    } else {
        goto out;
    }
    char detail[48];
    snprintf(detail, sizeof detail, "invitation %lld", (long long)inv.id);
    if ((rc = pc_tx_portal_invitation_use(ctx, &tx, inv.id, now)) != PC_OK ||
        (rc = pc_tx_audit(ctx, &tx, 0, "portal.accept", inv.client_id, detail, now)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    *out = row.a;
out:
    pc_tx_end(&tx);
    sodium_memzero(hash, sizeof hash);
    sodium_memzero(&row, sizeof row);
    return rc;
}

/* The secret of b32 text into key; false when it is not one of ours. */
static bool secret_of(const char *b32, uint8_t key[PC_TOTP_SECRET_BYTES])
{
    size_t n = 0;
    return pc_totp_b32_decode(b32, key, PC_TOTP_SECRET_BYTES, &n) && n == PC_TOTP_SECRET_BYTES;
}

int pc_portal_login_check(pc_ctx *ctx, pc_store *s, const char *username, const char *password,
                          const char *code, int64_t now, pc_portal_account *out, const char **why)
{
    pc_tx tx;
    pc_portal_row row;
    memset(&row, 0, sizeof row);
    bool found = false;
    int rc;
    if (pc_portal_username_valid(username)) {
        if ((rc = pc_tx_open(ctx, s, &tx)) != PC_OK) return rc;
        rc = pc_tx_portal_account(ctx, &tx, 0, username, &row);
        pc_tx_end(&tx);
        if (rc != PC_OK && rc != PC_ERR_NOTFOUND) return rc;
        found = rc == PC_OK;
    }
    bool ok = pc_password_verify(found ? row.password_hash : NULL, password);
    if (!ok || !row.a.active) {
        rc = refuse(ctx, why, "bad_credentials", PC_ERR_DENIED, "wrong user name or password");
        goto out;
    }
    if (row.a.totp_on) {
        if (!code || !*code) {
            rc = refuse(ctx, why, "totp_required", PC_ERR_DENIED,
                        "enter the 6-digit code from your authenticator app");
            goto out;
        }
        /* checked and recorded in one transaction: a code is never accepted twice */
        if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) goto out;
        pc_portal_row cur;
        uint8_t key[PC_TOTP_SECRET_BYTES];
        int64_t step = 0;
        rc = pc_tx_portal_account(ctx, &tx, row.a.client_id, NULL, &cur);
        if (rc == PC_OK && (!secret_of(cur.totp_secret, key) ||
                            !pc_totp_verify(key, sizeof key, code, now, cur.totp_last_step, &step)))
            rc = refuse(ctx, why, "bad_code", PC_ERR_DENIED,
                        "this code is wrong or was used already; wait for the next one");
        if (rc == PC_OK && (rc = pc_tx_portal_totp_set(
                                ctx, &tx, cur.a.client_id, cur.totp_secret,
                                cur.totp_pending[0] ? cur.totp_pending : NULL, step, now)) == PC_OK)
            rc = pc_tx_commit(ctx, &tx);
        pc_tx_end(&tx);
        sodium_memzero(key, sizeof key);
        sodium_memzero(&cur, sizeof cur);
        if (rc != PC_OK) goto out;
    }
    *out = row.a;
    rc = PC_OK;
out:
    sodium_memzero(&row, sizeof row);
    return rc;
}

int pc_portal_totp_begin(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t now,
                         char b32[PC_TOTP_SECRET_CHARS + 1], const char **why)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    pc_portal_row row;
    uint8_t key[PC_TOTP_SECRET_BYTES];
    char text[PC_TOTP_SECRET_CHARS + 1];
    if ((rc = pc_tx_portal_account(ctx, &tx, client_id, NULL, &row)) != PC_OK) goto out;
    if (row.a.totp_on) {
        rc = refuse(ctx, why, "totp_on", PC_ERR_CONFLICT,
                    "a second factor is on already; turn it off first");
        goto out;
    }
    pc_totp_secret_new(key, text);
    if ((rc = pc_tx_portal_totp_set(ctx, &tx, client_id, NULL, text, row.totp_last_step, now)) !=
            PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    memcpy(b32, text, sizeof text);
out:
    pc_tx_end(&tx);
    sodium_memzero(key, sizeof key);
    sodium_memzero(text, sizeof text);
    sodium_memzero(&row, sizeof row);
    return rc;
}

/* Confirm (on: the pending secret becomes the secret) or turn off (the secret goes) with a
 * code of the secret concerned. */
static int totp_change(pc_ctx *ctx, pc_store *s, int64_t client_id, const char *code, int64_t now,
                       bool on, const char **why)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    pc_portal_row row;
    uint8_t key[PC_TOTP_SECRET_BYTES];
    int64_t step = 0;
    if ((rc = pc_tx_portal_account(ctx, &tx, client_id, NULL, &row)) != PC_OK) goto out;
    const char *secret = on ? row.totp_pending : row.totp_secret;
    if (!secret[0]) {
        rc = on ? refuse(ctx, why, "no_enrolment", PC_ERR_CONFLICT,
                         "start setting up the second factor first")
                : refuse(ctx, why, "totp_off", PC_ERR_CONFLICT, "no second factor is on");
        goto out;
    }
    if (!secret_of(secret, key) ||
        !pc_totp_verify(key, sizeof key, code, now, row.totp_last_step, &step)) {
        rc = refuse(ctx, why, "bad_code", PC_ERR_DENIED,
                    "this code is wrong or was used already; wait for the next one");
        goto out;
    }
    if ((rc = pc_tx_portal_totp_set(ctx, &tx, client_id, on ? row.totp_pending : NULL, NULL, step,
                                    now)) != PC_OK ||
        (rc = pc_tx_audit(ctx, &tx, 0, on ? "portal.totp.on" : "portal.totp.off", client_id,
                          row.a.username, now)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
out:
    pc_tx_end(&tx);
    sodium_memzero(key, sizeof key);
    sodium_memzero(&row, sizeof row);
    return rc;
}

int pc_portal_totp_confirm(pc_ctx *ctx, pc_store *s, int64_t client_id, const char *code,
                           int64_t now, const char **why)
{
    return totp_change(ctx, s, client_id, code, now, true, why);
}

int pc_portal_totp_off(pc_ctx *ctx, pc_store *s, int64_t client_id, const char *code, int64_t now,
                       const char **why)
{
    return totp_change(ctx, s, client_id, code, now, false, why);
}
