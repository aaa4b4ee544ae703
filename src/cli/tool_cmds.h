/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The subcommands of the poreclear command: one file tool_<name>.c each. */
#ifndef TOOL_CMDS_H
#define TOOL_CMDS_H

int tool_analyze(int argc, char **argv);
int tool_synth(int argc, char **argv);
int tool_compare(int argc, char **argv);
int tool_plan(int argc, char **argv);
int tool_aftercare(int argc, char **argv);
int tool_ingredients(int argc, char **argv);
int tool_serve(int argc, char **argv);
int tool_user(int argc, char **argv);
int tool_store(int argc, char **argv);

#endif
