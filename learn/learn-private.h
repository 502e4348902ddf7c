/* SPDX-License-Identifier: Apache-2.0 */
/* learn-private.h - what learn/'s files share with their tests and no other module sees. */
#pragma once

#include "learn/learn.h"

/*
 * One checkpoint of the poll loop: a save that fails is said once, when saving starts to fail,
 * and once when it works again. For tests, which cannot wait for the loop's clock.
 */
void learn_agent_checkpoint(struct learn_agent *a);
