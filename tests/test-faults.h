/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-faults.h - a full disk that shows only at fsync or close, on demand. Some file systems
 * (NFS, late allocation, thin provisioning) accept every write and report ENOSPC there, which
 * no local test file system does; a unit test including this header replaces fsync() and
 * close() in its own program to fail once, for a temporary file (".tmp." in its name) only.
 * Include it in one test file per program: it defines the two functions.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Set to an errno to make the next fsync() or close() of a temporary file fail with it. */
static int fault_fsync_errno, fault_close_errno;

static bool fault_is_temp_file(int fd)
{
	char link[64], target[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strstr(target, ".tmp.") != NULL;
}

int fsync(int fd)
{
	if (fault_fsync_errno && fault_is_temp_file(fd)) {
		errno = fault_fsync_errno;
		fault_fsync_errno = 0;
		return -1;
	}
	return (int)syscall(SYS_fsync, fd);
}

/* Like the kernel's close on a late write error: the descriptor is gone all the same. */
int close(int fd)
{
	if (fault_close_errno && fault_is_temp_file(fd)) {
		int e = fault_close_errno;

		fault_close_errno = 0;
		(void)syscall(SYS_close, fd);
		errno = e;
		return -1;
	}
	return (int)syscall(SYS_close, fd);
}
