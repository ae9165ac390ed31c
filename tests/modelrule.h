/* tests/modelrule.h - the deterministic weights of the model golden tests.
 *
 * tests/golden/gen_models.py sets every parameter and buffer of a torchvision
 * or timm model by this rule and stores the logits; the C tests set the same
 * values by name and compare. The rule (the script's docstring has it too):
 *   h = FNV-1a 32-bit hash of the name, x_i = murmur3 fmix32(h ^ (i * 0x9E3779B1)),
 *   u_i = x_i / 2^32; running_var 0.5 + u, running_mean 0.2 (2u - 1), the bias
 *   of a norm (<p>.bias where <p>.running_mean exists) 0.5 + 0.5 u, any other
 *   bias 0.2 (2u - 1), num_batches_tracked 0, a rank-1 weight 0.5 + u, a
 *   rank >= 2 weight sqrt(6 / fan_in) (2u - 1) with fan_in = numel / shape[0];
 *   inputs ("x", the upstream gradient "dy") are 2u - 1. Computed in double,
 *   rounded once to float. */
#ifndef SG_TEST_MODELRULE_H
#define SG_TEST_MODELRULE_H

#include <stdint.h>

#include "core/param.h"

/* Fill every parameter and buffer of ps by the rule. */
void sg_test_model_rule(sg_params *ps);
/* The rule's input: x[i] = 2 u_i - 1 for the name "x". */
void sg_test_model_rule_input(float *x, int64_t n);
/* The same for any name ("dy"). */
void sg_test_model_rule_named(const char *name, float *x, int64_t n);

#endif
