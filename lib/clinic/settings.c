/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The clinic's profile (issue 17.7): its name, address, phone, time zone and logo, what each may
 * be, and their change by an admin with its audit entry in one store transaction
 * (include/poreclear/clinic.h). The values live in the store's settings rows. */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "poreclear/clinic.h"
#include "poreclear/image.h"
#include "store/store_tx.h"

static const char K_NAME[] = "clinic.name", K_ADDRESS[] = "clinic.address",
                  K_PHONE[] = "clinic.phone", K_TZ[] = "clinic.time_zone", K_LOGO[] = "clinic.logo";

void pc_clinic_profile_clear(pc_clinic_profile *p)
{
    if (!p) return;
    free(p->logo);
    memset(p, 0, sizeof *p);
}

/* ---- what each member may be ---- */

bool pc_clinic_time_zone_known(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 63) return false;
    /* parts of [A-Za-z0-9_+-] separated by single slashes; no part starts with a dot, so
     * nothing leaves the zoneinfo folder */
    bool part_start = true;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (c == '/') {
            if (part_start) return false;
            part_start = true;
            continue;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-'))
            return false;
        part_start = false;
    }
    if (part_start) return false;
    const char *dir = getenv("TZDIR");
    char path[512];
    if (snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name) >=
        (int)sizeof path)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat sb;
    char magic[4];
    bool ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && read(fd, magic, 4) == 4 &&
              !memcmp(magic, "TZif", 4);
    close(fd);
    return ok;
}

int pc_clinic_logo_check(pc_ctx *ctx, const char *uri)
{
    static const struct {
        const char *prefix;
        pc_image_format format;
    } kinds[] = {{"data:image/png;base64,", PC_FORMAT_PNG},
                 {"data:image/jpeg;base64,", PC_FORMAT_JPEG}};
    const char *b64 = NULL;
    pc_image_format want = PC_FORMAT_UNKNOWN;
    for (size_t i = 0; uri && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strncmp(uri, kinds[i].prefix, strlen(kinds[i].prefix))) {
            b64 = uri + strlen(kinds[i].prefix);
            want = kinds[i].format;
        }
    if (!b64) return pc_error(ctx, PC_ERR_INVALID, "logo: must be a PNG or JPEG image");
    size_t len = strlen(b64);
    if (len > (PC_CLINIC_LOGO_MAX + 2) / 3 * 4)
        return pc_error(ctx, PC_ERR_INVALID, "logo: the image is larger than %u KiB",
                        PC_CLINIC_LOGO_MAX >> 10);
    unsigned char *bin = malloc(PC_CLINIC_LOGO_MAX);
    if (!bin) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    size_t n = 0;
    const char *end = NULL;
    int rc = PC_OK;
    pc_image *img = NULL;
    if (sodium_base642bin(bin, PC_CLINIC_LOGO_MAX, b64, len, NULL, &n, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + len || n == 0) {
        rc = pc_error(ctx, PC_ERR_INVALID, "logo: not valid base64");
        goto out;
    }
    if (pc_image_sniff(bin, n) != want) {
        rc = pc_error(ctx, PC_ERR_INVALID, "logo: the file is not the %s it claims to be",
                      want == PC_FORMAT_PNG ? "PNG" : "JPEG");
        goto out;
    }
    pc_image_info info;
    pc_ctx ictx;
    pc_ctx_init(&ictx);
    if (pc_image_probe(&ictx, bin, n, &info) != PC_OK) {
        rc = pc_error(ctx, PC_ERR_INVALID, "logo: %s", pc_errmsg(&ictx));
        goto out;
    }
    if (info.width > PC_CLINIC_LOGO_SIDE || info.height > PC_CLINIC_LOGO_SIDE) {
        rc = pc_error(ctx, PC_ERR_INVALID, "logo: %llux%llu pixels; at most %d a side",
                      (unsigned long long)info.width, (unsigned long long)info.height,
                      PC_CLINIC_LOGO_SIDE);
        goto out;
    }
    if (pc_image_decode(&ictx, bin, n, &img) != PC_OK) /* it must decode whole */
        rc = pc_error(ctx, PC_ERR_INVALID, "logo: %s", pc_errmsg(&ictx));
out:
    pc_image_free(img);
    free(bin);
    return rc;
}

/* A text member: fits its buffer and has no control character (address: line breaks allowed). */
static int text_ok(pc_ctx *ctx, const char *what, const char *s, size_t cap, bool lines)
{
    size_t n = strnlen(s, cap);
    if (n >= cap) return pc_error(ctx, PC_ERR_INVALID, "%s: too long", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 || c == 0x7f) && !(lines && (c == '\n' || c == '\r')))
            return pc_error(ctx, PC_ERR_INVALID, "%s: must not contain control characters", what);
    }
    return PC_OK;
}

