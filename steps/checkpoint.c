/* checkpoint: writes a checkpoint record and shows the head for the paper log,
 * which anchors the transcript file to the room (ceremony verify --anchor). */
#include "steps.h"

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *l = ynode_get(s->node, "label");
	const char *text;
	return l ? ynode_want_str(c->doc, l, "'label'", &text, e) : 0;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct ynode *l = ynode_get(r->step->node, "label");
	return step_write_checkpoint(r, l ? l->str : r->step->title, e);
}

static const char *const keys[] = {"label", NULL};
static const char *const outputs[] = {"checkpoint_seq", "checkpoint_prev", NULL};

const struct step_type step_checkpoint = {
	.name = "checkpoint",
	.summary = "writes a checkpoint record and shows the head for the paper log",
	.keys = keys,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
};
