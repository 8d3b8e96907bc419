/* host: facts about the workstation the ceremony runs on, read from the kernel
 * (netlink-backed interfaces, /proc/net, /sys/class/rfkill, uname) and the system's
 * files (/etc/os-release, /etc/resolv.conf). What genesis records of the host and
 * what system.airgap and system.info check and record come from here alone.
 *
 * Interfaces and routes are those of the process's network namespace (if_nameindex
 * and SIOCGIFFLAGS, /proc/self/net): `unshare -n` sees only its own loopback. */
#ifndef CER_HOST_H
#define CER_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

enum { HOST_MAX = 32, HOST_NAME = 64 };

struct host_net {
	char up[HOST_MAX][HOST_NAME];        /* interfaces up, loopback excluded */
	size_t n_up;
	char loopback[HOST_MAX][HOST_NAME];  /* loopback interfaces up (allowed) */
	size_t n_loopback;
	bool route4, route6;                 /* a default route (0.0.0.0/0, ::/0) */
	char resolvers[HOST_MAX][HOST_NAME]; /* nameservers in /etc/resolv.conf */
	size_t n_resolvers;
};
/* The network as the air-gap check sees it; -1 only when the interfaces cannot be listed. */
int host_net(struct host_net *out, struct err *e) CER_MUST_CHECK;
/* Whether a resolver address is loopback (127.0.0.0/8, ::1): a local stub, no network. */
bool host_loopback_address(const char *addr);

struct host_radio {
	char name[HOST_NAME];   /* "phy0", "hci0" */
	bool soft, hard;        /* blocked by software (rfkill), by a switch */
};
/* The rfkill radios of type ("wlan", "bluetooth", "wwan"): up to max into out; how many there are. */
size_t host_radios(const char *type, struct host_radio *out, size_t max);

/* PRETTY_NAME of /etc/os-release, else "unknown" (cap bytes into buf). */
void host_os(char *buf, size_t cap);
/* The timezone the clock is shown in: $TZ, else /etc/timezone, else the abbreviation
 * localtime gives, with the UTC offset ("Europe/Berlin (CET, +0100)"). */
void host_timezone(char *buf, size_t cap);

#endif
