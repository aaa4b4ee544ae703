/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear store — the database itself: bring a clinic chain's PostgreSQL schema up to date
 * with the owner's address (the app's role may not create tables). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "poreclear/store.h"
#include "tool_cmds.h"
#include "tool_util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: poreclear store migrate [--db postgresql://OWNER...] [--data DIR]\n\n"
               "  migrate    create or update the schema (run it with the database owner's\n"
               "             address; `serve` then runs as the app's role poreclear_app,\n"
               "             which may not create tables). Prints the schema version.\n"
               "  --db URL   the database (default $PORECLEAR_DB, else SQLite in --data)\n"
               "  --data DIR the data folder (default $XDG_DATA_HOME/poreclear or\n"
               "             ~/.local/share/poreclear)\n"
               "The address may hold a password; it is never printed.\n");
}

int tool_store(int argc, char **argv)
{
    const char *cmd = NULL, *data = NULL, *db = getenv("PORECLEAR_DB");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return TOOL_EXIT_OK;
        } else if ((!strcmp(a, "--db") || !strcmp(a, "--data")) && i + 1 < argc) {
            if (!strcmp(a, "--db"))
                db = argv[++i];
            else
                data = argv[++i];
        } else if (a[0] != '-' && !cmd) {
            cmd = a;
        } else {
            tool_error("store", "%s: unknown option or missing value (try --help)", a);
            return TOOL_EXIT_USAGE;
        }
    }
    if (!cmd || strcmp(cmd, "migrate") != 0) {
        tool_error("store", "%s: unknown subcommand (migrate)", cmd ? cmd : "(none)");
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
    pc_store *s = NULL;
    if (pc_store_open(&ctx, data, &o, &s) != PC_OK)
        return tool_fail(&ctx, db && *db ? "database" : data);
    printf("schema version %d\n", pc_store_schema_version(s));
    pc_store_close(s);
    return TOOL_EXIT_OK;
}
