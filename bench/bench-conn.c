/* SPDX-License-Identifier: Apache-2.0 */
/* bench-conn.c - a short-connection load for the live benchmark: a server that accepts and closes,
 * and a client that opens and closes COUNT connections as fast as it can. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int addr_of(const char *ip, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static int serve(const struct sockaddr_in *sa)
{
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (const struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(s, 4096) < 0) {
		perror("bench-conn: serve");
		return 2;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}

/* Opens and closes count connections; SO_LINGER 0 so no TIME_WAIT runs out the ports. */
static int connect_loop(const struct sockaddr_in *sa, long count)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	long ok = 0;

	for (long i = 0; i < count; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		if (s < 0)
			break;
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (connect(s, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			ok++;
		close(s);
	}
	printf("%ld\n", ok);
	return ok == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;

	if (argc >= 4 && strcmp(argv[1], "serve") == 0 && addr_of(argv[2], argv[3], &sa) == 0)
		return serve(&sa);
	if (argc >= 5 && strcmp(argv[1], "connect") == 0 && addr_of(argv[2], argv[3], &sa) == 0)
		return connect_loop(&sa, atol(argv[4]));
	fprintf(stderr, "usage: bench-conn serve ADDR PORT | connect ADDR PORT COUNT\n");
	return 2;
}
