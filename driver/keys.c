/* SPDX-License-Identifier: MIT */
/* The host's WireGuard key pair: made once with libsodium, kept in a 0600 file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/keys.h"

void keys_wipe(struct keys *k)
{
	sodium_memzero(k, sizeof(*k));
}

void keys_b64(const uint8_t key[KEYS_LEN], char out[KEYS_B64_LEN])
{
	sodium_bin2base64(out, KEYS_B64_LEN, key, KEYS_LEN, sodium_base64_VARIANT_ORIGINAL);
}

int keys_from_b64(const char *s, uint8_t out[KEYS_LEN])
{
	uint8_t buf[KEYS_LEN];
	size_t len = 0;
	const char *end;

	if (!s || strlen(s) != KEYS_B64_LEN - 1 || s[KEYS_B64_LEN - 2] != '=')
		return -EINVAL;
	if (sodium_base642bin(buf, sizeof(buf), s, KEYS_B64_LEN - 1, NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || len != KEYS_LEN || *end)
		return -EINVAL;
	memcpy(out, buf, KEYS_LEN);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

static int write_secret(const char *path, const char *text, struct errbuf *e)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	size_t len = strlen(text), done = 0;
	int fd, dfd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return errbuf_set(e, -ENAMETOOLONG, "key file path too long");
	fd = mkostemp(tmp, O_CLOEXEC);		/* 0600 from the start */
	if (fd < 0)
		return errbuf_set(e, -errno, "could not create %s: %s", tmp, strerror(errno));
	while (done < len && ret == 0) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno != EINTR)
			ret = -errno;
		else if (n > 0)
			done += (size_t)n;
	}
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0) {
		unlink(tmp);
		return errbuf_set(e, ret, "could not write %s: %s", path, strerror(-ret));
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = 0;
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);		/* the rename is durable only after this */
		close(dfd);
	}
	return 0;
}

static int keys_create(const char *path, struct keys *out, struct errbuf *e)
{
	char line[KEYS_B64_LEN + 1];
	struct keys k;
	int ret;

	/* WireGuard's private key: 32 random bytes, clamped as X25519 wants them. */
	randombytes_buf(k.priv, sizeof(k.priv));
	k.priv[0] &= 248;
	k.priv[31] = (uint8_t)((k.priv[31] & 127) | 64);
	if (crypto_scalarmult_base(k.pub, k.priv) != 0) {
		keys_wipe(&k);
		return errbuf_set(e, -EIO, "could not derive the public key");
	}
	keys_b64(k.priv, line);
	line[KEYS_B64_LEN - 1] = '\n';
	line[KEYS_B64_LEN] = 0;
	ret = write_secret(path, line, e);
	sodium_memzero(line, sizeof(line));
	if (ret == 0)
		*out = k;
	keys_wipe(&k);
	return ret;
}

int keys_load_or_create(const char *path, struct keys *out, struct errbuf *e)
{
	char buf[128];
	struct keys k;
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	if (sodium_init() < 0)
		return errbuf_set(e, -EIO, "libsodium could not be initialised");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return keys_create(path, out, e);
	if (fd < 0)
		return errbuf_set(e, -errno, "could not open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errbuf_set(e, -EINVAL, "%s is not a regular file", path);
	}
	if (st.st_mode & 077)
		fchmod(fd, 0600);	/* someone loosened it: a private key is for root only */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return errbuf_set(e, -errno, "could not read %s: %s", path, strerror(errno));
	buf[n] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	if (keys_from_b64(buf, k.priv) < 0)
		ret = errbuf_set(e, -EINVAL, "%s does not hold a base64 WireGuard private key",
				 path);
	else if (crypto_scalarmult_base(k.pub, k.priv) != 0)
		ret = errbuf_set(e, -EINVAL, "%s holds an invalid private key", path);
	sodium_memzero(buf, sizeof(buf));
	if (ret == 0)
		*out = k;
	keys_wipe(&k);
	return ret;
}
