/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear user — manage the web app's accounts from the command line. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "poreclear/clinic.h"
#include "poreclear/store.h"
#include "tool_cmds.h"
#include "tool_util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: poreclear user add NAME --role ROLE [--display NAME] [--cert CERT]...\n"
            "                          [--password-stdin] [--data DIR]\n"
            "       poreclear user passwd NAME [--password-stdin] [--data DIR]\n"
            "       poreclear user certify NAME CERT... [--remove] [--data DIR]\n"
            "       poreclear user list [--data DIR]\n\n"
            "Roles: admin, practitioner, reception. Certifications: extraction, high_frequency,\n"
            "chemical_exfoliation. Without --password-stdin a one-time password is printed,\n"
            "which must be changed at the first login; with it, the first line of standard input\n"
            "is the password (at least 10 characters). --data defaults as for `serve`.\n");
}

/* The first line of stdin, without its newline, into buf. */
static bool read_password(char *buf, size_t n)
{
    if (!fgets(buf, (int)n, stdin)) return false;
    size_t len = strlen(buf);
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = 0;
    return true;
}

static void print_user(const pc_user *u)
{
    printf("%-16s %-13s %-8s ", u->username, pc_role_name(u->role),
           u->active ? "active" : "inactive");
    bool first = true;
    for (unsigned bit = 1; bit <= PC_CERT_ALL; bit <<= 1)
        if (u->certs & bit) {
            printf("%s%s", first ? "" : ",", pc_cert_name(bit));
            first = false;
        }
    if (first) printf("-");
    printf("%s  %s\n", u->must_change_password ? "  (one-time password)" : "", u->display_name);
}

