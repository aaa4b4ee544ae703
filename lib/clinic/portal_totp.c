/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The second factor of client accounts: TOTP (RFC 6238) over HOTP (RFC 4226). libsodium has
 * no SHA-1, which every authenticator application uses, so the HMACs are nettle's (Debian's
 * nettle-dev). tests/unit/test_store_portal.c checks RFC 6238 appendix B's vectors for SHA-1,
 * SHA-256 and SHA-512. */
#include <nettle/hmac.h>
#include <nettle/nettle-meta.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "poreclear/portal.h"

int pc_totp_hotp(pc_ctx *ctx, pc_totp_alg alg, const uint8_t *key, size_t key_len, uint64_t counter,
                 int digits, uint32_t *code)
{
    if (!key || key_len == 0) return pc_error(ctx, PC_ERR_INVALID, "totp: empty key");
    if (digits < 1 || digits > 9) return pc_error(ctx, PC_ERR_INVALID, "totp: digits 1..9");
    uint8_t msg[8], mac[SHA512_DIGEST_SIZE];
    size_t n;
    for (int i = 7; i >= 0; i--) { /* the counter, big-endian (RFC 4226 §5.2) */
        msg[i] = (uint8_t)(counter & 0xff);
        counter >>= 8;
    }
    const struct nettle_hash *hash = alg == PC_TOTP_SHA1     ? &nettle_sha1
                                     : alg == PC_TOTP_SHA256 ? &nettle_sha256
                                     : alg == PC_TOTP_SHA512 ? &nettle_sha512
                                                             : NULL;
    if (!hash) return pc_error(ctx, PC_ERR_INVALID, "totp: unknown algorithm");
    /* nettle's generic HMAC over the chosen hash: three contexts of the hash's size */
    struct hmac_sha512_ctx room; /* the largest of the three */
    _Static_assert(sizeof room.outer >= sizeof(struct sha1_ctx) &&
                       sizeof room.outer >= sizeof(struct sha256_ctx),
                   "SHA-512's context holds the others");
    hmac_set_key(&room.outer, &room.inner, &room.state, hash, key_len, key);
    hmac_update(&room.state, hash, sizeof msg, msg);
    n = hash->digest_size;
    hmac_digest(&room.outer, &room.inner, &room.state, hash, n, mac);
    sodium_memzero(&room, sizeof room);
    /* dynamic truncation (RFC 4226 §5.3) */
    unsigned off = mac[n - 1] & 0x0f;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    uint32_t mod = 1;
    for (int i = 0; i < digits; i++)
        mod *= 10;
    *code = bin % mod;
    sodium_memzero(mac, sizeof mac);
    return PC_OK;
}

int64_t pc_totp_step(int64_t t)
{
    return t < 0 ? 0 : t / PC_TOTP_STEP;
}

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void pc_totp_secret_new(uint8_t key[PC_TOTP_SECRET_BYTES], char b32[PC_TOTP_SECRET_CHARS + 1])
{
    randombytes_buf(key, PC_TOTP_SECRET_BYTES);
    /* 20 bytes = 160 bits = 32 groups of 5 bits: no padding */
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < PC_TOTP_SECRET_BYTES; i++) {
        acc = (acc << 8) | key[i];
        bits += 8;
        while (bits >= 5) {
            b32[o++] = B32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    b32[o] = 0;
}

bool pc_totp_b32_decode(const char *b32, uint8_t *out, size_t max, size_t *len)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (const char *c = b32; *c; c++) {
        int v;
        char ch = *c;
        if (ch == ' ' || ch == '=') continue;
        if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
        if (ch >= 'A' && ch <= 'Z')
            v = ch - 'A';
        else if (ch >= '2' && ch <= '7')
            v = ch - '2' + 26;
        else
            return false;
        acc = ((acc << 5) | (uint32_t)v) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            if (n >= max) return false;
            out[n++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    *len = n;
    return true;
}

bool pc_totp_verify(const uint8_t *key, size_t key_len, const char *code, int64_t now,
                    int64_t last_step, int64_t *matched_step)
{
    if (!code || strlen(code) != PC_TOTP_DIGITS) return false;
    uint32_t want = 0;
    for (const char *c = code; *c; c++) {
        if (*c < '0' || *c > '9') return false;
        want = want * 10 + (uint32_t)(*c - '0');
    }
    int64_t step = pc_totp_step(now);
    bool hit = false;
    int64_t at = 0;
    /* every candidate is computed (no early exit): the time does not say which one matched */
    for (int64_t d = -1; d <= 1; d++) {
        int64_t s = step + d;
        uint32_t got;
        if (s < 0 || pc_totp_hotp(NULL, PC_TOTP_SHA1, key, key_len, (uint64_t)s, PC_TOTP_DIGITS,
                                  &got) != PC_OK)
            continue;
        if (got == want && s > last_step && !hit) {
            hit = true;
            at = s;
        }
    }
    if (hit) *matched_step = at;
    return hit;
}

/* Percent-encode s (RFC 3986 unreserved characters kept) onto b. */
static void pct(pc_strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
            *c == '-' || *c == '.' || *c == '_' || *c == '~') {
            pc_strbuf_put(b, (const char *)c, 1);
        } else {
            char e[3] = {'%', hex[*c >> 4], hex[*c & 15]};
            pc_strbuf_put(b, e, 3);
        }
    }
}

int pc_totp_uri(pc_ctx *ctx, const char *issuer, const char *account, const char *b32, char **out)
{
    pc_strbuf b = {.max = 4096};
    pc_strbuf_puts(&b, "otpauth://totp/");
    pct(&b, issuer);
    pc_strbuf_puts(&b, ":");
    pct(&b, account);
    pc_strbuf_puts(&b, "?secret=");
    pc_strbuf_puts(&b, b32);
    pc_strbuf_puts(&b, "&issuer=");
    pct(&b, issuer);
    pc_strbuf_puts(&b, "&algorithm=SHA1&digits=6&period=30");
    char *s = pc_strbuf_finish(&b);
    if (!s) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    *out = s;
    return PC_OK;
}
