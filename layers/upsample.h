/* layers/upsample.h - nearest and bilinear resizing of NCHW feature maps
 * (torch.nn.functional.interpolate with mode 'nearest' / 'bilinear'). Both
 * also shrink (out < in); neither filters (no antialias), as PyTorch's default. */
#ifndef SG_UPSAMPLE_H
#define SG_UPSAMPLE_H

#include <stdbool.h>

#include "core/graph.h"

/* y [N, C, out_h, out_w] from x [N, C, H, W] with src = floor(dst * H / out_h)
 * (PyTorch 'nearest', not 'nearest-exact'). NULL + graph error on bad input. */
sg_tensor *sg_upsample_nearest2d(sg_graph *g, sg_tensor *x, int64_t out_h, int64_t out_w);

/* Bilinear resize to out_h x out_w (PyTorch 'bilinear'). align_corners=true
 * maps the corner pixel centres onto each other: src = dst * (in-1)/(out-1);
 * false maps pixel areas: src = (dst + 0.5) * in/out - 0.5, clamped to >= 0.
 * NULL + graph error on bad input. */
sg_tensor *sg_upsample_bilinear2d(sg_graph *g, sg_tensor *x, int64_t out_h, int64_t out_w,
                                  bool align_corners);

/* F.interpolate(x, scale_factor=(scale_h, scale_w), mode='nearest'):
 * out = floor(in * scale), and the source index uses 1/scale (not in/out),
 * exactly as PyTorch does when recompute_scale_factor is not set. */
sg_tensor *sg_upsample_nearest2d_scale(sg_graph *g, sg_tensor *x, double scale_h, double scale_w);

/* F.interpolate(x, scale_factor=..., mode='bilinear', align_corners=...),
 * with the same size and source-index rule as sg_upsample_nearest2d_scale. */
sg_tensor *sg_upsample_bilinear2d_scale(sg_graph *g, sg_tensor *x, double scale_h,
                                        double scale_w, bool align_corners);

#endif
