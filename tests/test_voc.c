/* tests/test_voc.c - the XML subset, Pascal VOC annotations and VOC data sets.
 *
 * Hand-written fixtures in tests/data/datasets/voc (see gen_datasets.py for
 * what each file exercises), inline documents for the XML corner cases, and
 * with the real data present all 1,800 NEU-DET annotations against counts
 * computed independently with Python's xml.etree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/voc.h"
#include "tests/codec_corpus.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

#define FIXTURES "tests/data/datasets"

static sg_err parse(const char *xml, sg_voc *voc)
{
    return sg_voc_parse(xml, strlen(xml), "t.xml", voc);
}

static void expect_box(const sg_voc_object *o, const char *name, float x0, float y0, float x1, float y1,
                       bool difficult)
{
    ck_assert_str_eq(o->name, name);
    ck_assert_msg(o->xmin == x0 && o->ymin == y0 && o->xmax == x1 && o->ymax == y1,
                  "%s: box %g,%g,%g,%g, expected %g,%g,%g,%g", name, (double)o->xmin, (double)o->ymin,
                  (double)o->xmax, (double)o->ymax, (double)x0, (double)y0, (double)x1, (double)y1);
    ck_assert_int_eq(o->difficult, difficult);
}

static bool notes_contain(const sg_notes *n, const char *needle)
{
    for (int i = 0; i < n->count; i++)
        if (strstr(n->items[i], needle)) return true;
    return false;
}

START_TEST(xml_subset_handles_declarations_comments_cdata_entities_and_attributes)
{
    const char *xml =
        "\xEF\xBB\xBF<?xml version='1.0' encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE annotation>\n"
        "<!-- a > comment -- with dashes -->\n"
        "<annotation a='1' b=\"x > y\" c = 'it''s'>\n"
        "</annotation>";
    sg_voc voc;
    /* XML has no '' escape in attributes: c = 'it' ends, then 's' cannot start a name. */
    sg_test_expect_code(parse(xml, &voc), SG_ERR_FORMAT, "t.xml: line 4", "expected an attribute name");
    xml = "<?xml version=\"1.0\"?>\n"
          "<!-- header comment -->\n"
          "<annotation verified='yes' note=\"a > b\">\n"
          "  <filename>caf&#xE9; &amp; b&#101;r <![CDATA[<x>&amp;]]></filename>\n"
          "  <size><width> 20 </width><height>10.0</height><depth>3</depth><empty/></size>\n"
          "  <object><name>\n\t scr<!-- inline -->atch \n</name><difficult>1</difficult>\n"
          "    <bndbox><xmin>1.5</xmin><ymin>2</ymin><xmax>1e1</xmax><ymax>9</ymax></bndbox>\n"
          "  </object>\n"
          "  <object><name>&lt;&gt;&quot;&apos;</name><bndbox><xmin>0</xmin><ymin>0</ymin>"
          "<xmax>20</xmax><ymax>10</ymax></bndbox></object>\n"
          "</annotation>\n<!-- trailing comment -->\n";
    ck_assert_msg(parse(xml, &voc) == SG_OK, "%s", sg_error_message());
    ck_assert_str_eq(voc.filename, "caf\xC3\xA9 & ber <x>&amp;");
    ck_assert_int_eq(voc.width, 20);
    ck_assert_int_eq(voc.height, 10);
    ck_assert_int_eq(voc.depth, 3);
    ck_assert_int_eq(voc.n_objects, 2);
    expect_box(&voc.objects[0], "scratch", 1.5f, 2, 10, 9, true);
    expect_box(&voc.objects[1], "<>\"'", 0, 0, 20, 10, false);
    ck_assert_int_eq(voc.warnings.count, 0);
    sg_voc_free(&voc);
}
END_TEST

