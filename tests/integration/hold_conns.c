/* SPDX-License-Identifier: MIT */
/*
 * hold_conns SOCKET N: a stuck client for the fault tests. Opens N connections to the unix
 * socket and sends nothing; prints "open K" (K = how many connected), then, once a second,
 * "alive K" (how many the server has not closed), until all are closed or it is killed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct rlimit rl;
	struct pollfd *p;
	int n, k = 0, alive;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path) || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: hold_conns SOCKET N\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	p = calloc((size_t)n, sizeof(*p));
	if (!p)
		return 1;
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "hold_conns: connection %d: %s\n", i + 1, strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
		p[k++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	printf("open %d\n", k);
	fflush(stdout);
	for (;;) {
		alive = 0;
		if (poll(p, (nfds_t)k, 1000) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < k; i++) {
			if (p[i].fd >= 0 && p[i].revents) {
				char c;

				/* the server closed it (EOF) or sent something: either way, gone */
				if (recv(p[i].fd, &c, 1, MSG_DONTWAIT) <= 0 || p[i].revents & POLLHUP) {
					close(p[i].fd);
					p[i].fd = -1;
				}
			}
			alive += p[i].fd >= 0;
		}
		printf("alive %d\n", alive);
		fflush(stdout);
		if (!alive)
			break;
	}
	free(p);
	return 0;
}
