/* child.c: the signal state a child of wgnetd starts with (child.h). */
#include "process/child.h"

#include <signal.h>
#include <stddef.h>

void child_reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int sig;

	/* dispositions first: a signal unblocked below must not run one of wgnetd's handlers */
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);	/* EINVAL for SIGKILL, SIGSTOP and libc's own: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
