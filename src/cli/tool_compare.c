/* poreclear compare — placeholder until its issue lands. */
#include "tool_cmds.h"
#include "tool_util.h"

int tool_compare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tool_error("compare", "not implemented yet");
    return TOOL_EXIT_FAIL;
}
