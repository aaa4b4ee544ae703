/* poreclear analyze — placeholder until its issue lands. */
#include "tool_cmds.h"
#include "tool_util.h"

int tool_analyze(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tool_error("analyze", "not implemented yet");
    return TOOL_EXIT_FAIL;
}
