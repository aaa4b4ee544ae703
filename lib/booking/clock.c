/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The clinic's wall clock (include/poreclear/booking.h): ISO 8601 times with offsets, civil
 * dates, and a time zone's wall clock through libical, which reads the system's zoneinfo
 * (Debian's tzdata) — the same zones the aftercare calendar uses. */
#include <libical/ical.h>
#include <stdio.h>
#include <string.h>

#include "poreclear/booking.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
int64_t pc_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void pc_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = mm;
    *d = dd;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

/* n digits at s into *v; false when one is not a digit */
static bool digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

bool pc_date_parse(const char *s, int *y, int *m, int *d)
{
    int yy, mm, dd;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    if (!digits(s, 4, &yy) || !digits(s + 5, 2, &mm) || !digits(s + 8, 2, &dd)) return false;
    if (yy < 1900 || yy > 9999 || mm < 1 || mm > 12 || dd < 1 || dd > days_in_month(yy, mm))
        return false;
    *y = yy;
    *m = mm;
    *d = dd;
    return true;
}

int pc_time_parse(pc_ctx *ctx, const char *s, int64_t *utc)
{
    int y, mo, d, h, mi, se = 0, oh = 0, om = 0, sign = 0;
    char date[11];
    size_t len = s ? strlen(s) : 0;
    if (len < 17 || len > 25) goto bad;
    memcpy(date, s, 10);
    date[10] = 0;
    if (!pc_date_parse(date, &y, &mo, &d)) goto bad;
    if (s[10] != 'T' || s[13] != ':' || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi)) goto bad;
    const char *p = s + 16;
    if (*p == ':') {
        if (!digits(p + 1, 2, &se)) goto bad;
        p += 3;
    }
    if (*p == 'Z' && p[1] == 0)
        sign = 0;
    else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' && digits(p + 1, 2, &oh) &&
             digits(p + 4, 2, &om))
        sign = *p == '+' ? 1 : -1;
    else
        goto bad;
    if (h > 23 || mi > 59 || se > 59 || oh > 14 || om > 59) goto bad;
    int64_t t = pc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    *utc = t - sign * (oh * 3600 + om * 60);
    return PC_OK;
bad:
    return pc_error(ctx, PC_ERR_INVALID,
                    "must be a date and time with its offset, like 2027-01-12T09:00:00+01:00");
}

bool pc_tz_valid(const char *name)
{
    if (!name || !name[0] || strlen(name) >= PC_TZ_MAX) return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '/' || *c == '_' || *c == '-' || *c == '+'))
            return false;
    if (!strcmp(name, "UTC")) return true;
    return icaltimezone_get_builtin_timezone(name) != NULL;
}

static icaltimezone *zone(pc_ctx *ctx, const char *tz)
{
    if (!pc_tz_valid(tz)) {
        pc_error(ctx, PC_ERR_INVALID, "time zone: \"%.63s\" is not an IANA time zone name",
                 tz ? tz : "");
        return NULL;
    }
    if (!strcmp(tz, "UTC")) return icaltimezone_get_utc_timezone();
    return icaltimezone_get_builtin_timezone(tz);
}

int pc_tz_to_local(pc_ctx *ctx, const char *tz, int64_t utc, pc_local *out)
{
    icaltimezone *z = zone(ctx, tz);
    if (!z) return ctx->status;
    struct icaltimetype t = icaltime_from_timet_with_zone((time_t)utc, 0, z);
    pc_local l = {t.year, t.month, t.day, t.hour, t.minute, t.second, 0, 0};
    int64_t days = pc_days_from_civil(l.year, l.month, l.day);
    l.wday = (int)(((days % 7) + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday (4) */
    l.offset_s = (int)(days * 86400 + l.hour * 3600 + l.minute * 60 + l.second - utc);
    *out = l;
    return PC_OK;
}

int pc_tz_from_local(pc_ctx *ctx, const char *tz, const pc_local *l, int64_t *utc)
{
    icaltimezone *z = zone(ctx, tz);
    if (!z) return ctx->status;
    struct icaltimetype t = icaltime_null_time();
    t.year = l->year;
    t.month = l->month;
    t.day = l->day;
    t.hour = l->hour;
    t.minute = l->minute;
    t.second = l->second;
    t.is_date = 0;
    int64_t u = (int64_t)icaltime_as_timet_with_zone(t, z);
    /* a time in the spring gap does not exist on that day's clock */
    pc_local back;
    if (pc_tz_to_local(ctx, tz, u, &back) != PC_OK) return ctx->status;
    if (back.hour != l->hour || back.minute != l->minute || back.day != l->day)
        return pc_error(ctx, PC_ERR_INVALID,
                        "%04d-%02d-%02d %02d:%02d does not exist in %s (the clocks change)",
                        l->year, l->month, l->day, l->hour, l->minute, tz);
    *utc = u;
    return PC_OK;
}

int pc_time_local_iso(pc_ctx *ctx, const char *tz, int64_t utc, char out[32])
{
    pc_local l;
    int rc = pc_tz_to_local(ctx, tz, utc, &l);
    if (rc != PC_OK) return rc;
    int off = l.offset_s < 0 ? -l.offset_s : l.offset_s;
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", l.year, l.month, l.day, l.hour,
             l.minute, l.second, l.offset_s < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
    return PC_OK;
}

int pc_time_local_date(pc_ctx *ctx, const char *tz, int64_t utc, char out[11])
{
    pc_local l;
    int rc = pc_tz_to_local(ctx, tz, utc, &l);
    if (rc != PC_OK) return rc;
    char buf[40];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", l.year % 10000, l.month % 100, l.day % 100);
    memcpy(out, buf, 10);
    out[10] = 0;
    return PC_OK;
}
