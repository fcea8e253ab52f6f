/* SPDX-License-Identifier: MIT */
/*
 * wgnet's fixed accepts at the top of DOCKER-USER, through the iptables binary dockerd uses
 * (iptables-nft refuses tables that carry native nft rules). Always `-w`: dockerd may hold the
 * xtables lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netlink/iptables.h"
#include "process/child.h"

#define CHAIN "DOCKER-USER"
#define OUTPUT_MAX (16 << 20)		/* -S of a chain; far more than any real one */
#define ARGV_MAX 64
#define NRULES 4
#define LOCK_WAIT "2"			/* -w: seconds iptables waits for the xtables lock */
#define DEADLINE_MS 4000		/* then the child is killed, whatever it is doing */

struct output {
	char *buf;
	size_t len;
};

static int split_line(char *line, const char **argv, int max);

/* Our rules in chain order; the last one only with a tunnel interface. */
static int rule_argv(int k, const char *wg_ifname, const char **argv)
{
	static const char *const comment[] = { "-m", "comment", "--comment", IPTABLES_COMMENT };
	int n = 0;

	switch (k) {
	case 0:
		argv[n++] = "-i";
		argv[n++] = "wgb+";
		break;
	case 1:
	case 2:
		argv[n++] = "-o";
		argv[n++] = "wgb+";
		argv[n++] = "-m";
		argv[n++] = "conntrack";
		argv[n++] = "--ctstate";
		argv[n++] = k == 1 ? "RELATED,ESTABLISHED" : "DNAT";
		break;
	case 3:
		if (!wg_ifname)
			return 0;
		argv[n++] = "-i";
		argv[n++] = wg_ifname;
		argv[n++] = "-o";
		argv[n++] = "wgb+";
		break;
	default:
		return 0;
	}
	for (size_t i = 0; i < sizeof(comment) / sizeof(comment[0]); i++)
		argv[n++] = comment[i];
	argv[n++] = "-j";
	argv[n++] = "ACCEPT";
	return n;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Until EOF, or -ETIMEDOUT at the deadline (CLOCK_MONOTONIC, ms). */
static int read_all(int fd, struct output *out, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t cap = 0;
	char *p;
	ssize_t n;
	int r;

	for (;;) {
		if (out->len + 4096 + 1 > cap) {
			if (cap >= OUTPUT_MAX)
				return -EFBIG;
			cap = cap ? cap * 2 : 8192;
			p = realloc(out->buf, cap);
			if (!p)
				return -ENOMEM;
			out->buf = p;
		}
		r = poll(&pfd, 1, (int)(deadline > now_ms() ? deadline - now_ms() : 0));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = read(fd, out->buf + out->len, cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	out->buf[out->len] = 0;
	return 0;
}

/* The child: async-signal-safe calls only (wgnetd has threads); wgnetd's signal state reset. */
static void child_exec(const char *const *argv, int out_fd, int err_fd)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC), e;

	child_reset_signals();
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		goto fail;
	execvp(argv[0], (char *const *)argv);
fail:
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/*
 * Runs bin with args (stdin /dev/null, stdout and stderr into out when given): its exit status,
 * or -errno when it could not run (-ENOENT: no such binary), -ETIMEDOUT when it was still running
 * after DEADLINE_MS (it is killed: a held xtables lock or a hung child never holds us up).
 */
static int run(const char *bin, const char *const *args, int nargs, struct output *out)
{
	const char *argv[ARGV_MAX];
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	struct output discard = { 0 };
	int ret, status, exec_err = 0, argc = 0;
	ssize_t n;
	pid_t pid;

	if (nargs + 4 > ARGV_MAX)		/* bin, -w N, args, NULL */
		return -E2BIG;
	argv[argc++] = bin && bin[0] ? bin : "iptables";
	argv[argc++] = "-w";
	argv[argc++] = LOCK_WAIT;
	for (int i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	if (!out)
		out = &discard;

	if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (pid == 0)
		child_exec(argv, out_pipe[1], err_pipe[1]);
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;

	ret = read_all(out_pipe[0], out, now_ms() + DEADLINE_MS);
	close(out_pipe[0]);		/* a child still writing gets SIGPIPE, not a hang */
	out_pipe[0] = -1;
	if (ret == -ETIMEDOUT)
		kill(pid, SIGKILL);	/* hung (a lock, a stuck kernel call): never wait on it */
	do
		n = read(err_pipe[0], &exec_err, sizeof(exec_err));
	while (n < 0 && errno == EINTR);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			if (ret == 0)
				ret = -errno;
			goto out;
		}
	}
	if (ret < 0)
		goto out;
	if (n == (ssize_t)sizeof(exec_err) && exec_err > 0)
		ret = -exec_err;
	else if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else
		ret = -EINTR;		/* killed by a signal */
out:
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	free(discard.buf);
	return ret;
}

/*
 * An exit status that means failure, as -errno: 2 is iptables' "parameter problem", 4 its
 * "resource problem", which is the xtables lock still held by another program after -w.
 */
static int status_errno(int status)
{
	if (status < 0)
		return status;
	return status == 0 ? 0 : status == 2 ? -EINVAL : status == 4 ? -EBUSY : -EIO;
}

/* iptables -w -t filter <op> DOCKER-USER [pos] <rule k> */
static int run_rule(const char *bin, const char *op, const char *pos, int k, const char *wg)
{
	const char *args[ARGV_MAX] = { "-t", "filter", op, CHAIN };
	int n = 4;

	if (pos)
		args[n++] = pos;
	n += rule_argv(k, wg, args + n);
	return run(bin, args, n, NULL);
}

/*
 * 0 with the chain's -S listing in out, -ENOENT without the chain (exit status 1) or binary,
 * else -errno: a held xtables lock is -EBUSY, never taken for a missing chain.
 */
static int list_chain(const char *bin, struct output *out)
{
	static const char *const args[] = { "-t", "filter", "-S", CHAIN };
	int ret;

	ret = run(bin, args, 4, out);
	if (ret == 1)
		return -ENOENT;
	return status_errno(ret);
}

/* 1 if rule k is in the chain, 0 if not. */
static int rule_present(const char *bin, int k, const char *wg)
{
	int ret = run_rule(bin, "-C", NULL, k, wg);

	return ret == 0 ? 1 : ret == 1 ? 0 : status_errno(ret);
}

/*
 * have[k] = rule k is a line of the -S listing, word for word as iptables prints it back.
 * A rule not seen here is still asked about with -C: the listing only saves those calls.
 */
static int listed_rules(struct output *listing, const char *wg, bool have[NRULES])
{
	const char *argv[ARGV_MAX], *want[ARGV_MAX];
	char *line, *next;
	int n, nwant;

	for (line = listing->buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		n = split_line(line, argv, ARGV_MAX);
		if (n < 0)
			return n;
		if (n < 2 || strcmp(argv[0], "-A") != 0 || strcmp(argv[1], CHAIN) != 0)
			continue;
		for (int k = 0; k < NRULES; k++) {
			bool same;

			nwant = rule_argv(k, wg, want);
			if (nwant == 0 || nwant != n - 2)
				continue;
			same = true;
			for (int i = 0; i < nwant && same; i++)
				same = strcmp(want[i], argv[i + 2]) == 0;
			if (same) {
				have[k] = true;
				break;
			}
		}
	}
	return 0;
}

int iptables_docker_user_ensure(const char *iptables_bin, const char *wg_ifname)
{
	bool have[NRULES] = { false };
	struct output out = { 0 };
	char pos[16];
	int ret;

	ret = list_chain(iptables_bin, &out);
	if (ret == 0)
		ret = listed_rules(&out, wg_ifname, have);
	free(out.buf);
	if (ret < 0)
		return ret;
	for (int k = 0; k < NRULES; k++) {
		if (k == 3 && !wg_ifname)
			break;
		if (have[k])
			continue;
		ret = rule_present(iptables_bin, k, wg_ifname);
		if (ret < 0)
			return ret;
		if (ret)
			continue;
		/* rule k goes to position k + 1: ours stay first and in order */
		snprintf(pos, sizeof(pos), "%d", k + 1);
		ret = status_errno(run_rule(iptables_bin, "-I", pos, k, wg_ifname));
		if (ret < 0)
			return ret;
	}
	return 0;
}

int iptables_docker_user_present(const char *iptables_bin, const char *wg_ifname)
{
	struct output out = { 0 };
	int ret;

	ret = list_chain(iptables_bin, &out);
	free(out.buf);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	for (int k = 0; k < NRULES; k++) {
		if (k == 3 && !wg_ifname)
			break;
		ret = rule_present(iptables_bin, k, wg_ifname);
		if (ret <= 0)
			return ret;
	}
	return 1;
}

/*
 * Splits one -S line in place into argv: words separated by blanks, double quotes group
 * (iptables quotes a comment with blanks and escapes `"` and `\` inside with a backslash).
 */
static int split_line(char *line, const char **argv, int max)
{
	char *r = line, *w;
	int n = 0;

	for (;;) {
		bool quoted = false;

		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			return n;
		if (n == max)
			return -E2BIG;
		argv[n++] = w = r;
		for (; *r && (quoted || (*r != ' ' && *r != '\t')); r++) {
			if (*r == '"')
				quoted = !quoted;
			else if (quoted && *r == '\\' && r[1])
				*w++ = *++r;
			else
				*w++ = *r;
		}
		if (quoted)
			return -EINVAL;
		if (*r)
			r++;
		*w = 0;
	}
}

/* One -S FORWARD line into f: the policy, or a rule's -j target. */
static void forward_line(const char *const *argv, int n, struct iptables_forward *f)
{
	if (n == 3 && strcmp(argv[0], "-P") == 0 && strcmp(argv[1], "FORWARD") == 0) {
		f->policy_drop = strcmp(argv[2], "DROP") == 0;
		return;
	}
	if (n < 4 || strcmp(argv[0], "-A") != 0 || strcmp(argv[1], "FORWARD") != 0)
		return;
	for (int i = 2; i + 1 < n; i++) {
		if (strcmp(argv[i], "-j") != 0 && strcmp(argv[i], "-g") != 0)
			continue;
		if (strcmp(argv[i + 1], CHAIN) == 0)
			f->to_docker_user = true;
		else if (strncmp(argv[i + 1], "DOCKER", 6) == 0 && !f->docker_chain[0])
			snprintf(f->docker_chain, sizeof(f->docker_chain), "%s", argv[i + 1]);
	}
}

int iptables_forward_read(const char *iptables_bin, struct iptables_forward *out)
{
	static const char *const args[] = { "-t", "filter", "-S", "FORWARD" };
	struct iptables_forward f = { 0 };
	const char *argv[ARGV_MAX];
	struct output o = { 0 };
	char *line, *next;
	int ret, n;

	ret = status_errno(run(iptables_bin, args, 4, &o));
	for (line = o.buf; ret == 0 && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		n = split_line(line, argv, ARGV_MAX);
		if (n > 0)
			forward_line(argv, n, &f);
	}
	free(o.buf);
	if (ret == 0)
		*out = f;
	return ret;
}

static bool ours(const char *const *argv, int n)
{
	for (int i = 0; i + 1 < n; i++)
		if (strcmp(argv[i], "--comment") == 0 && strcmp(argv[i + 1], IPTABLES_COMMENT) == 0)
			return true;
	return false;
}

int iptables_docker_user_remove(const char *iptables_bin)
{
	const char *args[ARGV_MAX - 2] = { "-t", "filter", "-D" };
	struct output out = { 0 };
	char *line, *next;
	int ret, n;

	ret = list_chain(iptables_bin, &out);
	if (ret == -ENOENT) {
		ret = 0;
		goto out;
	}
	if (ret < 0)
		goto out;
	for (line = out.buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		/* "-A DOCKER-USER <rule>" becomes "-D DOCKER-USER <rule>" */
		n = split_line(line, args + 2, ARGV_MAX - 4);
		if (n < 0) {
			ret = n;
			goto out;
		}
		if (n < 2 || strcmp(args[2], "-A") != 0 || strcmp(args[3], CHAIN) != 0 ||
		    !ours(args + 4, n - 2))
			continue;
		args[2] = "-D";
		ret = status_errno(run(iptables_bin, args, n + 2, NULL));
		if (ret < 0)
			goto out;
	}
out:
	free(out.buf);
	return ret;
}
