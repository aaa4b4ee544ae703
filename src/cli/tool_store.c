/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear store — the database itself: bring a clinic chain's PostgreSQL schema up to date
 * with the owner's address (the app's role may not create tables), and copy a SQLite clinic
 * into a chain's database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "poreclear/clinic.h"
#include "poreclear/store.h"
#include "tool_cmds.h"
#include "tool_util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: poreclear store migrate [--db postgresql://OWNER...] [--data DIR]\n"
               "       poreclear store copy --from DIR --to postgresql://OWNER... [--site NAME]\n"
               "                            [--rename-users SUFFIX] [--data DIR]\n\n"
               "  migrate    create or update the schema (run it with the database owner's\n"
               "             address; `serve` then runs as the app's role poreclear_app,\n"
               "             which may not create tables). Prints the schema version.\n"
               "  copy       copy the SQLite clinic in --from (records, photos, the audit log,\n"
               "             signatures bit for bit) into the database --to, in one\n"
               "             transaction, the counts verified; the photo files go into the\n"
               "             database. Into an empty database the ids are kept; into a chain\n"
               "             that holds other clinics (--site needed) every id is renumbered\n"
               "             and the clinic becomes that site. Prints the rows per table and\n"
               "             the audit entry naming the copy (the ids' offsets).\n"
               "  --site NAME  copy under that site: the clinic's one site takes the name;\n"
               "             a site of that name that already has records is refused\n"
               "  --rename-users SUFFIX  append SUFFIX (a-z 0-9 . _ -) to the clinic's staff\n"
               "             and client usernames the chain has already (else refused)\n"
               "  --db URL   the database (default $PORECLEAR_DB, else SQLite in --data)\n"
               "  --data DIR the data folder (default $XDG_DATA_HOME/poreclear or\n"
               "             ~/.local/share/poreclear)\n"
               "The address may hold a password; it is never printed.\n");
}

int tool_store(int argc, char **argv)
{
    const char *cmd = NULL, *data = NULL, *db = getenv("PORECLEAR_DB"), *from = NULL, *site = NULL,
               *suffix = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return TOOL_EXIT_OK;
        } else if ((!strcmp(a, "--db") || !strcmp(a, "--to") || !strcmp(a, "--data") ||
                    !strcmp(a, "--from") || !strcmp(a, "--site") || !strcmp(a, "--rename-users")) &&
                   i + 1 < argc) {
            if (!strcmp(a, "--db") || !strcmp(a, "--to"))
                db = argv[++i];
            else if (!strcmp(a, "--from"))
                from = argv[++i];
            else if (!strcmp(a, "--site"))
                site = argv[++i];
            else if (!strcmp(a, "--rename-users"))
                suffix = argv[++i];
            else
                data = argv[++i];
        } else if (a[0] != '-' && !cmd) {
            cmd = a;
        } else {
            tool_error("store", "%s: unknown option or missing value (try --help)", a);
            return TOOL_EXIT_USAGE;
        }
    }
    bool copy = cmd && !strcmp(cmd, "copy");
    if (!cmd || (strcmp(cmd, "migrate") != 0 && !copy)) {
        tool_error("store", "%s: unknown subcommand (migrate, copy)", cmd ? cmd : "(none)");
        return TOOL_EXIT_USAGE;
    }
    if (copy && (!from || !db || !*db)) {
        tool_error("store", "copy: --from DIR and --to postgresql://... are both needed");
        return TOOL_EXIT_USAGE;
    }
    if (site) { /* the clinic's rules of a site's name */
        pc_site x = {0};
        pc_ctx sctx;
        pc_ctx_init(&sctx);
        snprintf(x.name, sizeof x.name, "%s", site);
        if (strlen(site) >= sizeof x.name || pc_clinic_site_check(&sctx, &x) != PC_OK) {
            tool_error("store", "--site: %s", pc_errmsg(&sctx)[0] ? pc_errmsg(&sctx) : "too long");
            return TOOL_EXIT_USAGE;
        }
    }
    if (suffix && (strlen(suffix) > 32 || !pc_username_valid(suffix))) {
        tool_error("store", "--rename-users: 1 to 32 of a-z, 0-9 and . _ -");
        return TOOL_EXIT_USAGE;
    }
    char data_buf[4096];
    if (!data) {
        if (!pc_store_default_dir(data_buf, sizeof data_buf)) {
            tool_error("store", "no --data and neither XDG_DATA_HOME nor HOME is set");
            return TOOL_EXIT_USAGE;
        }
        data = data_buf;
    }
    umask(077);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store_options o = {.pool_size = 1, .db = db};
    pc_store *s = NULL, *src = NULL;
    if (pc_store_open(&ctx, data, &o, &s) != PC_OK)
        return tool_fail(&ctx, db && *db ? "database" : data);
    if (!copy) {
        printf("schema version %d\n", pc_store_schema_version(s));
        pc_store_close(s);
        return TOOL_EXIT_OK;
    }
    int code = TOOL_EXIT_OK;
    pc_store_options so = {.pool_size = 1};
    pc_copy_report rep;
    if (pc_store_open(&ctx, from, &so, &src) != PC_OK) {
        code = tool_fail(&ctx, from);
    } else if (pc_store_copy(
                   &ctx, src, s,
                   &(pc_copy_options){.site = site, .rename_suffix = suffix, .source = from},
                   &rep) != PC_OK) {
        code = tool_fail(&ctx, "copy");
    } else {
        for (size_t i = 0; i < rep.n; i++)
            printf("%-12s %lld\n", rep.table[i], (long long)rep.rows[i]);
        printf("%-12s %lld\n", "photo files", (long long)rep.files);
        printf("audit: %s\n", rep.detail);
        pc_copy_report_free(&rep);
    }
    pc_store_close(src);
    pc_store_close(s);
    return code;
}
