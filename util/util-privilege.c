/* SPDX-License-Identifier: Apache-2.0 */
/* util-privilege.c - drops to an unprivileged user, keeping only the capabilities capture needs. */
#include "util/util.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* libcap is not one of flowlock's dependencies; two capability words are all this needs. */
static int caps_set(uint64_t effective, uint64_t permitted)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].effective = (uint32_t)effective;
	data[1].effective = (uint32_t)(effective >> 32);
	data[0].permitted = (uint32_t)permitted;
	data[1].permitted = (uint32_t)(permitted >> 32);
	return (int)syscall(SYS_capset, &hdr, data);
}

int util_drop_privileges(const char *user, struct util_err *err)
{
	const uint64_t keep = (1ULL << CAP_NET_RAW) | (1ULL << CAP_NET_ADMIN);
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw)
		return util_err_set(err, errno ? errno : ENOENT, "--user %s: no such user", user);
	if (pw->pw_uid == 0)
		return util_err_set(err, EINVAL,
				    "--user %s: that is root; name an unprivileged user", user);

	/* The bounding set first: dropping from it needs CAP_SETPCAP, which is gone after. */
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return util_err_set(err, errno, "--user %s: dropping capability %d: %s",
					    user, cap, strerror(errno));
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return util_err_set(err, errno, "--user %s: keepcaps: %s", user, strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return util_err_set(err, errno, "--user %s: switching user: %s", user,
				    strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || caps_set(keep, keep) < 0)
		return util_err_set(err, errno, "--user %s: keeping CAP_NET_RAW/CAP_NET_ADMIN: %s",
				    user, strerror(errno));
	/* And never back: a setuid helper run later cannot give root again. */
	if (setuid(0) == 0)
		return util_err_set(err, EPERM, "--user %s: root could be regained", user);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return util_err_set(err, errno, "--user %s: no_new_privs: %s", user,
				    strerror(errno));
	return 0;
}
