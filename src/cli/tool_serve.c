/* poreclear serve — placeholder until its issue lands. */
#include "tool_cmds.h"
#include "tool_util.h"

int tool_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tool_error("serve", "not implemented yet");
    return TOOL_EXIT_FAIL;
}
