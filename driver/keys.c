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

#include "driver/file_write.h"
#include "driver/keys.h"
#include "driver/log.h"

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

/* What file_write_* said of path: 1 (only the directory's fsync failed) counts as written. */
static int key_file_written(const char *path, int ret, const struct errbuf *we, struct errbuf *e)
{
	if (ret > 0)	/* renamed into place: the next start reads it */
		log_warn("%s written, but %s, ignoring", path, we->msg);
	else if (ret < 0)
		return errbuf_set(e, ret, "%s", we->msg);
	return 0;
}

static int write_secret(const char *path, const char *text, struct errbuf *e)
{
	struct errbuf we = { 0 };

	return key_file_written(path, file_write_atomic(path, text, strlen(text), &we), &we, e);
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
	int ret = keys_load(path, out, e);

	return ret == -ENOENT ? keys_create(path, out, e) : ret;
}

int keys_promote(const char *from, const char *to, struct errbuf *e)
{
	struct errbuf we = { 0 };

	return key_file_written(to, file_write_rename(from, to, &we), &we, e);
}

int keys_load(const char *path, struct keys *out, struct errbuf *e)
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
		return -ENOENT;
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
