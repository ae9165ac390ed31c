/* core/checkpoint.h - a parameter store to and from a .safetensors file.
 *
 * Every parameter, buffers (BatchNorm running statistics) included, is saved
 * as an F32 tensor under its own name - the reference framework's name, so a
 * checkpoint written here loads in PyTorch with load_state_dict() and a
 * PyTorch state dict saved with safetensors loads here. */
#ifndef SG_CHECKPOINT_H
#define SG_CHECKPOINT_H

#include <stdbool.h>

#include "core/error.h"
#include "core/param.h"

/* Save every parameter of ps (values, not gradients) to `path`, atomically,
 * with string metadata meta_kv = key0, value0, ... (meta_count pairs). */
sg_err sg_params_save(const sg_params *ps, const char *path, const char *const *meta_kv,
                      int meta_count);

/* Load values by name. A shape mismatch is always an error (SG_ERR_SHAPE,
 * naming the tensor and both shapes). strict: a parameter missing from the
 * file or a tensor the model does not have is an error too (SG_ERR_FORMAT);
 * not strict: such names are skipped. On any error no parameter is changed. */
sg_err sg_params_load(sg_params *ps, const char *path, bool strict);

/* Counts of a non-strict load: parameters loaded, parameters the file lacks,
 * tensors of the file the model does not have. */
typedef struct sg_params_load_report {
    int loaded, missing, unexpected;
} sg_params_load_report;

/* sg_params_load that also fills *report (may be NULL). */
sg_err sg_params_load_with_report(sg_params *ps, const char *path, bool strict,
                                  sg_params_load_report *report);

#endif
