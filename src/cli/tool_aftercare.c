/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear aftercare — aftercare instructions for a plan: readable text (or --json), and
 * optionally an iCalendar file (--ics) and a printable HTML handout (--html), written
 * atomically. Exit: 0 ok, 2 usage, 3 unreadable/unwritable file, 4 malformed or blocked plan. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/file.h"
#include "poreclear/aftercare.h"
#include "tool_cmds.h"
#include "tool_util.h"

static void usage(FILE *f)
{
    fputs("usage: poreclear aftercare --plan PLAN.json [--ics OUT.ics] [--html OUT.html] [--json]\n"
          "  PLAN.json is the output of `poreclear plan --json`.\n"
          "  Prints the aftercare (what to avoid until when, the daily routine, the rebooking\n"
          "  date); --ics writes an iCalendar file, --html a printable one-page handout.\n",
          f);
}

static int write_out(const char *path, const char *text)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_file_write_atomic(&ctx, path, text, strlen(text))) return tool_fail(&ctx, path);
    return TOOL_EXIT_OK;
}

/* The readable summary, from the JSON form (one source of truth). */
static void print_text(const char *json)
{
    json_t *root = json_loads(json, 0, NULL);
    if (!root) return;
    size_t i;
    json_t *v;
    printf("Aftercare for client %s, treated %s (%s skin)\n\nAvoid:\n",
           json_string_value(json_object_get(json_object_get(root, "client"), "id")),
           json_string_value(json_object_get(root, "visit_date")),
           json_string_value(json_object_get(json_object_get(root, "client"), "skin_type")));
    json_array_foreach(json_object_get(root, "avoid"), i, v)
        printf("  until %s  %s\n", json_string_value(json_object_get(v, "until")),
               json_string_value(json_object_get(v, "text")));
    printf("\nRoutine:\n");
    json_array_foreach(json_object_get(root, "routine"), i, v)
        printf("  %-17s %s (from %s)\n", json_string_value(json_object_get(v, "frequency")),
               json_string_value(json_object_get(v, "text")),
               json_string_value(json_object_get(v, "from")));
    printf("\nHabits:\n");
    json_array_foreach(json_object_get(root, "lifestyle"), i, v)
        printf("  %s\n", json_string_value(v));
    printf("\n%s\n", json_string_value(json_object_get(json_object_get(root, "rebook"), "text")));
    json_decref(root);
}

int tool_aftercare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"plan", required_argument, NULL, 'p'}, {"ics", required_argument, NULL, 'i'},
        {"html", required_argument, NULL, 'w'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    const char *plan_path = NULL, *ics_path = NULL, *html_path = NULL;
    int json = 0, c, rc;
    uint8_t *buf = NULL;
    size_t len = 0;
    pc_aftercare *ac = NULL;
    char *text = NULL, *ics = NULL, *html = NULL;
    pc_ctx ctx;
    pc_ctx_init(&ctx);

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            plan_path = optarg;
            break;
        case 'i':
            ics_path = optarg;
            break;
        case 'w':
            html_path = optarg;
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
    if (!plan_path || optind != argc) {
        if (!plan_path)
            tool_error("aftercare", "--plan PLAN.json is required");
        else
            tool_error("aftercare", "unexpected argument \"%s\"", argv[optind]);
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    if (pc_file_read(&ctx, plan_path, PC_PLAN_JSON_MAX_BYTES, &buf, &len)) {
        rc = tool_fail(&ctx, plan_path);
        goto out;
    }
    if (pc_aftercare_from_plan_json(&ctx, (const char *)buf, len, &ac) ||
        pc_aftercare_to_json(&ctx, ac, 1, &text) ||
        (ics_path && pc_aftercare_to_ics(&ctx, ac, 0, &ics)) ||
        (html_path && pc_aftercare_to_html(&ctx, ac, &html))) {
        rc = tool_fail(&ctx, plan_path);
        goto out;
    }
    /* Both files are prepared before either is written: nothing half-done on bad input. */
    if ((ics_path && (rc = write_out(ics_path, ics))) ||
        (html_path && (rc = write_out(html_path, html))))
        goto out;
    if (json)
        printf("%s\n", text);
    else
        print_text(text);
    rc = fflush(stdout) == 0 ? TOOL_EXIT_OK : TOOL_EXIT_IO;
out:
    free(buf);
    free(text);
    free(ics);
    free(html);
    pc_aftercare_free(ac);
    return rc;
}
