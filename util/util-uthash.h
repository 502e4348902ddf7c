/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util-uthash.h - <uthash.h> with flowlock's hash (util_hash()) and its tables' memory
 * (util_table_new()): included instead of <uthash.h> where tables are on the packet path.
 */
#pragma once

#include "util/util.h"

#define HASH_FUNCTION	     UTIL_HASH_FUNCTION
#define uthash_malloc(sz)    util_table_new(sz)
#define uthash_free(ptr, sz) util_table_free((ptr), (sz))
#define uthash_bzero(a, n)   ((void)(a), (void)(n)) /* util_table_new() gives zeroed memory */
#include <uthash.h>
