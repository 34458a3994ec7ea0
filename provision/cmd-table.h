/* Included inside prov_cmds[] in main.c: one line per command, in help order. */
/* clang-format off */
{ "net check",     cmd_net_check,  0, -1, CMD_SITE,              "[VLAN...]", "compare the VLAN bridges with the site file (exit 1: something differs)", NULL },
{ "net ensure",    cmd_net_ensure, 1, -1, CMD_SITE | CMD_DRYRUN, "VLAN...",   "create or repair VLAN bridges: VLAN link, bridge, forward delay 0, up", NULL },
	/* clang-format on */