int tool_user(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? TOOL_EXIT_USAGE : TOOL_EXIT_OK;
    }
    const char *cmd = argv[1];
    const char *data = NULL, *role = NULL, *display = NULL;
    const char *pos[8];
    size_t npos = 0;
    unsigned certs = 0;
    bool from_stdin = false, remove = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--password-stdin"))
            from_stdin = true;
        else if (!strcmp(a, "--remove"))
            remove = true;
        else if ((!strcmp(a, "--data") || !strcmp(a, "--role") || !strcmp(a, "--cert") ||
                  !strcmp(a, "--display")) &&
                 i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--data"))
                data = v;
            else if (!strcmp(a, "--role"))
                role = v;
            else if (!strcmp(a, "--display"))
                display = v;
            else {
                unsigned b = pc_cert_parse(v);
                if (!b) {
                    tool_error("user",
                               "--cert: '%s' is not extraction, high_frequency or "
                               "chemical_exfoliation",
                               v);
                    return TOOL_EXIT_USAGE;
                }
                certs |= b;
            }
        } else if (a[0] == '-') {
            tool_error("user", "%s: unknown option or missing value (try --help)", a);
            return TOOL_EXIT_USAGE;
        } else if (npos < 8) {
            pos[npos++] = a;
        } else {
            tool_error("user", "too many arguments");
            return TOOL_EXIT_USAGE;
        }
    }
    bool is_add = !strcmp(cmd, "add"), is_pw = !strcmp(cmd, "passwd"),
         is_cert = !strcmp(cmd, "certify"), is_list = !strcmp(cmd, "list");
    if (!is_add && !is_pw && !is_cert && !is_list) {
        tool_error("user", "unknown subcommand '%s' (add, passwd, certify, list)", cmd);
        return TOOL_EXIT_USAGE;
    }
    if ((is_list && npos != 0) || ((is_add || is_pw) && npos != 1) || (is_cert && npos < 2)) {
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    int role_id = 0;
    if (is_add && !(role_id = pc_role_parse(role))) {
        tool_error("user", "--role: must be admin, practitioner or reception");
        return TOOL_EXIT_USAGE;
    }
    if (is_cert)
        for (size_t i = 1; i < npos; i++) {
            unsigned b = pc_cert_parse(pos[i]);
            if (!b) {
                tool_error("user",
                           "'%s' is not extraction, high_frequency or "
                           "chemical_exfoliation",
                           pos[i]);
                return TOOL_EXIT_USAGE;
            }
            certs |= b;
        }
    char data_buf[4096];
    if (!data) {
        if (!pc_store_default_dir(data_buf, sizeof data_buf)) {
            tool_error("user", "no --data and neither XDG_DATA_HOME nor HOME is set");
            return TOOL_EXIT_USAGE;
        }
        data = data_buf;
    }
    /* the database holds health records: files only for this user (the folder is 0700) */
    umask(077);
    if (sodium_init() < 0) return TOOL_EXIT_FAIL;

    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store *s = NULL;
    int code = TOOL_EXIT_OK;
    int64_t now = (int64_t)time(NULL);
    char pw[1100] = "", hash[PC_PASSWORD_HASH_BYTES];
    /* the clinic chain's database when PORECLEAR_DB names one (as `serve` does) */
    const char *db = getenv("PORECLEAR_DB");
    pc_store_options sopts = {.db = db};
    if (pc_store_open(&ctx, data, &sopts, &s) != PC_OK)
        return tool_fail(&ctx, db && *db ? "database" : data);

    if (is_list) {
        pc_user *u = NULL;
        size_t n = 0;
        if (pc_store_user_list(&ctx, s, &u, &n) != PC_OK) {
            code = tool_fail(&ctx, "user list");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            print_user(&u[i]);
        free(u);
        goto out;
    }
    if (is_add || is_pw) {
        if (from_stdin) {
            if (!read_password(pw, sizeof pw)) {
                tool_error("user", "no password on standard input");
                code = TOOL_EXIT_INPUT;
                goto out;
            }
            const char *weak = pc_password_weak(pw);
            if (weak) {
                tool_error("user", "password: %s", weak);
                code = TOOL_EXIT_INPUT;
                goto out;
            }
        } else if (pc_password_random(&ctx, pw) != PC_OK) {
            code = tool_fail(&ctx, "password");
            goto out;
        }
        if (pc_password_hash(&ctx, pw, hash, sizeof hash) != PC_OK) {
            code = tool_fail(&ctx, "password");
            goto out;
        }
    }
    if (is_add) {
        pc_user u;
        memset(&u, 0, sizeof u);
        const char *name = pos[0];
        if (!pc_username_valid(name)) {
            tool_error("user", "'%s': a user name is 1-64 of a-z 0-9 . _ -", name);
            code = TOOL_EXIT_USAGE;
            goto out;
        }
        snprintf(u.username, sizeof u.username, "%s", name);
        snprintf(u.display_name, sizeof u.display_name, "%s", display ? display : name);
        u.role = role_id;
        u.certs = certs;
        u.active = true;
        u.must_change_password = !from_stdin;
        int64_t id;
        if (pc_store_user_create(&ctx, s, 0, &u, hash, now, &id) != PC_OK) {
            code = tool_fail(&ctx, "user add");
            goto out;
        }
        if (!from_stdin)
            printf("created user '%s'; one-time password: %s (change it at the first login)\n",
                   name, pw);
        else
            printf("created user '%s'\n", name);
        goto out;
    }
    pc_user u;
    if (pc_store_user_get_by_name(&ctx, s, pos[0], &u, NULL) != PC_OK) {
        code = tool_fail(&ctx, pos[0]);
        goto out;
    }
    if (is_pw) {
        if (pc_store_user_set_password(&ctx, s, 0, u.id, hash, !from_stdin, NULL, now) != PC_OK) {
            code = tool_fail(&ctx, "user passwd");
            goto out;
        }
        if (!from_stdin)
            printf("new one-time password for '%s': %s (change it at the first login)\n",
                   u.username, pw);
        else
            printf("password of '%s' changed\n", u.username);
        goto out;
    }
    /* certify */
    u.certs = remove ? (u.certs & ~certs) : (u.certs | certs);
    if (pc_store_user_update(&ctx, s, 0, &u, now) != PC_OK) {
        code = tool_fail(&ctx, "user certify");
        goto out;
    }
    print_user(&u);
out:
    sodium_memzero(pw, sizeof pw);
    pc_store_close(s);
    return code;
}
