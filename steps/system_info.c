/* system.info: the workstation as the ceremony log records it (seed 004 §10
 * "Equipment"; §3.2): operating system, kernel, hostname, this runner's version and
 * source revision, the OpenSSL, libcbor, libyaml and p11-kit it uses, the PKCS#11
 * module with its manufacturer and library version, and the clock with its
 * timezone, so that an auditor can compare the room's clock with the record times.
 *
 *   - id: workstation
 *     type: system.info
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "steps.h"
#include "../runner/dcbor.h"
#include "../runner/host.h"
#include "../runner/interp.h"
#include "../runner/ynode.h"

static int execute(struct step_run *r, struct err *e)
{
	struct utsname u;
	struct tok_module_info mi;
	const char *path = NULL;
	char os[256], host[256] = "", tz[200], clock[40], lib[32], ck[32];
	time_t now = time(NULL);
	struct tm tm;
	host_os(os, sizeof os);
	host_timezone(tz, sizeof tz);
	if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "unknown");
	if (uname(&u) != 0)
		memset(&u, 0, sizeof u);
	gmtime_r(&now, &tm);
	strftime(clock, sizeof clock, "%Y-%m-%dT%H:%M:%SZ", &tm);
	int m = step_module_info(r, &path, &mi, e);
	if (m < 0)
		return -1;
	if (step_output(r, "os", dcbor_text(os), e) || step_output(r, "kernel", dcbor_text(u.release), e) ||
	    step_output(r, "machine", dcbor_text(u.machine), e) || step_output(r, "hostname", dcbor_text(host), e) ||
	    step_output(r, "runner", dcbor_text(interp_runner_version()), e) ||
	    step_output(r, "openssl", dcbor_text(OpenSSL_version(OPENSSL_VERSION)), e) ||
	    step_output(r, "libcbor", dcbor_text(dcbor_lib_version()), e) ||
	    step_output(r, "libyaml", dcbor_text(ynode_yaml_version()), e) ||
	    step_output(r, "p11_kit", dcbor_text(tok_p11kit_version()), e) ||
	    step_output(r, "clock_utc", dcbor_text(clock), e) || step_output(r, "timezone", dcbor_text(tz), e))
		return -1;
	if (m == 1)
		return step_output(r, "pkcs11_module", dcbor_text("none (the script uses no token)"), e);
	snprintf(lib, sizeof lib, "%u.%u", mi.lib_major, mi.lib_minor);
	snprintf(ck, sizeof ck, "%u.%u", mi.cryptoki_major, mi.cryptoki_minor);
	if (step_output(r, "pkcs11_module", dcbor_text(path), e) ||
	    step_output(r, "module_manufacturer", dcbor_text(mi.manufacturer), e) ||
	    step_output(r, "module_description", dcbor_text(mi.description), e) ||
	    step_output(r, "module_library_version", dcbor_text(lib), e) ||
	    step_output(r, "module_cryptoki_version", dcbor_text(ck), e))
		return -1;
	step_show(r, "workstation %s: %s, kernel %s; %s; module %s (%s %s)", host, os, u.release, interp_runner_version(),
		  path, mi.manufacturer, lib);
	return 0;
}

static const char *const outputs[] = {"os", "kernel", "machine", "hostname", "runner", "openssl", "libcbor", "libyaml",
				      "p11_kit", "clock_utc", "timezone", "pkcs11_module", "module_manufacturer",
				      "module_description", "module_library_version", "module_cryptoki_version", NULL};

const struct step_type step_system_info = {
	.name = "system.info",
	.summary = "records the workstation: OS, kernel, host, runner, library versions, PKCS#11 module, clock",
	.keys = (const char *const[]){NULL},
	.outputs = outputs,
	.execute = execute,
};
