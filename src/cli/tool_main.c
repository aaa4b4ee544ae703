/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — the command-line face of the library: dispatches to one tool_<cmd>.c each. */
#include <stdio.h>
#include <string.h>

#include "../web/web.h"
#include "poreclear/common.h"
#include "tool_cmds.h"
#include "tool_util.h"

static const struct tool_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"analyze", tool_analyze, "analyse skin photos: findings, counts, 0-100 scores, overlay"},
    {"synth", tool_synth, "generate a synthetic skin photo with its exact ground truth"},
    {"compare", tool_compare, "before/after: align two photos and measure each benefit"},
    {"plan", tool_plan, "screen an intake for contraindications and build today's plan"},
    {"aftercare", tool_aftercare, "home routine and rebooking: handout and calendar file"},
    {"ingredients", tool_ingredients, "check a product label for pore-clogging ingredients"},
    {"serve", tool_serve, "run the clinic web app"},
    {"user", tool_user, "manage the web app's accounts (add, passwd, certify)"},
    {"store", tool_store, "the database: migrate a clinic chain's PostgreSQL schema"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: poreclear COMMAND [options]\n"
               "       poreclear COMMAND --help\n"
               "       poreclear --version | --license | --notices\n\n"
               "Software for the deep pore cleansing facial.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nExit codes: 0 ok, 1 failed, 2 usage, 3 file unreadable/unwritable, "
               "4 invalid input,\n5 over a size limit, 6 photo refused by the capture gate, "
               "7 photos cannot be aligned,\n8 plan needs review, 9 treatment blocked "
               "(see docs/cli.md).\n");
}

/* The version, the licence, the source offer (AGPL-3.0 section 13) and where the notices are
 * (docs/licensing.md). The first line stays "poreclear VERSION" for scripts. */
static void version(void)
{
    const char *url = web_source_url();
    printf("poreclear %s\n"
           "Licence: %s (%s); there is NO WARRANTY.\n"
           "Source: %s\n"
           "Notices: 'poreclear --license' prints the licence, 'poreclear --notices' the\n"
           "third-party libraries and their licences (LICENSE and THIRD-PARTY.md in the source);\n"
           "the web app shows both on its about page (/about).\n",
           PC_VERSION, WEB_LICENCE_ID, WEB_LICENCE_NAME,
           url ? url
               : "not set at build time (make SOURCE_URL=...); ask whoever gave you this copy");
}

/* A text compiled into the binary, on standard output (a full disk is an error, exit 3). */
static int print_text(const char *text, const char *what)
{
    if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
        tool_error(NULL, "cannot write %s to standard output", what);
        return TOOL_EXIT_IO;
    }
    return TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return TOOL_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        version();
        return TOOL_EXIT_OK;
    }
    if (!strcmp(cmd, "--license") || !strcmp(cmd, "--licence"))
        return print_text(web_license_text, "the licence");
    if (!strcmp(cmd, "--notices")) return print_text(web_notices_text, "the notices");
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(cmd, commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    tool_error(NULL, "unknown command '%s' (try 'poreclear --help')", cmd);
    return TOOL_EXIT_USAGE;
}
