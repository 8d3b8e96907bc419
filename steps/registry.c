/* The registry of step types: adding a type is one file in steps/ and one line here. */
#include "steps.h"

extern const struct step_type step_manual, step_checklist, step_attendance, step_token_info, step_key_generate,
	step_fingerprint, step_decision, step_checkpoint;
extern const struct step_type step_chain_verify;
extern const struct step_type step_artifact_export;
extern const struct step_type step_sign;
extern const struct step_type step_verify;
extern const struct step_type step_cert_self_signed, step_csr_create, step_cert_issue, step_crl_create;
extern const struct step_type step_shares_split, step_shares_verify, step_token_init, step_token_activate;
extern const struct step_type step_wrapkey_create, step_key_backup, step_key_restore;
extern const struct step_type step_system_airgap, step_system_info, step_token_empty, step_transcript_import,
	step_token_inventory;

static const struct step_type *const types[] = {
	&step_manual,
	&step_checklist,
	&step_attendance,
	&step_token_info,
	&step_key_generate,
	&step_fingerprint,
	&step_decision,
	&step_checkpoint,
	&step_chain_verify,
	&step_artifact_export,
	&step_sign,
	&step_verify,
	&step_cert_self_signed,
	&step_csr_create,
	&step_cert_issue,
	&step_crl_create,
	&step_shares_split,
	&step_shares_verify,
	&step_token_init,
	&step_token_activate,
	&step_wrapkey_create,
	&step_key_backup,
	&step_key_restore,
	&step_system_airgap,
	&step_system_info,
	&step_token_empty,
	&step_transcript_import,
	&step_token_inventory,
};
const struct step_table step_registry = {types, sizeof types / sizeof types[0]};