START_TEST(xml_errors_give_the_line_and_the_reason)
{
    static const struct {
        const char *xml, *needle;
    } cases[] = {
        {"<annotation>\n<a>\n</b>\n</annotation>", "line 3: </b> closes <a> (opened on line 2)"},
        {"<annotation>\n<a>text", "line 2: <a> (opened on line 2) is never closed"},
        {"<annotation><!-- open", "comment never ends"},
        {"<annotation>&nbsp;</annotation>", "unknown entity"},
        {"<annotation>&#0;</annotation>", "code point XML does not allow"},
        {"<annotation>&#xD800;</annotation>", "code point XML does not allow"},
        {"<annotation>&#x110000;</annotation>", "code point XML does not allow"},
        {"<annotation>&#123456789;</annotation>", "character reference too long"},
        {"<annotation>&#12</annotation>", "malformed character reference"},
        {"<annotation></annotation>\n<more/>", "line 2: content after the root element"},
        {"  \n <!-- only a comment -->", "no root element"},
        {"text<annotation/>", "text before the root element"},
        {"<annotation><![CDATA[x</annotation>", "CDATA section never ends"},
        {"<annotation b='1></annotation>", "'<' inside an attribute value"},
        {"<annotation b=1/>", "expected a quoted attribute value"},
        {"<annotation><!ENTITY x 'y'></annotation>", "unexpected '<!'"},
        {"<!DOCTYPE a [<!ENTITY x 'y'>]><annotation/>", "internal subset is not supported"},
        {"<1annotation/>", "expected an element name"},
        {"<annotation></annotation", "expected '>' to end a closing tag"},
        {"<voc/>", "the root element is <voc>, expected <annotation>"},
        {"<annotation><object><difficult>0</difficult></object></annotation>", "object 1 has no <name>"},
        {"<annotation><object><name> </name></object></annotation>", "object 1 has no <name>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_voc voc;
        sg_err err = parse(cases[i].xml, &voc);
        ck_assert_msg(err == SG_ERR_FORMAT, "case %zu (%s): expected a format error, got %s", i, cases[i].xml,
                      sg_err_name(err));
        ck_assert_msg(strstr(sg_error_message(), cases[i].needle) && strstr(sg_error_message(), "t.xml"),
                      "case %zu: message \"%s\" lacks \"%s\"", i, sg_error_message(), cases[i].needle);
    }
    /* A NUL byte inside the text (the length says where the document ends). */
    sg_voc voc;
    sg_test_expect_code(sg_voc_parse("<annotation>a\0b</annotation>", 28, "t.xml", &voc), SG_ERR_FORMAT,
                        "NUL byte", NULL);
    /* Too many elements (a hostile file that would cost memory). */
    size_t big_len = 16 + 4 * (size_t)(SG_XML_MAX_ELEMENTS + 1) + 16;
    char *big = malloc(big_len);
    char *w = big + sprintf(big, "<annotation>");
    for (int k = 0; k < SG_XML_MAX_ELEMENTS; k++) w += sprintf(w, "<a/>");
    sprintf(w, "</annotation>");
    sg_test_expect_code(parse(big, &voc), SG_ERR_FORMAT, "too many elements", NULL);
    free(big);
    /* Nesting: SG_XML_MAX_DEPTH levels are fine, one more is an error. */
    char deep[16 * (SG_XML_MAX_DEPTH + 2)];
    for (int depth = SG_XML_MAX_DEPTH; depth <= SG_XML_MAX_DEPTH + 1; depth++) {
        char *w = deep;
        w += sprintf(w, "<annotation>");
        for (int k = 1; k < depth; k++) w += sprintf(w, "<a>");
        for (int k = 1; k < depth; k++) w += sprintf(w, "</a>");
        sprintf(w, "</annotation>");
        sg_err err = parse(deep, &voc);
        if (depth == SG_XML_MAX_DEPTH) {
            ck_assert_msg(err == SG_OK, "%s", sg_error_message());
            sg_voc_free(&voc);
        } else {
            sg_test_expect_code(err, SG_ERR_FORMAT, "nested too deeply", NULL);
        }
    }
}
END_TEST

START_TEST(voc_boxes_are_validated_clamped_or_dropped_with_warnings)
{
    sg_voc voc;
    ck_assert_msg(sg_voc_read(FIXTURES "/voc/annotations/a.xml", &voc) == SG_OK, "%s", sg_error_message());
    ck_assert_str_eq(voc.filename, "a.png");
    ck_assert_int_eq(voc.n_objects, 2);
    expect_box(&voc.objects[0], "scratch", 1, 2, 11, 9, false);
    expect_box(&voc.objects[1], "rolled-in & scale", 2.5f, 0, 19.75f, 10, true);
    ck_assert_int_eq(voc.warnings.count, 0);
    sg_voc_free(&voc);

    ck_assert_int_eq(sg_voc_read(FIXTURES "/voc/annotations/b.xml", &voc), SG_OK);
    ck_assert_str_eq(voc.filename, "b");
    ck_assert_int_eq(voc.width, 16);
    ck_assert_int_eq(voc.height, 12);
    ck_assert_int_eq(voc.n_objects, 2);
    expect_box(&voc.objects[0], "scratch", 0, 1, 16, 12, false);  /* -3 and 20 clamped to 0 and 16 */
    expect_box(&voc.objects[1], "scratch", 3, 4, 8, 6, true);     /* sc&#114;atch */
    ck_assert_int_eq(voc.warnings.count, 4);
    ck_assert(notes_contain(&voc.warnings, "b.xml: object 1 (scratch): xmin -3 is outside 0..16, clamped to 0"));
    ck_assert(notes_contain(&voc.warnings, "object 1 (scratch): xmax 20 is outside 0..16, clamped to 16"));
    ck_assert(notes_contain(&voc.warnings, "object 2 (inclusion): empty box"));
    ck_assert(notes_contain(&voc.warnings, "object 4 (inclusion): no <bndbox>; skipped"));
    sg_voc_free(&voc);

    /* Numbers that are not numbers, difficult flags that are not 0/1, a bad size. */
    const char *xml = "<annotation><size><width>abc</width><height>5</height></size>"
                      "<object><name>a</name><difficult>yes</difficult>"
                      "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>nan</xmax><ymax>3</ymax></bndbox></object>"
                      "<object><name>b</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>1e999</xmax><ymax>3</ymax></bndbox></object>"
                      "<object><name>c</name><bndbox><xmin>-5</xmin><ymin>1</ymin><xmax>900</xmax><ymax>3</ymax></bndbox></object>"
                      "</annotation>";
    ck_assert_int_eq(parse(xml, &voc), SG_OK);
    ck_assert_int_eq(voc.width, 0);   /* unknown size: boxes are kept unclamped */
    ck_assert_int_eq(voc.n_objects, 1);
    expect_box(&voc.objects[0], "c", -5, 1, 900, 3, false);
    ck_assert(notes_contain(&voc.warnings, "<size><width> is 'abc'"));
    ck_assert(notes_contain(&voc.warnings, "<size><depth> is missing"));
    ck_assert(notes_contain(&voc.warnings, "object 1 (a): <difficult> is 'yes'"));
    ck_assert(notes_contain(&voc.warnings, "object 1 (a): <xmax> is 'nan', not a number"));
    ck_assert(notes_contain(&voc.warnings, "object 2 (b): <xmax> is '1e999', not a number"));
    sg_voc_free(&voc);
}
END_TEST

START_TEST(voc_dataset_matches_images_by_filename_extension_or_stem)
{
    sg_dataset ds;
    ck_assert_msg(sg_dataset_from_voc(FIXTURES "/voc", NULL, &ds) == SG_OK, "%s", sg_error_message());
    ck_assert(sg_voc_is_layout(FIXTURES "/voc"));
    ck_assert(!sg_voc_is_layout(FIXTURES "/folders"));
    ck_assert_int_eq(ds.n_classes, 3);
    ck_assert_str_eq(ds.class_names[0], "inclusion");
    ck_assert_str_eq(ds.class_names[1], "rolled-in & scale");
    ck_assert_str_eq(ds.class_names[2], "scratch");
    ck_assert_int_eq(ds.n_samples, 3);
    const char *names[3] = {"images/a.png", "images/b.jpg", "images/c.bmp"};
    const int labels[3] = {2, 2, 0}, n_boxes[3] = {2, 2, 1};
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(ds.samples[i].name, names[i]);
        ck_assert_int_eq(ds.samples[i].label, labels[i]);
        ck_assert_int_eq(ds.samples[i].n_boxes, n_boxes[i]);
    }
    ck_assert_str_eq(ds.samples[0].path, FIXTURES "/voc/images/a.png");
    const sg_box *b = &ds.samples[0].boxes[1];
    ck_assert(b->label == 1 && b->difficult && b->xmin == 2.5f && b->xmax == 19.75f);
    int64_t boxes[3];
    sg_dataset_box_counts(&ds, boxes);
    ck_assert(boxes[0] == 1 && boxes[1] == 1 && boxes[2] == 3);
    ck_assert_int_eq(ds.skipped.count, 5);
    ck_assert(notes_contain(&ds.skipped, "annotations/d.xml: line 2: </objet> closes <object>"));
    ck_assert(notes_contain(&ds.skipped, "annotations/e.xml: no image 'e.png'"));
    ck_assert(notes_contain(&ds.skipped, "annotations/readme.txt: not an .xml annotation"));
    ck_assert(notes_contain(&ds.skipped, "images/d.png: no annotation"));
    ck_assert(notes_contain(&ds.skipped, "images/f.png: no annotation"));
    ck_assert(notes_contain(&ds.warnings, "annotations/c.xml: <filename> 'renamed_later.jpg' names no image; "
                                          "matched images/c.bmp"));
    ck_assert(notes_contain(&ds.warnings, "annotations/b.xml: object 1 (scratch): xmin -3"));
    sg_dataset_free(&ds);

    /* A fixed class list: an object of another class is an error naming the file. */
    const char *classes[2] = {"scratch", "inclusion"};
    sg_voc_options opt = {.classes = classes, .n_classes = 2};
    sg_test_expect_code(sg_dataset_from_voc(FIXTURES "/voc", &opt, &ds), SG_ERR_INVALID,
                        "annotations/a.xml: unknown class folder 'rolled-in & scale'", "scratch, inclusion");
    /* Not a VOC folder. */
    sg_test_expect_code(sg_dataset_from_voc(FIXTURES "/folders", NULL, &ds), SG_ERR_FORMAT, "not a VOC data set",
                        NULL);
}
END_TEST

