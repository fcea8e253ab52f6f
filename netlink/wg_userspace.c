/* SPDX-License-Identifier: MIT */
/*
 * wireguard-go itself, for when the kernel has no WireGuard: started detached in a process
 * group of its own, adopted when one already answers on <dir>/<ifname>.sock, its stale socket
 * removed, its pid read from the socket (SO_PEERCRED) so that a hung one can be replaced. What
 * is said over the socket is wg_uapi.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netlink/wg_uapi.h"
#include "netlink/wg_userspace.h"
#include "process/child.h"

#define START_TIMEOUT_MS 5000
#define START_POLL_MS 2		/* a failed connect is cheap; wireguard-go is up in ~20 ms */

extern char **environ;

/*
 * remove_stale: unlink a socket nobody listens on (never while one may be starting to).
 * *pid (when given): the process listening, once connected.
 */
static int probe(const char *dir, const char *ifname, bool remove_stale, unsigned timeout_ms,
		 pid_t *pid)
{
	struct sockaddr_un sun;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct stat st;
	int fd, ret;

	ret = wg_uapi_addr(dir, ifname, &sun);
	if (ret < 0)
		return ret;
	fd = wg_uapi_connect(&sun, timeout_ms);
	if (fd == -ENOENT)
		return 0;
	if (fd == -ECONNREFUSED) {
		/* only a socket: a file of that name that is not one is someone else's */
		if (!remove_stale || lstat(sun.sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
			return 0;
		if (unlink(sun.sun_path) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (fd < 0)
		return fd;
	if (pid && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		*pid = cred.pid;
	ret = wg_uapi_ping(fd);
	close(fd);
	return ret < 0 ? ret : 1;
}

int wg_userspace_probe(const char *dir, const char *ifname)
{
	return probe(dir, ifname, true, WG_UAPI_TIMEOUT_MS, NULL);
}

int wg_userspace_check(const char *dir, const char *ifname, unsigned timeout_ms, pid_t *pid)
{
	*pid = 0;
	return probe(dir, ifname, true, timeout_ms, pid);
}

/* Running, not a zombie: a process that is not our child is reaped by someone else. */
static bool process_alive(pid_t pid)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT && errno != ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	paren = strrchr(buf, ')');	/* the command name may hold anything */
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* environ with WG_PROCESS_FOREGROUND=1: built before fork, where malloc is still safe. */
static char **env_foreground(void)
{
	static const char fg[] = "WG_PROCESS_FOREGROUND=";
	size_t i, n = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0, n = 0; environ && environ[i]; i++)
		if (strncmp(environ[i], fg, sizeof(fg) - 1) != 0)
			env[n++] = environ[i];
	env[n] = (char *)"WG_PROCESS_FOREGROUND=1";
	return env;
}

static void write_int(int fd, int v)
{
	ssize_t n;

	do
		n = write(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
}

/*
 * The grandchild: async-signal-safe calls only, as the caller may have threads. It starts with
 * no blocked or ignored signals (a daemon's mask would make it deaf to SIGTERM) and no fds but
 * stdio; exec's errno goes back through exec_fd, which exec closes on success.
 */
static void __attribute__((noreturn)) exec_program(const char *program, const char *ifname,
						   char **env, int devnull, int exec_fd)
{
	char *argv[] = { (char *)program, (char *)"-f", (char *)ifname, NULL };

	child_reset_signals();
	if (dup2(devnull, STDIN_FILENO) < 0 || dup2(devnull, STDOUT_FILENO) < 0 ||
	    dup2(devnull, STDERR_FILENO) < 0) {
		write_int(exec_fd, errno);
		_exit(127);
	}
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execvpe(program, argv, env);
	write_int(exec_fd, errno);
	_exit(127);
}

/*
 * The child: a process group of its own (a Ctrl-C or hang-up meant for wgnetd's group does not
 * reach wireguard-go), then the grandchild, whose pid goes back through pid_fd. Not a session of
 * its own: with the scheduler's autogroups (CONFIG_SCHED_AUTOGROUP, on by default) every session
 * is a scheduling group, and wireguard-go alone in one got ~20% less CPU than in its starter's
 * (bench/README.md, "What each change bought").
 */
static void __attribute__((noreturn)) start_child(const char *program, const char *ifname,
						  char **env, int devnull, int pid_fd, int exec_fd)
{
	pid_t pid;

	if (setpgid(0, 0) < 0) {
		write_int(pid_fd, -errno);
		_exit(1);
	}
	pid = fork();
	if (pid < 0) {
		write_int(pid_fd, -errno);
		_exit(1);
	}
	if (pid == 0)
		exec_program(program, ifname, env, devnull, exec_fd);
	write_int(pid_fd, (int)pid);
	_exit(0);
}

static int read_int(int fd, int *v)
{
	ssize_t n;

	do
		n = read(fd, v, sizeof(*v));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(*v) ? 1 : 0;		/* 0: EOF (a short write cannot happen) */
}

/* Forks the detached process: its pid, or -errno if it could not be started. */
static int spawn(const char *program, const char *ifname)
{
	int pid_pipe[2] = { -1, -1 }, exec_pipe[2] = { -1, -1 };
	int devnull = -1, status, v, ret;
	char **env = NULL;
	pid_t child;

	env = env_foreground();
	if (!env)
		return -ENOMEM;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || pipe2(pid_pipe, O_CLOEXEC) < 0 || pipe2(exec_pipe, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	child = fork();
	if (child < 0) {
		ret = -errno;
		goto out;
	}
	if (child == 0)
		start_child(program, ifname, env, devnull, pid_pipe[1], exec_pipe[1]);
	close(pid_pipe[1]);
	close(exec_pipe[1]);
	pid_pipe[1] = exec_pipe[1] = -1;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	ret = read_int(pid_pipe[0], &v);
	if (ret == 0)
		ret = -ECHILD;			/* the child died without a word */
	if (ret < 0)
		goto out;
	if (v < 0) {
		ret = v;
		goto out;
	}
	/* EOF once exec succeeded; an errno if it did not */
	ret = read_int(exec_pipe[0], &status);
	if (ret == 1)
		ret = -status;
	else if (ret == 0)
		ret = v;
out:
	for (v = 0; v < 2; v++) {
		if (pid_pipe[v] >= 0)
			close(pid_pipe[v]);
		if (exec_pipe[v] >= 0)
			close(exec_pipe[v]);
	}
	if (devnull >= 0)
		close(devnull);
	free(env);
	return ret;
}

int wg_userspace_start(const char *program, const char *dir, const char *ifname, pid_t *pid)
{
	struct timespec ts = { .tv_nsec = START_POLL_MS * 1000000L };
	struct sockaddr_un sun;
	int ret, waited, child;

	ret = wg_uapi_addr(dir, ifname, &sun);
	if (ret < 0)
		return ret;
	ret = probe(dir, ifname, true, WG_UAPI_TIMEOUT_MS, NULL);	/* not over a live one */
	if (ret < 0)
		return ret;
	if (ret == 1)
		return -EEXIST;
	child = spawn(program ? program : "wireguard-go", ifname);
	if (child < 0)
		return child;
	for (waited = 0;; waited += START_POLL_MS) {
		/* never unlink here: between bind() and listen() its socket refuses connections */
		ret = probe(dir, ifname, false, WG_UAPI_TIMEOUT_MS, NULL);
		if (ret == 1)
			break;
		if (ret < 0 && ret != -ETIMEDOUT)
			goto fail;
		if (!process_alive(child)) {
			ret = -ESRCH;		/* it exited: the device or socket was refused */
			goto fail;
		}
		if (waited >= START_TIMEOUT_MS) {
			ret = -ETIMEDOUT;
			goto fail;
		}
		nanosleep(&ts, NULL);
	}
	*pid = child;
	return 0;
fail:
	if (process_alive(child))
		kill(child, SIGKILL);
	return ret;
}
