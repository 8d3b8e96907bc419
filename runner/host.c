/* host: facts about the workstation. See host.h. */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "host.h"

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

/* /proc/net/route: a line whose destination and mask are 00000000 is a default route. */
static bool default_route4(void)
{
	FILE *f = fopen("/proc/self/net/route", "r");
	char line[512], ifn[64];
	unsigned long dst, gw, flags, mask;
	bool found = false;
	if (!f)
		return false;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%63s %lx %lx %lx %*s %*s %*s %lx", ifn, &dst, &gw, &flags, &mask) == 5 && dst == 0 &&
		    mask == 0 && (flags & 1))   /* RTF_UP */
			found = true;
	fclose(f);
	return found;
}

/* /proc/net/ipv6_route: destination ::/0 through an interface other than lo. */
static bool default_route6(void)
{
	FILE *f = fopen("/proc/self/net/ipv6_route", "r");
	char line[512], dst[40], plen[8], ifn[64];
	bool found = false;
	if (!f)
		return false;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%39s %7s %*s %*s %*s %*s %*s %*s %*s %63s", dst, plen, ifn) == 3 &&
		    !strcmp(dst, "00000000000000000000000000000000") && !strcmp(plen, "00") && strcmp(ifn, "lo"))
			found = true;
	fclose(f);
	return found;
}

bool host_loopback_address(const char *a)
{
	return !strncmp(a, "127.", 4) || !strcmp(a, "::1");
}

int host_net(struct host_net *out, struct err *e)
{
	struct if_nameindex *ifs = if_nameindex();
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(out, 0, sizeof *out);
	if (!ifs || fd < 0) {
		if (ifs)
			if_freenameindex(ifs);
		if (fd >= 0)
			close(fd);
		return err_errno(e, "listing the network interfaces");
	}
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		struct ifreq r;
		memset(&r, 0, sizeof r);
		copy(r.ifr_name, sizeof r.ifr_name, i->if_name);
		if (ioctl(fd, SIOCGIFFLAGS, &r) != 0 || !(r.ifr_flags & IFF_UP))
			continue;
		if (r.ifr_flags & IFF_LOOPBACK) {
			if (out->n_loopback < HOST_MAX)
				copy(out->loopback[out->n_loopback++], HOST_NAME, i->if_name);
		} else if (out->n_up < HOST_MAX) {
			copy(out->up[out->n_up++], HOST_NAME, i->if_name);
		}
	}
	if_freenameindex(ifs);
	close(fd);
	out->route4 = default_route4();
	out->route6 = default_route6();
	FILE *f = fopen("/etc/resolv.conf", "r");
	char line[512], addr[HOST_NAME];
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, " nameserver %63s", addr) == 1 && out->n_resolvers < HOST_MAX)
			copy(out->resolvers[out->n_resolvers++], HOST_NAME, addr);
	if (f)
		fclose(f);
	return 0;
}

static bool read_word(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	bool ok = f && fgets(buf, (int)cap, f);
	if (f)
		fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

size_t host_radios(const char *type, struct host_radio *out, size_t max)
{
	size_t n = 0;
	/* rfkill0, rfkill1...: the kernel numbers them; a gap ends nothing, so try a few. */
	for (unsigned k = 0, missing = 0; missing < 16 && k < 256; k++) {
		char p[128], v[64];
		snprintf(p, sizeof p, "/sys/class/rfkill/rfkill%u/type", k);
		if (!read_word(p, v, sizeof v)) {
			missing++;
			continue;
		}
		missing = 0;
		if (strcmp(v, type))
			continue;
		if (n < max) {
			struct host_radio *r = &out[n];
			memset(r, 0, sizeof *r);
			snprintf(p, sizeof p, "/sys/class/rfkill/rfkill%u/name", k);
			if (!read_word(p, r->name, sizeof r->name))
				snprintf(r->name, sizeof r->name, "rfkill%u", k);
			snprintf(p, sizeof p, "/sys/class/rfkill/rfkill%u/soft", k);
			r->soft = read_word(p, v, sizeof v) && !strcmp(v, "1");
			snprintf(p, sizeof p, "/sys/class/rfkill/rfkill%u/hard", k);
			r->hard = read_word(p, v, sizeof v) && !strcmp(v, "1");
		}
		n++;
	}
	return n;
}

void host_os(char *buf, size_t cap)
{
	FILE *f = fopen("/etc/os-release", "r");
	char line[512];
	copy(buf, cap, "unknown");
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, "PRETTY_NAME=", 12))
			continue;
		char *v = line + 12;
		v[strcspn(v, "\n")] = 0;
		if (*v == '"') {
			v++;
			v[strcspn(v, "\"")] = 0;
		}
		copy(buf, cap, v);
	}
	if (f)
		fclose(f);
}

void host_timezone(char *buf, size_t cap)
{
	char name[128] = "", zone[64] = "";
	const char *tz = getenv("TZ");
	time_t now = time(NULL);
	struct tm tm;
	if (tz && *tz)
		copy(name, sizeof name, tz);
	else if (!read_word("/etc/timezone", name, sizeof name))
		name[0] = 0;
	tzset();
	if (localtime_r(&now, &tm))
		strftime(zone, sizeof zone, "%Z, %z", &tm);
	snprintf(buf, cap, "%s%s%s%s", name, name[0] ? " (" : "", zone, name[0] ? ")" : "");
}
