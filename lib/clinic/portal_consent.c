/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Consent signed online (issue 12.3, include/poreclear/portal.h): the consent text of each step
 * the client's plan holds, in plain words; the signature drawn on the phone checked as a real
 * PNG by the image library; the signing and a withdrawal, each one append-only row with its
 * audit entry in one transaction. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "poreclear/image.h"
#include "poreclear/portal.h"
#include "store/store_portal.h"

/* What each consent item means, for the client (the items of the staff's consent page,
 * web/js/pages/consent.js; the steps and what they involve: the protocol's, data/protocol.json). */
static const struct {
    const char *item, *title, *text;
} ITEMS[] = {
    {"treatment", "The deep pore cleansing facial",
     "Your practitioner cleanses your skin, exfoliates it, softens it with warm steam, applies a "
     "mask and finishes with a soothing product. Your skin may look a little red for a few hours "
     "afterwards. You can ask to stop at any moment."},
    {"extraction", "Clearing blackheads and whiteheads by hand",
     "Your practitioner gently presses out blackheads and whiteheads with gloved fingers and "
     "gauze, or with a small steel tool made for it. It can sting for a moment and leave some "
     "redness for a day."},
    {"high_frequency", "High-frequency treatment",
     "A glass tool with a very mild electric current is passed over your skin to calm and clear "
     "it. You take off jewellery first. You may feel a light tingle and hear a buzz."},
    {"chemical_exfoliation", "Exfoliation with a mild acid",
     "A mild fruit or salicylic acid is applied to loosen dead skin, then washed off. It may "
     "tingle for a few minutes."},
};
#define NITEMS (sizeof ITEMS / sizeof ITEMS[0])

int pc_portal_consent_text(pc_ctx *ctx, const pc_plan *plan, json_t **items, char **text,
                           char sha256_hex[65])
{
    bool want[NITEMS] = {true};
    for (size_t i = 0; plan && i < pc_plan_step_count(plan); i++) {
        pc_plan_step st;
        if (!pc_plan_get_step(plan, i, &st) || st.action == PC_ACTION_SKIP || !st.consent) continue;
        for (size_t k = 0; k < NITEMS; k++)
            if (!strcmp(st.consent, ITEMS[k].item)) want[k] = true;
    }
    json_t *arr = json_array();
    pc_strbuf b = {.max = 65536};
    for (size_t k = 0; arr && k < NITEMS; k++) {
        if (!want[k]) continue;
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "item", ITEMS[k].item, "title",
                                             ITEMS[k].title, "text", ITEMS[k].text));
        pc_strbuf_printf(&b, "%s%s\n%s\n", b.n ? "\n" : "", ITEMS[k].title, ITEMS[k].text);
    }
    pc_strbuf_puts(&b, "\nI have read what each step involves, I agree to it, and I know I can "
                       "withdraw my consent at any time.\n");
    char *t = pc_strbuf_finish(&b);
    if (!arr || !t) {
        json_decref(arr);
        free(t);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)t, strlen(t));
    sodium_bin2hex(sha256_hex, 65, h, sizeof h);
    *items = arr;
    *text = t;
    return PC_OK;
}

int pc_portal_signature_check(pc_ctx *ctx, const char *b64, char **clean)
{
    static const char PREFIX[] = "data:image/png;base64,";
    if (!b64) return pc_error(ctx, PC_ERR_INVALID, "signature: required");
    if (!strncmp(b64, PREFIX, sizeof PREFIX - 1)) b64 += sizeof PREFIX - 1;
    size_t len = strlen(b64);
    size_t max = (size_t)PC_PORTAL_SIGNATURE_MAX_BYTES;
    if (len == 0 || len > (max + 2) / 3 * 4)
        return pc_error(ctx, PC_ERR_INVALID, "signature: a PNG of at most %u KiB",
                        PC_PORTAL_SIGNATURE_MAX_BYTES >> 10);
    uint8_t *png = malloc(len / 4 * 3 + 3);
    if (!png) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    size_t n = 0;
    const char *end = NULL;
    int rc = PC_OK;
    pc_image *img = NULL;
    if (sodium_base642bin(png, len / 4 * 3 + 3, b64, len, NULL, &n, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + len) {
        rc = pc_error(ctx, PC_ERR_INVALID, "signature: not base64");
        goto out;
    }
    if (pc_image_sniff(png, n) != PC_FORMAT_PNG) {
        rc = pc_error(ctx, PC_ERR_INVALID, "signature: not a PNG image");
        goto out;
    }
    pc_image_info info;
    if (pc_image_probe(ctx, png, n, &info) != PC_OK) {
        rc = PC_ERR_INVALID;
        pc_error_prefix(ctx, "signature");
        goto out;
    }
    if (info.width < PC_PORTAL_SIGNATURE_MIN_SIDE || info.height < PC_PORTAL_SIGNATURE_MIN_SIDE ||
        info.width > PC_PORTAL_SIGNATURE_MAX_SIDE || info.height > PC_PORTAL_SIGNATURE_MAX_SIDE) {
        rc = pc_error(ctx, PC_ERR_INVALID, "signature: %d to %d pixels a side",
                      PC_PORTAL_SIGNATURE_MIN_SIDE, PC_PORTAL_SIGNATURE_MAX_SIDE);
        goto out;
    }
    if (pc_image_decode_png(ctx, png, n, &img) != PC_OK) {
        rc = PC_ERR_INVALID;
        pc_error_prefix(ctx, "signature");
        goto out;
    }
    /* something drawn: not every pixel the same */
    size_t px = (size_t)img->width * (size_t)img->height;
    bool ink = false;
    for (size_t i = 1; i < px && !ink; i++)
        if (memcmp(img->rgb + 3 * i, img->rgb, 3)) ink = true;
    if (!ink) {
        rc = pc_error(ctx, PC_ERR_INVALID, "signature: nothing is drawn");
        goto out;
    }
    if (clean && !(*clean = strdup(b64))) rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
out:
    pc_image_free(img);
    free(png);
    return rc;
}

/* Characters of s, or -1 when it holds a control character. */
static long plain_chars(const char *s)
{
    long n = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) return -1;
        if ((*c & 0xc0) != 0x80) n++;
    }
    return n;
}

