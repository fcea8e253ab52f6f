/* SPDX-License-Identifier: MIT */
/*
 * ready_wait SOCKET CMD [ARG...]: starts CMD (its stdout goes to our stderr) and polls the
 * plugin socket SOCKET every 0.5 ms until Plugin.Activate answers with NetworkDriver. Prints
 * "<milliseconds from the fork> <pid of CMD>" and leaves CMD running. bench/run times wgnetd's
 * start-up with it: a curl process per poll would cost more than the start-up itself.
 * If CMD exits or 10 s pass first: prints "- <pid>" and exits 1.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 10000
#define POLL_NS 500000L
#define REPLY_WAIT_MS 1000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 1 if the socket answers Activate as a network driver, 0 if not (yet) */
static int activate_answers(const struct sockaddr_un *sun)
{
	static const char req[] = "POST /Plugin.Activate HTTP/1.1\r\nHost: wgnet\r\n"
				  "Content-Length: 0\r\nConnection: close\r\n\r\n";
	char buf[2048];
	size_t len = 0;
	int fd, ok = 0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0 ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		goto out;
	while (len < sizeof(buf) - 1) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, REPLY_WAIT_MS) <= 0)
			break;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
		if (strstr(buf, "NetworkDriver")) {
			ok = 1;
			break;
		}
	}
out:
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	struct timespec tick = { .tv_nsec = POLL_NS };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	double t0;
	pid_t pid;
	int status;

	if (argc < 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: ready_wait SOCKET CMD [ARG...]\n");
		return 2;
	}
	memcpy(sun.sun_path, argv[1], strlen(argv[1]) + 1);
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("ready_wait: fork");
		return 1;
	}
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "ready_wait: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (now_ms() - t0 < TIMEOUT_MS) {
		if (activate_answers(&sun)) {
			printf("%.2f %d\n", now_ms() - t0, (int)pid);
			return 0;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "ready_wait: %s exited before its socket answered\n", argv[2]);
			printf("- %d\n", (int)pid);
			return 1;
		}
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, "ready_wait: %s did not answer in %d ms\n", argv[1], TIMEOUT_MS);
	printf("- %d\n", (int)pid);
	return 1;
}
