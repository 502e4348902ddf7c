/* SPDX-License-Identifier: Apache-2.0 */
/* util-file.c - replacing a file atomically: a full disk or a read-only folder leaves it as it was.
 */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int util_write_all(int fd, const void *data, size_t len)
{
	const char *buf = data;

	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_file_dir_open(const char *path)
{
	char *dir = util_strdup(path), *slash = strrchr(dir, '/');
	const char *d = ".";
	int fd;

	if (slash == dir)
		d = "/";
	else if (slash) {
		*slash = '\0';
		d = dir;
	}
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	free(dir);
	return fd;
}

/* fsync of the directory makes the rename itself durable. */
static int file_sync_dir(const char *path)
{
	int fd = util_file_dir_open(path), ret = 0;

	if (fd < 0)
		return fd;
	if (fsync(fd) < 0 && errno != EINVAL) /* EINVAL: the file system cannot sync dirs */
		ret = -errno;
	close(fd);
	return ret;
}

struct util_file {
	char *path, *tmp;
	int fd;
};

int util_file_begin(const char *path, mode_t mode, struct util_file **ret, struct util_err *err)
{
	struct util_file *f;
	struct stat st;
	int fd;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		mode = st.st_mode & 07777; /* keep what the user chose for an existing file */
	f = util_zalloc(sizeof(*f));
	f->tmp = util_asprintf("%s.tmp.XXXXXX", path);
	fd = mkostemp(f->tmp, O_CLOEXEC);
	if (fd < 0) {
		int r = util_err_set(err, errno, "%s: creating a temporary file: %s", path,
				     strerror(errno));

		free(f->tmp);
		free(f);
		return r;
	}
	f->fd = fd;
	f->path = util_strdup(path);
	if (fchmod(fd, mode) < 0) {
		int r = util_err_set(err, errno, "%s: chmod: %s", path, strerror(errno));

		util_file_abort(f);
		return r;
	}
	*ret = f;
	return 0;
}

int util_file_fd(const struct util_file *f)
{
	return f->fd;
}

void util_file_abort(struct util_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	(void)unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	free(f);
}

int util_file_commit(struct util_file *f, const void *buf, size_t len, struct util_err *err)
{
	const char *path = f->path;
	int ret;

	/*
	 * Every failure until the rename removes the temporary file: on a full disk (the write,
	 * or only the fsync or close on file systems that allocate late) the old file stays whole.
	 */
	ret = util_write_all(f->fd, buf, len);
	if (ret < 0) {
		ret = util_err_set(err, -ret, "%s: writing: %s", path, strerror(-ret));
		goto fail;
	}
	if (fsync(f->fd) < 0) {
		ret = util_err_set(err, errno, "%s: fsync: %s", path, strerror(errno));
		goto fail;
	}
	ret = close(f->fd);
	f->fd = -1;
	if (ret < 0) {
		ret = util_err_set(err, errno, "%s: closing: %s", path, strerror(errno));
		goto fail;
	}
	if (rename(f->tmp, path) < 0) {
		ret = util_err_set(err, errno, "%s: rename: %s", path, strerror(errno));
		goto fail;
	}
	ret = file_sync_dir(path);
	if (ret < 0)
		ret = util_err_set(err, -ret, "%s: fsync of the directory: %s", path,
				   strerror(-ret));
	free(f->tmp);
	free(f->path);
	free(f);
	return ret;
fail:
	util_file_abort(f);
	return ret;
}

int util_file_replace(const char *path, const void *buf, size_t len, mode_t mode,
		      struct util_err *err)
{
	struct util_file *f;
	int r = util_file_begin(path, mode, &f, err);

	return r < 0 ? r : util_file_commit(f, buf, len, err);
}
