/* signals: Ctrl-C, SIGTERM and SIGHUP during a ceremony (issue 11). The handlers only
 * note the signal; nothing is done inside them. A blocking read of the terminal is
 * interrupted (no SA_RESTART) and the prompt decides: Ctrl-C asks whether to abort,
 * SIGTERM and SIGHUP abort. Work in progress (a key being generated, a record being
 * written) is finished first, then the interpreter seals the transcript `aborted`
 * with the reason. */
#ifndef CER_SIGNALS_H
#define CER_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>

/* Installs the handlers for SIGINT, SIGTERM and SIGHUP. */
void signals_install(void);
/* A SIGTERM or SIGHUP was caught: why (into why, len bytes) and true. */
bool signals_terminate(char *why, size_t len);
/* Takes a pending Ctrl-C (SIGINT): true once per press. */
bool signals_take_interrupt(void);
/* For tests of the module: forgets every caught signal. */
void signals_reset(void);

#endif
