/* SPDX-License-Identifier: MIT */
/* driver/mtu.c: the WireGuard MTU for an underlay MTU (the derivation's integration test is
 * tests/integration/test_mtu.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "driver/mtu.h"

static void test_for_underlay(void **state)
{
	static const unsigned cases[][2] = {
		{ 1500, 1420 },		/* Ethernet: WireGuard's usual 1420 */
		{ 1492, 1412 },		/* PPPoE */
		{ 1460, 1380 },		/* some clouds */
		{ 1400, 1320 },
		{ 1360, 1280 },
		{ 1300, 1280 },		/* never under IPv6's minimum */
		{ 576, 1280 },
		{ 0, 1280 },
		{ 1501, 1421 },		/* more than 1500: jumbo frames, above 1420 */
		{ 4000, 3920 },
		{ 9000, 8920 },
		{ 9216, 9000 },		/* at most 9000, like --mtu */
		{ 65535, 9000 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(mtu_for_underlay(cases[i][0]), cases[i][1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_for_underlay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
