/* poreclear synth — placeholder until its issue lands. */
#include "tool_cmds.h"
#include "tool_util.h"

int tool_synth(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tool_error("synth", "not implemented yet");
    return TOOL_EXIT_FAIL;
}