/* Every truncation of every fixture annotation, and 400 RNG-keyed byte
 * mutations each: a clean result or a format error naming the file. */
/* images/<class>/<name> (the layout synth writes) is matched like a flat
 * images/ folder; an image without boxes in a class folder takes the folder
 * as its class. Before, only images/<name> was looked at: every annotation
 * of such a set was "no image", and the set read as 0 classes, 0 images. */
START_TEST(voc_dataset_finds_images_in_class_folders_and_labels_unboxed_ones_by_folder)
{
    const char *tmp = sg_test_tmpdir();
    char root[512];
    snprintf(root, sizeof root, "%s/set", tmp);
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(root, "images/scratch")), SG_OK);
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(root, "images/good")), SG_OK);
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(root, "annotations")), SG_OK);
    sg_test_write_bytes(sg_test_path(root, "images/scratch/scratch_0.png"), "x", 1);
    sg_test_write_bytes(sg_test_path(root, "images/good/good_0.png"), "y", 1);
    sg_test_write_bytes(sg_test_path(root, "images/good/good_1.png"), "z", 1);
    ck_assert_int_eq(symlink("good_1.png", sg_test_path(root, "images/good/again.png")), 0);
    ck_assert_int_eq(symlink("..", sg_test_path(root, "images/good/up")), 0);
    const char *scratch = "<annotation><filename>scratch_0.png</filename><size><width>8</width><height>8</height>"
                          "<depth>1</depth></size><object><name>scratch</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax>"
                          "<ymax>8</ymax></bndbox></object></annotation>";
    const char *good = "<annotation><filename>good_0.png</filename><size><width>8</width><height>8</height>"
                       "<depth>1</depth></size></annotation>";
    sg_test_write_bytes(sg_test_path(root, "annotations/scratch_0.xml"), scratch, strlen(scratch));
    sg_test_write_bytes(sg_test_path(root, "annotations/good_0.xml"), good, strlen(good));
    sg_dataset ds;
    ck_assert_msg(sg_dataset_from_voc(root, NULL, &ds) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(ds.n_classes, 2);
    ck_assert_str_eq(ds.class_names[0], "good");
    ck_assert_str_eq(ds.class_names[1], "scratch");
    ck_assert_int_eq(ds.n_samples, 2);
    ck_assert_str_eq(ds.samples[0].name, "images/good/good_0.png");
    ck_assert_int_eq(ds.samples[0].label, 0);
    ck_assert_int_eq(ds.samples[0].n_boxes, 0);
    ck_assert_str_eq(ds.samples[1].name, "images/scratch/scratch_0.png");
    ck_assert_int_eq(ds.samples[1].label, 1);
    ck_assert_int_eq(ds.samples[1].n_boxes, 1);
    /* good_1.png and its link again.png: one file, listed once (the first name wins). */
    ck_assert(notes_contain(&ds.skipped, "images/good/again.png: no annotation"));
    ck_assert(notes_contain(&ds.skipped, "images/good/good_1.png: same file as images/good/again.png"));
    ck_assert_int_eq(ds.skipped.count, 3);
    ck_assert(notes_contain(&ds.skipped, "images/good/up/: folder already listed"));
    ck_assert_int_eq(ds.warnings.count, 0);
    sg_dataset_free(&ds);
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(voc_parser_survives_truncation_and_bit_flips)
{
    const char *files[] = {"a.xml", "b.xml", "c.xml", "d.xml", "e.xml"};
    int runs = 0, ok = 0;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[256];
        snprintf(path, sizeof path, FIXTURES "/voc/annotations/%s", files[f]);
        size_t len;
        unsigned char *orig = sg_test_read_bytes(path, &len);
        for (size_t cut = 0; cut <= len; cut++) {
            char *exact = malloc(cut ? cut : 1);  /* exact size: ASan sees any overread */
            memcpy(exact, orig, cut);
            sg_voc voc;
            sg_err err = sg_voc_parse(exact, cut, "cut.xml", &voc);
            if (err == SG_OK) {
                ok++;
                sg_voc_free(&voc);
            } else {
                ck_assert_msg(err == SG_ERR_FORMAT && strstr(sg_error_message(), "cut.xml"), "%s cut at %zu: %s",
                              files[f], cut, sg_error_message());
            }
            free(exact);
            runs++;
        }
        static const char specials[] = "<>&;/!?[]-\"'#x0 \n";
        for (int k = 0; k < 400; k++) {
            char *buf = malloc(len);
            memcpy(buf, orig, len);
            sg_rng_key key = {f, SG_RNG_TEST, 31};
            uint32_t r = sg_rng_u32(key, (uint64_t)k);
            size_t at = sg_rng_below(key, (uint64_t)k + 1000000, (uint32_t)len);
            if (k % 2) buf[at] ^= (char)(1 << (r & 7));
            else buf[at] = specials[r % (sizeof specials - 1)];  /* markup characters hurt more */
            sg_voc voc;
            sg_err err = sg_voc_parse(buf, len, "flip.xml", &voc);
            if (err == SG_OK) {
                ok++;
                sg_voc_free(&voc);
            } else
                ck_assert_msg(err == SG_ERR_FORMAT && strstr(sg_error_message(), "flip.xml"), "%s", sg_error_message());
            free(buf);
            runs++;
        }
        free(orig);
    }
    printf("voc: %d truncated or mutated documents (%d parsed), every failure a format error naming the file\n",
           runs, ok);
}
END_TEST

