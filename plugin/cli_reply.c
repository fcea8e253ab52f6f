/* SPDX-License-Identifier: MIT */
/* Checks on the daemon's reply, hostile input until shown otherwise, and printing it safely. */
#include <string.h>

#include "plugin/cli.h"

/* Text from the daemon reaches a terminal: control bytes could move the cursor or worse. */
void cli_print_clean(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* One line on stderr; what may come from the daemon (its "Err"), so it is cleaned too. */
void cli_fail(const char *what, const char *detail)
{
	fputs("wgnet: ", stderr);
	cli_print_clean(stderr, what);
	if (detail) {
		fputs(": ", stderr);
		cli_print_clean(stderr, detail);
	}
	fputc('\n', stderr);
}

void cli_malformed(const json_error_t *jerr)
{
	fputs("wgnet: malformed reply from wgnetd: ", stderr);
	cli_print_clean(stderr, jerr->text);
	fputc('\n', stderr);
}

/* Printable, at most max bytes, and not empty unless allowed: all we need to show it safely. */
bool cli_text_len_ok(const char *s, size_t max, bool may_be_empty)
{
	size_t len = strlen(s), i;

	if (len > max || (len == 0 && !may_be_empty))
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

bool cli_text_ok(const char *s, bool may_be_empty)
{
	return cli_text_len_ok(s, CLI_TEXT_MAX, may_be_empty);
}

/* A host or peer name: [A-Za-z0-9._-]{1,63}. */
bool cli_name_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > CLI_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!cli_is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* Base64 of 32 bytes: 43 characters of the alphabet, then one '='. */
bool cli_key_ok(const char *s)
{
	size_t i;

	if (strlen(s) != CLI_KEY_LEN || s[CLI_KEY_LEN - 1] != '=')
		return false;
	for (i = 0; i < CLI_KEY_LEN - 1; i++)
		if (!cli_is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '+' && s[i] != '/')
			return false;
	return true;
}

/* The CLI checks the prefix only: the daemon parses the rest. */
bool cli_join_line_ok(const char *s)
{
	return strncmp(s, CLI_JOIN_PREFIX, strlen(CLI_JOIN_PREFIX)) == 0 &&
	       cli_text_len_ok(s, CLI_LINE_MAX, false);
}

bool cli_id_ok(const char *id)
{
	size_t i;

	if (strlen(id) != 64)
		return false;
	for (i = 0; i < 64; i++)
		if (!cli_is_digit(id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
			return false;
	return true;
}

bool cli_u16_ok(json_int_t v)
{
	return v >= 0 && v <= 65535;
}

void cli_print_json(json_t *root)
{
	if (json_dumpf(root, stdout, JSON_INDENT(2)) == 0)
		putchar('\n');
}
