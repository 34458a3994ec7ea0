/* Included inside prov_cmds[] in main.c: one line per command, in help order. */
/* clang-format off */
{ "new-guest",     cmd_new_guest,  1,  1, CMD_SITE | CMD_DRYRUN, "NAME",      "create a guest: allocate, carve, format, network, configs, install, boot", new_guest_options },
{ "resume",        cmd_resume,     1,  1, CMD_SITE | CMD_DRYRUN, "NAME",      "continue a guest's pipeline after its last completed stage", resume_options },
{ "destroy",       cmd_destroy,    1,  1, CMD_SITE | CMD_DRYRUN, "NAME",      "stop a guest, wipe and free its partition, release MAC and IP, remove its configs", destroy_options },
{ "list",          cmd_list,       0,  0, CMD_SITE,              "",          "list the guests of the inventory", list_options },
{ "show",          cmd_show,       1,  1, CMD_SITE,              "NAME",      "show a guest, its stages and its events", NULL },
{ "render",        cmd_render,     1,  1, CMD_SITE | CMD_DRYRUN, "NAME",      "write a guest's install and boot configs (a preview: allocates nothing)", render_options },
{ "net check",     cmd_net_check,  0, -1, CMD_SITE,              "[VLAN...]", "compare the VLAN bridges with the site file (exit 1: something differs)", NULL },
{ "net ensure",    cmd_net_ensure, 1, -1, CMD_SITE | CMD_DRYRUN, "VLAN...",   "create or repair VLAN bridges: VLAN link, bridge, forward delay 0, up", NULL },
{ "lun list",      cmd_lun_list,   0, 0,  CMD_SITE,              "",          "each LUN of the site: size, label, partitions (name, PARTUUID, owner), free space", NULL },
{ "lun init",      cmd_lun_init,   1, 1,  CMD_SITE | CMD_DRYRUN, "DEV",       "put a GPT label on an empty LUN of the site", NULL },
{ "lun carve",     cmd_lun_carve,  1, 1,  CMD_SITE | CMD_DRYRUN, "DEV",       "pre-carve a layout of partitions named 'free'", lun_carve_options },
{ "disk prepare",  cmd_disk_prepare, 1, 1, CMD_SITE | CMD_DRYRUN, "NAME",     "allocate a partition for guest NAME, make ext4 and a swap file in it", disk_prepare_options },
{ "disk release",  cmd_disk_release, 1, 1, CMD_SITE | CMD_DRYRUN, "NAME",     "wipe guest NAME's partition and mark it free", NULL },
{ "template list",  cmd_template_list,  0, 0,  CMD_SITE,              "",          "list the guest templates, their files and whether they are valid", NULL },
{ "template show",  cmd_template_show,  1, 1,  CMD_SITE,              "NAME",      "show a template's values after extends:, and where each came from", NULL },
{ "template check", cmd_template_check, 1, -1, 0,                     "FILE...",   "check template files and print every error (exit 1 on any)", NULL },
	/* clang-format on */
