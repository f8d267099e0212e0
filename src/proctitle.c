/*
 * proctitle: reuse the contiguous argv + environment area for the title.
 * The environment is first copied to the heap so getenv() keeps working.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proctitle.h"

extern char **environ;

static char	*title_start;
static size_t	 title_len;

void
proctitle_init(int argc, char *argv[])
{
	char *end, **env;
	int i, n;

	if (argc == 0 || argv[0] == NULL)
		return;
	end = argv[0] + strlen(argv[0]) + 1;
	for (i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	for (n = 0; environ[n] != NULL; n++)
		;
	if ((env = calloc((size_t)n + 1, sizeof(*env))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;
		if ((env[i] = strdup(environ[i])) == NULL) {
			while (i-- > 0)
				free(env[i]);
			free(env);
			return;		/* keep the original title */
		}
	}
	environ = env;
	/* argv[] itself is copied by main's callers if they need it. */
	title_start = argv[0];
	title_len = (size_t)(end - argv[0]);
}

void
proctitle_set(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (title_start == NULL || title_len < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(title_start, title_len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 1 < title_len)
		memset(title_start + n + 1, '\0', title_len - (size_t)n - 1);
}
