/* poreclear aftercare — placeholder until its issue lands. */
#include "tool_cmds.h"
#include "tool_util.h"

int tool_aftercare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tool_error("aftercare", "not implemented yet");
    return TOOL_EXIT_FAIL;
}
