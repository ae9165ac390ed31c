/* data/csv.h - CSV files (RFC 4180) and the data set manifest.
 *
 * Reader: RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180) fields separated
 * by commas, records by CRLF or LF (a lone CR ends a record too); a field in
 * double quotes may hold commas, line breaks and "" for one quote; a UTF-8
 * byte order mark (Excel writes one) is skipped; blank lines are skipped
 * (Python's csv module yields nothing for them either). A quote inside an
 * unquoted field is kept literally, as Python's csv reads it. Errors name the
 * file, the line and what was expected: an unterminated quoted field, text
 * after a closing quote, a NUL byte.
 *
 * Manifest: a CSV with a header row naming at least `path` and `label`, and
 * optionally `split` (train / val / test, or empty) and the four box columns
 * `xmin,ymin,xmax,ymax`; other columns are ignored, column order is free.
 *   path,label,split
 *   crazing/Cr_1.bmp,crazing,train
 * Paths are relative to the manifest's folder (or absolute). With box
 * columns, every row is one box and several rows with the same path are one
 * image: the image's label and split are those of its first row, each box's
 * class is its row's label, and a row whose box fields are all empty adds no
 * box (an image without defects). */
#ifndef SG_CSV_H
#define SG_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/fileio.h"
#include "data/dataset.h"

typedef struct sg_csv {
    int n_rows;
    int *row_start;        /* n_rows + 1 entries: row r is fields[row_start[r] .. row_start[r+1]) */
    int *row_line;         /* the 1-based line where each row starts, for messages */
    int n_fields;
    char **fields;         /* NUL-terminated, unescaped; all point into one buffer */
    char *buffer;
} sg_csv;

/* Parse text[0..len); `name` (a file name) goes into error messages.
 * SG_ERR_FORMAT with the line on malformed input, SG_ERR_LIMIT past 2^24
 * fields. */
sg_err sg_csv_parse(const char *text, size_t len, const char *name, sg_csv *out);
/* Read and parse a file (at most 256 MiB). */
sg_err sg_csv_read(const char *path, sg_csv *out);
void sg_csv_free(sg_csv *csv);
/* Fields in row r. */
int sg_csv_row_length(const sg_csv *csv, int row);
/* Field col of row r, or NULL if the row is shorter. */
const char *sg_csv_field(const sg_csv *csv, int row, int col);

/* Write one field, quoted when it holds a comma, quote, CR or LF, followed by
 * ',' or (last) "\r\n" as RFC 4180 says records end. */
sg_err sg_csv_write_field(sg_atomic_file *af, const char *field, bool last);

/* Read a manifest into a data set whose root is the manifest's folder.
 * With classes (n_classes > 0) the label of every row must be one of them, in
 * that label order ("unknown class" error naming the line otherwise); with
 * n_classes == 0 the classes are the distinct labels, sorted byte-wise. */
sg_err sg_manifest_read(const char *path, const char *const *classes, int n_classes,
                        sg_dataset *out);

/* Set the split of every sample of ds from the manifest at `path`: rows are
 * matched to samples by the file they name (both resolved with realpath), a
 * row's label must be the sample's class ("unknown class" for a class the data
 * set lacks, "says X but the folder says Y" for a mismatch), a row naming a
 * file that is not in the data set is an error. Samples the manifest does not
 * mention get SG_SPLIT_NONE; *n_unlisted (may be NULL) counts them. */
sg_err sg_manifest_apply(const char *path, sg_dataset *ds, int *n_unlisted);

/* Write ds as a manifest, atomically: path,label,split, plus the box columns
 * if `boxes` is set and any sample has boxes. Paths are written relative to
 * the manifest's folder (absolute only if the two share nothing but '/'). */
sg_err sg_manifest_write(const char *path, const sg_dataset *ds, bool boxes);

#endif
