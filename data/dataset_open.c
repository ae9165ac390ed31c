/* data/dataset_open.c - any kind of data set by its path (sg_dataset_open,
 * see dataset.h): the one place that decides between a CSV manifest, a VOC
 * folder and class folders, so every command reads a path the same way. */
#include "data/dataset.h"

#include <string.h>
#include <sys/stat.h>

#include "data/csv.h"
#include "data/voc.h"

sg_err sg_dataset_open(const char *path, bool allow_empty_classes, const char **kind, sg_dataset *out)
{
    struct stat st;
    size_t n = strlen(path);
    const char *ignored;
    if (!kind) kind = &ignored;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && n > 4 && strcmp(path + n - 4, ".csv") == 0) {
        *kind = "CSV manifest";
        return sg_manifest_read(path, NULL, 0, out);
    }
    if (sg_voc_is_layout(path)) {
        *kind = "VOC annotations";
        return sg_dataset_from_voc(path, NULL, out);
    }
    *kind = "class folders";
    sg_folder_options opt = {.allow_empty_classes = allow_empty_classes};
    return sg_dataset_from_folders(path, &opt, out);
}