int pc_clinic_profile_check(pc_ctx *ctx, const pc_clinic_profile *p)
{
    int rc;
    if ((rc = text_ok(ctx, "name", p->name, sizeof p->name, false)) != PC_OK ||
        (rc = text_ok(ctx, "address", p->address, sizeof p->address, true)) != PC_OK ||
        (rc = text_ok(ctx, "phone", p->phone, sizeof p->phone, false)) != PC_OK ||
        (rc = text_ok(ctx, "time_zone", p->time_zone, sizeof p->time_zone, false)) != PC_OK)
        return rc;
    if (p->time_zone[0] && !pc_clinic_time_zone_known(p->time_zone))
        return pc_error(ctx, PC_ERR_INVALID,
                        "time_zone: \"%.63s\" is not a time zone of this system (an IANA name "
                        "such as Europe/Madrid)",
                        p->time_zone);
    if (p->logo && p->logo[0]) return pc_clinic_logo_check(ctx, p->logo);
    return PC_OK;
}

/* ---- the profile in the store ---- */

/* Inside tx: the stored value of key into dst (cap bytes; "" when never set). */
static int read_text(pc_ctx *ctx, pc_tx *tx, const char *key, char *dst, size_t cap,
                     pc_clinic_profile *p)
{
    char *v = NULL;
    int64_t at = 0, by = 0;
    int rc = pc_tx_setting_get(ctx, tx, key, &v, &at, &by);
    if (rc != PC_OK) return rc;
    if (dst) snprintf(dst, cap, "%s", v ? v : "");
    if (at > p->updated_at) {
        p->updated_at = at;
        p->updated_by = by;
    }
    if (!dst) {
        if (v && !v[0]) {
            free(v);
            v = NULL;
        }
        p->logo = v; /* the logo, owned by the profile */
        return PC_OK;
    }
    free(v);
    return PC_OK;
}

static int read_profile(pc_ctx *ctx, pc_tx *tx, pc_clinic_profile *p)
{
    memset(p, 0, sizeof *p);
    int rc;
    if ((rc = read_text(ctx, tx, K_NAME, p->name, sizeof p->name, p)) != PC_OK ||
        (rc = read_text(ctx, tx, K_ADDRESS, p->address, sizeof p->address, p)) != PC_OK ||
        (rc = read_text(ctx, tx, K_PHONE, p->phone, sizeof p->phone, p)) != PC_OK ||
        (rc = read_text(ctx, tx, K_TZ, p->time_zone, sizeof p->time_zone, p)) != PC_OK ||
        (rc = read_text(ctx, tx, K_LOGO, NULL, 0, p)) != PC_OK)
        pc_clinic_profile_clear(p);
    return rc;
}

int pc_clinic_profile_get(pc_ctx *ctx, pc_store *s, pc_clinic_profile *out)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    pc_clinic_profile p;
    rc = read_profile(ctx, &tx, &p);
    pc_tx_end(&tx);
    if (rc == PC_OK) *out = p;
    return rc;
}

static bool same(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

int pc_clinic_profile_set(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_clinic_profile *p,
                          bool keep_logo, int64_t now, const char **why)
{
    if (why) *why = NULL;
    if (!pc_clinic_user_allows(who, PC_DO_CHAIN_ADMIN)) {
        if (why) *why = "forbidden";
        return pc_error(ctx, PC_ERR_DENIED,
                        "only a chain administrator may change the clinic's settings");
    }
    int rc = pc_clinic_profile_check(ctx, p);
    if (rc != PC_OK) return rc;
    pc_clinic_profile old;
    memset(&old, 0, sizeof old);
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    if ((rc = read_profile(ctx, &tx, &old)) != PC_OK) goto out;
    const struct {
        const char *key, *what, *was, *now;
    } m[] = {{K_NAME, "name", old.name, p->name},
             {K_ADDRESS, "address", old.address, p->address},
             {K_PHONE, "phone", old.phone, p->phone},
             {K_TZ, "time zone", old.time_zone, p->time_zone},
             {K_LOGO, "logo", old.logo, keep_logo ? old.logo : p->logo}};
    char detail[96] = "";
    size_t dl = 0;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        if (same(m[i].was, m[i].now)) continue;
        if ((rc = pc_tx_setting_put(ctx, &tx, m[i].key, m[i].now, who->id, now)) != PC_OK) goto out;
        int w = snprintf(detail + dl, sizeof detail - dl, "%s%s", dl ? ", " : "", m[i].what);
        if (w > 0 && (size_t)w < sizeof detail - dl) dl += (size_t)w;
    }
    if (!dl) goto out; /* nothing changed: nothing to write or audit */
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "settings.update", 0, detail, now)) != PC_OK) goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    pc_clinic_profile_clear(&old);
    return rc;
}
