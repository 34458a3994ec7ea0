/* Included inside prov_cmds[] in main.c: one line per command, in help order. */
/* clang-format off */
/* clang-format on */
