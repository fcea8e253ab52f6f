/* SPDX-License-Identifier: MIT */
/*
 * hold_conns SOCKET N [busy]: a stuck client for the fault tests. Opens up to N connections to
 * the unix socket (it stops at the first one the kernel still refuses after 5 s: the server's
 * accept queue stayed full) and sends nothing; prints "open K" (K = how many
 * connected), then, once a second, "alive K" (how many the server has not closed), until all
 * are closed or it is killed. With "busy" it sends one byte on each connection every second,
 * so that none is ever idle (a request line that never ends).
 * A line "ask I PATH" on stdin sends a POST /PATH with an empty body on connection I (1..K);
 * the reply's status line is printed as "answer I <status line>".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* connect, waiting while the accept queue is full (EAGAIN) for the server to take one, at most
 * 5 s: a server that accepts nothing in 5 s has stopped accepting */
static int conn_connect(int fd, const struct sockaddr_un *sa)
{
	for (int tries = 0; tries < 500; tries++) {
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return 0;
		if (errno != EAGAIN)
			return -1;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	return -1;
}

static int conns_open(const char *path, int n, struct pollfd *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int k = 0;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

		if (fd < 0 || conn_connect(fd, &sa) < 0) {
			fprintf(stderr, "hold_conns: connection %d: %s\n", i + 1, strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
		p[k++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	return k;
}

/* "ask I PATH" from stdin; asked[I - 1] is set so that a reply is printed, not taken as a close */
static bool stdin_ask(struct pollfd *p, int k, bool *asked)
{
	char line[512], path[400], req[512];
	int i;

	if (!fgets(line, sizeof(line), stdin))
		return false;
	if (sscanf(line, "ask %d %399s", &i, path) != 2 || i < 1 || i > k || p[i - 1].fd < 0) {
		fprintf(stderr, "hold_conns: bad command: %s", line);
		return true;
	}
	snprintf(req, sizeof(req), "POST /%s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", path);
	if (send(p[i - 1].fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		fprintf(stderr, "hold_conns: ask %d: %s\n", i, strerror(errno));
	asked[i - 1] = true;
	return true;
}

/* what arrived on connection i: a reply's status line, or the server closing it */
static void conn_read(struct pollfd *c, int i, bool *asked)
{
	char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n > 0 && asked[i]) {
		buf[n] = 0;
		buf[strcspn(buf, "\r\n")] = 0;
		printf("answer %d %s\n", i + 1, buf);
		fflush(stdout);
		asked[i] = false;
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	close(c->fd);		/* closed by the server (EOF), or data never asked for: gone */
	c->fd = -1;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	struct pollfd *p;
	bool *asked, busy = argc == 4 && strcmp(argv[3], "busy") == 0, in = true;
	int n, k, alive;
	time_t last = 0;

	if ((argc != 3 && !busy) || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path) ||
	    (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: hold_conns SOCKET N [busy]\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	p = calloc((size_t)n + 1, sizeof(*p));	/* the last one: stdin */
	asked = calloc((size_t)n, sizeof(*asked));
	if (!p || !asked) {
		free(p);
		free(asked);
		return 1;
	}
	k = conns_open(argv[1], n, p);
	printf("open %d\n", k);
	fflush(stdout);
	for (;;) {
		p[k] = (struct pollfd){ .fd = in ? 0 : -1, .events = POLLIN };
		if (poll(p, (nfds_t)k + 1, 1000) < 0 && errno != EINTR)
			break;
		if (p[k].revents)
			in = stdin_ask(p, k, asked);
		alive = 0;
		for (int i = 0; i < k; i++) {
			if (p[i].fd >= 0 && p[i].revents)
				conn_read(&p[i], i, asked);
			alive += p[i].fd >= 0;
		}
		if (time(NULL) == last)
			continue;
		last = time(NULL);
		for (int i = 0; busy && i < k; i++)
			if (p[i].fd >= 0 && send(p[i].fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
			    errno != EAGAIN) {
				close(p[i].fd);
				p[i].fd = -1;
			}
		printf("alive %d\n", alive);
		fflush(stdout);
		if (!alive)
			break;
	}
	free(asked);
	free(p);
	return 0;
}
