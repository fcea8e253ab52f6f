/* child.h: what a forked child of wgnetd resets before exec. */
#ifndef WGNET_PROCESS_CHILD_H
#define WGNET_PROCESS_CHILD_H

/*
 * In a forked child, before exec: no blocked signals and every disposition back to the default
 * (an ignored signal stays ignored across exec; wgnetd ignores SIGPIPE and blocks its stop
 * signals in every thread). Async-signal-safe, so it may run after fork in a threaded process.
 */
void child_reset_signals(void);

#endif
