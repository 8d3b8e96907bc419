/* system.airgap: the workstation is air-gapped (seed 004 §3.2 "Air-gapped
 * workstation"; seed 002 "offline laptop"): no network interface up but loopback, no
 * default route, every wireless, Bluetooth and cellular radio blocked (rfkill), no resolver
 * but a local one. Each is a recorded check, Expected "none" against what was found;
 * a finding fails the step (code "airgap") and the script's on_fail decides (a
 * decision to disconnect and check again, or halt).
 *
 *   - id: airgap
 *     type: system.airgap
 *
 * What is seen is the runner's own network namespace (runner/host.h). */
#include <stdio.h>
#include <string.h>
#include "steps.h"
#include "../runner/host.h"

/* "a, b, c" of n names, or "none". */
static void join(char names[][HOST_NAME], size_t n, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? ", " : "", names[i]);
	if (!n)
		snprintf(out, cap, "none");
}

/* Radios of type not blocked, into out ("none" when all are); what there is, into all. */
static void radios(const char *type, char *unblocked, size_t cap, char *all, size_t acap)
{
	struct host_radio r[HOST_MAX];
	char open[HOST_MAX][HOST_NAME], every[HOST_MAX][HOST_NAME];
	size_t n = host_radios(type, r, HOST_MAX), k = 0;
	if (n > HOST_MAX)
		n = HOST_MAX;
	for (size_t i = 0; i < n; i++) {
		snprintf(every[i], HOST_NAME, "%.32s (%s)", r[i].name,
			 r[i].hard ? "blocked by its switch" : r[i].soft ? "blocked" : "NOT blocked");
		if (!r[i].soft && !r[i].hard)
			snprintf(open[k++], HOST_NAME, "%.63s", r[i].name);
	}
	join(open, k, unblocked, cap);
	join(every, n, all, acap);
}

static int check(struct step_run *r, const char *what, const char *found, char *findings, size_t cap, struct err *e)
{
	bool held = !strcmp(found, "none");
	if (!held) {
		size_t used = strlen(findings);
		snprintf(findings + used, cap - used, "%s%s: %s", used ? "; " : "", what, found);
	}
	return step_check(r, what, dcbor_text("none"), dcbor_text(found), held, e);
}

static int execute(struct step_run *r, struct err *e)
{
	struct host_net n;
	char up[1024], lo[256], route[32], res[1024], wifi[512], wifi_all[1024], bt[512], bt_all[1024], ww[512],
		ww_all[1024];
	char remote[HOST_MAX][HOST_NAME], findings[ERR_MSG_MAX - 64] = "";
	size_t k = 0;
	if (host_net(&n, e))
		return -1;
	join(n.up, n.n_up, up, sizeof up);
	join(n.loopback, n.n_loopback, lo, sizeof lo);
	snprintf(route, sizeof route, "%s%s%s", n.route4 ? "IPv4" : "", n.route4 && n.route6 ? ", " : "",
		 n.route6 ? "IPv6" : "");
	if (!n.route4 && !n.route6)
		snprintf(route, sizeof route, "none");
	for (size_t i = 0; i < n.n_resolvers; i++)
		if (!host_loopback_address(n.resolvers[i]))
			snprintf(remote[k++], HOST_NAME, "%s", n.resolvers[i]);
	join(remote, k, res, sizeof res);
	radios("wlan", wifi, sizeof wifi, wifi_all, sizeof wifi_all);
	radios("bluetooth", bt, sizeof bt, bt_all, sizeof bt_all);
	radios("wwan", ww, sizeof ww, ww_all, sizeof ww_all);
	if (check(r, "network interfaces up besides loopback", up, findings, sizeof findings, e) ||
	    check(r, "default route", route, findings, sizeof findings, e) ||
	    check(r, "wireless radios not blocked", wifi, findings, sizeof findings, e) ||
	    check(r, "Bluetooth radios not blocked", bt, findings, sizeof findings, e) ||
	    check(r, "cellular (WWAN) radios not blocked", ww, findings, sizeof findings, e) ||
	    check(r, "DNS resolvers besides a local one", res, findings, sizeof findings, e))
		return -1;
	if (step_output(r, "interfaces_up", dcbor_text(up), e) || step_output(r, "loopback", dcbor_text(lo), e) ||
	    step_output(r, "default_route", dcbor_text(route), e) || step_output(r, "wireless", dcbor_text(wifi_all), e) ||
	    step_output(r, "bluetooth", dcbor_text(bt_all), e) || step_output(r, "cellular", dcbor_text(ww_all), e) ||
	    step_output(r, "dns_resolvers", dcbor_text(res), e) ||
	    step_output(r, "airgapped", dcbor_bool(!findings[0]), e))
		return -1;
	if (findings[0])
		return err_set(e, ERR_AIRGAP, "the workstation is not air-gapped: %s", findings);
	step_show(r, "air-gapped: no interface up but %s, no default route, no radio unblocked, no remote resolver", lo);
	return 0;
}

static const char *const outputs[] = {"interfaces_up", "loopback", "default_route", "wireless", "bluetooth",
				      "cellular",      "dns_resolvers", "airgapped", NULL};

const struct step_type step_system_airgap = {
	.name = "system.airgap",
	.summary = "checks the workstation is air-gapped: no interface up but loopback, no route, radios blocked",
	.keys = (const char *const[]){NULL},
	.outputs = outputs,
	.execute = execute,
};
