/* signals: the handlers and what they caught (signals.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "signals.h"

static volatile sig_atomic_t interrupts, terminated;

static void caught(int sig)
{
	if (sig == SIGINT)
		interrupts++;
	else
		terminated = sig;
}

void signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = caught;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;   /* no SA_RESTART: a read of the terminal returns EINTR */
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

bool signals_terminate(char *why, size_t len)
{
	int sig = terminated;
	if (!sig)
		return false;
	snprintf(why, len, "%s", sig == SIGHUP ? "the terminal was closed (SIGHUP)" : "the runner was told to stop (SIGTERM)");
	return true;
}

bool signals_take_interrupt(void)
{
	if (!interrupts)
		return false;
	interrupts--;
	return true;
}

void signals_reset(void)
{
	interrupts = 0;
	terminated = 0;
}