int pc_portal_consent_sign(pc_ctx *ctx, pc_store *s, int64_t client_id, const pc_plan *plan,
                           const char *text_sha256_seen, const char *typed_name,
                           const char *signature_b64, const char *ip, int64_t now, int64_t *id,
                           const char **why)
{
    long nc = typed_name ? plain_chars(typed_name) : -1;
    /* the name typed, less its blanks, must say something */
    bool blank = true;
    for (const char *c = typed_name; c && *c; c++)
        if (*c != ' ') blank = false;
    if (nc < 1 || nc > PC_NAME_MAX || blank) {
        if (why) *why = "name";
        return pc_error(ctx, PC_ERR_INVALID, "typed_name: your full name, 1 to %d characters",
                        PC_NAME_MAX);
    }
    char *sig = NULL, *text = NULL;
    json_t *items = NULL, *names = NULL;
    char sha[65];
    int rc = pc_portal_signature_check(ctx, signature_b64, &sig);
    if (rc != PC_OK) {
        if (why) *why = "signature";
        return rc;
    }
    if ((rc = pc_portal_consent_text(ctx, plan, &items, &text, sha)) != PC_OK) goto out;
    if (!text_sha256_seen || strcmp(text_sha256_seen, sha)) {
        if (why) *why = "text_changed";
        rc = pc_error(ctx, PC_ERR_CONFLICT,
                      "the consent text changed since it was shown: read it again and sign");
        goto out;
    }
    names = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(items, i, e)
    {
        json_array_append(names, json_object_get(e, "item"));
    }
    char *names_text = json_dumps(names, JSON_COMPACT);
    if (!names_text) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    pc_portal_consent c;
    memset(&c, 0, sizeof c);
    c.client_id = client_id;
    c.signed_at = now;
    c.items_json = names_text;
    c.text = text;
    memcpy(c.text_sha256, sha, sizeof sha);
    snprintf(c.typed_name, sizeof c.typed_name, "%s", typed_name);
    c.signature_png = sig;
    snprintf(c.ip, sizeof c.ip, "%s", ip ? ip : "");
    pc_tx tx;
    int64_t nid = 0;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) == PC_OK) {
        char detail[160];
        if ((rc = pc_tx_portal_consent_insert(ctx, &tx, &c, &nid)) == PC_OK) {
            snprintf(detail, sizeof detail, "consent %lld %s sha256:%.16s", (long long)nid,
                     names_text, sha);
            if ((rc = pc_tx_audit(ctx, &tx, 0, "portal.consent.sign", client_id, detail, now)) ==
                PC_OK)
                rc = pc_tx_commit(ctx, &tx);
        }
        pc_tx_end(&tx);
    }
    free(names_text);
    if (rc == PC_OK) *id = nid;
out:
    free(sig);
    free(text);
    json_decref(items);
    json_decref(names);
    return rc;
}

int pc_portal_consent_withdraw(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t consent_id,
                               const char *reason, int64_t now, const char **why)
{
    if (reason) {
        long n = plain_chars(reason);
        if (n < 0 || n > PC_SHORT_MAX) {
            if (why) *why = "reason";
            return pc_error(ctx, PC_ERR_INVALID, "reason: at most %d characters, one line",
                            PC_SHORT_MAX);
        }
    }
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    int64_t owner = 0, withdrawn = 0, wid = 0;
    if ((rc = pc_tx_portal_consent_owner(ctx, &tx, consent_id, &owner, &withdrawn)) != PC_OK)
        goto out;
    if (owner != client_id) {
        if (why) *why = "not_yours";
        rc = pc_error(ctx, PC_ERR_DENIED, "this consent is not yours");
        goto out;
    }
    if (withdrawn) {
        if (why) *why = "withdrawn";
        rc = pc_error(ctx, PC_ERR_CONFLICT, "this consent was withdrawn already");
        goto out;
    }
    char detail[48];
    snprintf(detail, sizeof detail, "consent %lld", (long long)consent_id);
    if ((rc = pc_tx_portal_withdrawal_insert(ctx, &tx, consent_id, client_id, reason, now, &wid)) !=
            PC_OK ||
        (rc = pc_tx_audit(ctx, &tx, 0, "portal.consent.withdraw", client_id, detail, now)) != PC_OK)
        goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}
