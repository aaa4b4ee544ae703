/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Account rules (include/poreclear/clinic.h): user names, new passwords, and how passwords are
 * kept — argon2id through libsodium.
 *
 * Hashing cost: argon2id with opslimit 2 and memlimit 19 MiB (the OWASP password storage cheat
 * sheet's minimum argon2id setting, m=19 MiB t=2 p=1), about 30-60 ms on one core here; at
 * most PW_CONCURRENT hashes run at once in a process, so a flood of logins costs at most
 * PW_CONCURRENT x 19 MiB and cannot starve the server's other requests. */
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <string.h>

#include "poreclear/clinic.h"

#define PW_OPSLIMIT 2ull
#define PW_MEMLIMIT ((size_t)19 << 20)
#define PW_CONCURRENT 2

static sem_t pw_sem;
static pthread_once_t pw_once = PTHREAD_ONCE_INIT;
static bool pw_ready;
static char dummy_hash[crypto_pwhash_STRBYTES];

static void pw_init(void)
{
    if (sodium_init() < 0 || sem_init(&pw_sem, 0, PW_CONCURRENT) != 0) return;
    /* verified against when the user doesn't exist, so both answers take the same time */
    if (crypto_pwhash_str(dummy_hash, "not a password of anyone", 24, PW_OPSLIMIT, PW_MEMLIMIT))
        dummy_hash[0] = 0; /* verify then fails, as it should */
    pw_ready = true;
}

int pc_password_hash(pc_ctx *ctx, const char *password, char *out, size_t out_size)
{
    pthread_once(&pw_once, pw_init);
    if (!pw_ready) return pc_error(ctx, PC_ERR_INTERNAL, "libsodium cannot start");
    if (out_size < crypto_pwhash_STRBYTES) return pc_error(ctx, PC_ERR_INTERNAL, "hash buffer");
    sem_wait(&pw_sem);
    int rc = crypto_pwhash_str(out, password, strlen(password), PW_OPSLIMIT, PW_MEMLIMIT);
    sem_post(&pw_sem);
    if (rc != 0) return pc_error(ctx, PC_ERR_NOMEM, "cannot hash the password (out of memory)");
    return PC_OK;
}

bool pc_password_verify(const char *hash, const char *password)
{
    pthread_once(&pw_once, pw_init);
    if (!pw_ready || !password) return false;
    bool known = hash != NULL;
    sem_wait(&pw_sem);
    int rc = crypto_pwhash_str_verify(known ? hash : dummy_hash, password, strlen(password));
    sem_post(&pw_sem);
    return known && rc == 0;
}

int pc_password_random(pc_ctx *ctx, char out[17])
{
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    pthread_once(&pw_once, pw_init);
    if (!pw_ready) return pc_error(ctx, PC_ERR_INTERNAL, "libsodium cannot start");
    for (int i = 0; i < 16; i++)
        out[i] = alphabet[randombytes_uniform((uint32_t)(sizeof alphabet - 1))];
    out[16] = 0;
    return PC_OK;
}

const char *pc_password_weak(const char *password)
{
    size_t n = password ? strlen(password) : 0;
    if (n < PC_PASSWORD_MIN) return "must be at least 10 characters";
    if (n > PC_PASSWORD_MAX) return "must be at most 256 bytes";
    return NULL;
}

bool pc_username_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > PC_USERNAME_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}
