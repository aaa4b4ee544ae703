/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear plan — screen an intake against the protocol and print the treatment plan.
 * Exit: 0 ok/modified, 8 needs_review, 9 blocked, 4 malformed intake/assessment/protocol,
 * 3 unreadable file, 2 usage (docs/cli.md, docs/protocol.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "poreclear/protocol.h"
#include "tool_cmds.h"
#include "tool_util.h"

static void usage(FILE *f)
{
    fputs("usage: poreclear plan --intake FILE.json [--assessment ANALYSIS.json]\n"
          "                      [--protocol FILE] [--json]\n"
          "  Screens the intake against the treatment protocol (data/protocol.json) and prints\n"
          "  the plan: each step do / modify / skip with its parameters and reasons.\n"
          "  --assessment  the output of `poreclear analyze --json` (lesion counts)\n"
          "  --protocol    another protocol file (default: the shipped data/protocol.json)\n"
          "  --json        one JSON object (docs/protocol.md, \"The plan\")\n"
          "  exit: 0 ok or modified, 8 needs review, 9 blocked, 4 malformed input\n",
          f);
}

/* Load the protocol named by --protocol, else the shipped one. Shared with aftercare? No:
 * aftercare reads a plan. */
static int load_protocol(const char *path, pc_protocol **out)
{
    char buf[4096];
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (!path) {
        if (!tool_find_shipped("data", "protocol.json", buf, sizeof buf)) {
            tool_error(buf, "the protocol file is missing (set PORECLEAR_DATA or use --protocol)");
            return TOOL_EXIT_IO;
        }
        path = buf;
    }
    if (pc_protocol_load_file(&ctx, path, out)) {
        tool_error(NULL, "%s", pc_errmsg(&ctx));
        return tool_exit_code(ctx.status);
    }
    return TOOL_EXIT_OK;
}

static int read_file(const char *path, size_t cap, uint8_t **buf, size_t *len)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_file_read(&ctx, path, cap, buf, len)) return tool_fail(&ctx, path);
    return TOOL_EXIT_OK;
}

int tool_plan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"intake", required_argument, NULL, 'i'},   {"assessment", required_argument, NULL, 'a'},
        {"protocol", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *intake_path = NULL, *assess_path = NULL, *proto_path = NULL;
    int json = 0, c, rc;
    pc_protocol *proto = NULL;
    pc_plan *plan = NULL;
    uint8_t *intake = NULL, *assess = NULL;
    size_t intake_len = 0, assess_len = 0;
    char *text = NULL;
    pc_ctx ctx;
    pc_ctx_init(&ctx);

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            intake_path = optarg;
            break;
        case 'a':
            assess_path = optarg;
            break;
        case 'p':
            proto_path = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            usage(stdout);
            return TOOL_EXIT_OK;
        default:
            usage(stderr);
            return TOOL_EXIT_USAGE;
        }
    }
    if (!intake_path || optind != argc) {
        if (!intake_path)
            tool_error("plan", "--intake FILE.json is required");
        else
            tool_error("plan", "unexpected argument \"%s\"", argv[optind]);
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    if ((rc = load_protocol(proto_path, &proto))) goto out;
    if ((rc = read_file(intake_path, PC_INTAKE_MAX_BYTES, &intake, &intake_len))) goto out;
    if (assess_path && (rc = read_file(assess_path, PC_ASSESSMENT_MAX_BYTES, &assess, &assess_len)))
        goto out;
    if (pc_plan_build(&ctx, proto, (const char *)intake, intake_len, (const char *)assess,
                      assess_len, &plan)) {
        /* assessment errors carry their own "assessment: " prefix */
        const char *msg = pc_errmsg(&ctx);
        if (assess_path && strncmp(msg, "assessment: ", 12) == 0)
            tool_error(assess_path, "%s", msg + 12);
        else
            tool_error(intake_path, "%s", msg);
        rc = tool_exit_code(ctx.status);
        goto out;
    }
    if ((json ? pc_plan_to_json(&ctx, plan, 1, &text) : pc_plan_to_text(&ctx, plan, &text))) {
        rc = tool_fail(&ctx, "plan");
        goto out;
    }
    fputs(text, stdout);
    if (json) fputc('\n', stdout);
    if (fflush(stdout) != 0) {
        tool_error("plan", "cannot write the output");
        rc = TOOL_EXIT_IO;
        goto out;
    }
    switch (pc_plan_get_status(plan)) {
    case PC_PLAN_NEEDS_REVIEW:
        rc = TOOL_EXIT_REVIEW;
        break;
    case PC_PLAN_BLOCKED:
        rc = TOOL_EXIT_BLOCKED;
        break;
    default:
        rc = TOOL_EXIT_OK;
        break;
    }
out:
    free(text);
    pc_plan_free(plan);
    pc_protocol_free(proto);
    free(intake);
    free(assess);
    return rc;
}
