/* data/voc.h - Pascal VOC XML annotations (boxes) and VOC-layout data sets.
 *
 * The VOC annotation format (Everingham et al., "The PASCAL Visual Object
 * Classes Challenge 2012 Development Kit", section 2: annotation):
 *   <annotation>
 *     <filename>crazing_1.jpg</filename>
 *     <size><width>200</width><height>200</height><depth>1</depth></size>
 *     <object>
 *       <name>crazing</name> <difficult>0</difficult>
 *       <bndbox><xmin>2</xmin><ymin>2</ymin><xmax>193</xmax><ymax>194</ymax></bndbox>
 *     </object> ...
 *   </annotation>
 * Coordinates are pixels, 1-based and inclusive in VOC proper; many tools
 * write 0-based ones or floats, so any number in [0, width] x [0, height] is
 * accepted. Boxes are validated, never trusted: a coordinate outside the
 * image is clamped to it, a box with xmin >= xmax or ymin >= ymax (after
 * clamping), a missing field, or a coordinate that is not a finite number
 * drops the box; each of these adds a line to `warnings` naming the file and
 * the object. Only broken XML, a root other than <annotation>, or an object
 * without <name> make the whole file an error.
 *
 * The XML reader handles the subset annotation tools write: elements (with
 * attributes, which are skipped), character data, comments, processing
 * instructions including the <?xml ...?> declaration, a DOCTYPE without an
 * internal subset, CDATA sections, the five predefined entities and numeric
 * character references (&#38; &#x26;). Nesting is limited to
 * SG_XML_MAX_DEPTH and the element count to SG_XML_MAX_ELEMENTS, every read
 * is bounds-checked, and errors give the line. */
#ifndef SG_VOC_H
#define SG_VOC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "data/dataset.h"

/* Limits that keep a hostile file from costing more than ~50 MB: real VOC
 * annotations have a few dozen elements per object and nest 4 deep. */
enum { SG_XML_MAX_DEPTH = 64, SG_XML_MAX_ELEMENTS = 1 << 18 };

typedef struct sg_voc_object {
    char *name;            /* class name, whitespace trimmed */
    bool difficult;
    float xmin, ymin, xmax, ymax;
} sg_voc_object;

typedef struct sg_voc {
    char *filename;        /* <filename> as written ("" if absent); may lack the extension */
    int width, height, depth;  /* <size>; 0 when absent or invalid (then boxes are not clamped) */
    int n_objects;         /* valid boxes only */
    sg_voc_object *objects;
    sg_notes warnings;     /* "<name>: object 3: ..." */
} sg_voc;

/* Parse an annotation from text[0..len); `name` (a file name) prefixes error
 * messages and warnings. SG_ERR_FORMAT with the line on broken XML. */
sg_err sg_voc_parse(const char *text, size_t len, const char *name, sg_voc *out);
/* Read and parse a file (at most 16 MiB). */
sg_err sg_voc_read(const char *path, sg_voc *out);
void sg_voc_free(sg_voc *voc);

/* Where the folders of a VOC data set are. NULL fields take the defaults. */
typedef struct sg_voc_options {
    const char *images_dir;       /* under root; default: the first of images, JPEGImages, IMAGES */
    const char *annotations_dir;  /* under root; default: annotations, Annotations, ANNOTATIONS */
    const char *const *classes;   /* a fixed class list (label order), or NULL: the object */
    int n_classes;                /* names found, sorted byte-wise */
} sg_voc_options;

/* True if root holds an annotations folder by one of the default names. */
bool sg_voc_is_layout(const char *root);

/* One sample per annotation file (sorted by file name), with its boxes. The
 * images folder may be flat (NEU-DET: images/<name>.jpg) or hold class
 * folders (synth: images/<class>/<name>.png); it is walked like a class
 * folder (each file once; dangling links, link loops and FIFOs listed in
 * `skipped`). The image is found below it by <filename>; if that names no file,
 * by <filename> plus an image extension (NEU-DET writes "patches_104" for
 * patches_104.jpg); then by the annotation's own stem plus an extension (a
 * warning says so). An annotation whose image is missing and an image with
 * no annotation are listed in `skipped`, and so is an annotation file that
 * cannot be read or parsed (with the reason). A sample's label is the class of its
 * first valid box: for NEU-DET that is always the class in the file name. An
 * image with no box takes the name of the folder it lies in below the images
 * folder as its class (synth's images/good/good_3.png is "good"), or -1 when
 * it lies in the images folder itself. With a fixed class list an object of another class is an
 * "unknown class" error naming the file. opt may be NULL. */
sg_err sg_dataset_from_voc(const char *root, const sg_voc_options *opt, sg_dataset *out);

#endif