/* All 1,800 NEU-DET annotations. Expected numbers from a Python one-off over
 * the same files (xml.etree, independent of this code):
 *   for f in sorted(os.listdir('annotations')):
 *       t = ET.parse('annotations/' + f).getroot(); cls = f[:-4].rsplit('_', 1)[0]
 *       for o in t.findall('object'):
 *           by_name[o.find('name').text] += 1; by_file[cls] += 1
 *           difficult += int(o.find('difficult').text)
 * -> 4189 boxes; by <name>: crazing 689, inclusion 1011, patches 881,
 *    pitted_surface 432, rolled-in_scale 628, scratches 548; by the file's
 *    class: 694, 884, 873, 489, 628, 621; difficult 81; 174 <filename>s
 *    without extension; the first object's <name> is the file's class in all
 *    1,800 files. The README gives the same totals. */
START_TEST(neu_det_has_4189_boxes_with_the_per_class_counts)
{
    char root[1024];
    if (!sg_test_data_dir("neu-det", root, sizeof root)) {
        printf("SKIP neu_det: %s not found (set SG_DATA_DIR to the folder holding neu-det/)\n", root);
        return;
    }
    sg_dataset ds;
    ck_assert_msg(sg_dataset_from_voc(root, NULL, &ds) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(ds.n_samples, 1800);
    ck_assert_int_eq(ds.n_classes, 6);
    static const char *classes[6] = {"crazing", "inclusion", "patches", "pitted_surface", "rolled-in_scale", "scratches"};
    static const int64_t by_name[6] = {689, 1011, 881, 432, 628, 548};
    static const int64_t by_file[6] = {694, 884, 873, 489, 628, 621};
    int64_t boxes[6], images[6], per_file[6] = {0}, total = 0, difficult = 0;
    sg_dataset_box_counts(&ds, boxes);
    sg_dataset_class_counts(&ds, images);
    for (int i = 0; i < ds.n_samples; i++) {
        const sg_sample *s = &ds.samples[i];
        /* images/<class>_<k>.jpg: the label (first box's class) is the file's class. */
        char expect[64];
        snprintf(expect, sizeof expect, "images/%s_", ds.class_names[s->label]);
        ck_assert_msg(strncmp(s->name, expect, strlen(expect)) == 0, "%s has label %s", s->name,
                      ds.class_names[s->label]);
        per_file[s->label] += s->n_boxes;
        total += s->n_boxes;
        for (int b = 0; b < s->n_boxes; b++) {
            difficult += s->boxes[b].difficult;
            ck_assert(s->boxes[b].xmin >= 1 && s->boxes[b].xmax <= 200 && s->boxes[b].xmin < s->boxes[b].xmax);
        }
    }
    ck_assert_int_eq(total, 4189);
    ck_assert_int_eq(difficult, 81);
    for (int c = 0; c < 6; c++) {
        ck_assert_str_eq(ds.class_names[c], classes[c]);
        ck_assert_msg(boxes[c] == by_name[c], "%s: %lld boxes by <name>, expected %lld", classes[c],
                      (long long)boxes[c], (long long)by_name[c]);
        ck_assert_msg(per_file[c] == by_file[c], "%s: %lld boxes in its files, expected %lld", classes[c],
                      (long long)per_file[c], (long long)by_file[c]);
        ck_assert_int_eq(images[c], 300);
    }
    /* 174 <filename>s lack the extension: all resolved silently; nothing skipped. */
    ck_assert_msg(ds.skipped.count == 0, "skipped: %s", ds.skipped.count ? ds.skipped.items[0] : "");
    ck_assert_msg(ds.warnings.count == 0, "warning: %s", ds.warnings.count ? ds.warnings.items[0] : "");
    printf("neu-det: 1800 annotations, 4189 boxes, per-class counts as computed by Python\n");
    sg_dataset_free(&ds);
}
END_TEST

static Suite *voc_suite(void)
{
    Suite *s = suite_create("voc");
    SG_ADD_TEST(s, xml_subset_handles_declarations_comments_cdata_entities_and_attributes, 10);
    SG_ADD_TEST(s, xml_errors_give_the_line_and_the_reason, 10);
    SG_ADD_TEST(s, voc_boxes_are_validated_clamped_or_dropped_with_warnings, 10);
    SG_ADD_TEST(s, voc_dataset_matches_images_by_filename_extension_or_stem, 10);
    SG_ADD_TEST(s, voc_dataset_finds_images_in_class_folders_and_labels_unboxed_ones_by_folder, 10);
    SG_ADD_TEST(s, voc_parser_survives_truncation_and_bit_flips, 30);
    SG_ADD_TEST(s, neu_det_has_4189_boxes_with_the_per_class_counts, 60);
    return s;
}

SG_TEST_MAIN(voc_suite)
