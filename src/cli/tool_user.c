/* poreclear user — placeholder until its issue lands. */
#include "tool_cmds.h"
#include "tool_util.h"

int tool_user(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tool_error("user", "not implemented yet");
    return TOOL_EXIT_FAIL;
}
