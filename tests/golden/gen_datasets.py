#!/usr/bin/python3
"""Fixtures for the data set readers (tests/test_dataset.c, test_voc.c,
test_csv.c, test_split.c): a small class-folder tree, a small VOC data set and
CSV manifests under tests/data/datasets/, plus the answers the C tests check:

  folders_expected.csv  the samples of folders/ in torchvision ImageFolder
                        order (classes = sorted sub-folder names; files as
                        sorted(os.walk(class_dir)) then sorted(file names)),
                        restricted to non-hidden entries with an image
                        extension - steelgrad's documented rule;
  probe_expected.csv    per image file: format, width and height as PIL
                        reads them, and the sha256 of the bytes (hashlib).

Run from anywhere with Debian's Python (PIL 9.4): /usr/bin/python3
tests/golden/gen_datasets.py. The output is deterministic and committed; the C
tests never need Python.
"""
import csv
import hashlib
import os
import shutil

from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "datasets")
IMAGE_EXT = {".bmp", ".pgm", ".ppm", ".pbm", ".pnm", ".png", ".jpg", ".jpeg"}


def gray(w, h, seed):
    return Image.frombytes("L", (w, h), bytes((seed * 37 + i * 11) % 256 for i in range(w * h)))


def rgb(w, h, seed):
    return Image.frombytes("RGB", (w, h), bytes((seed * 53 + i * 7) % 256 for i in range(3 * w * h)))


def put(rel, img, fmt):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img.save(path, fmt)


def put_bytes(rel, data):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_folders():
    f = "folders/"
    # Byte-wise class order: 'Z' (0x5a) < 'a' (0x61) < 'b'.
    put(f + "Z_upper/a.bmp", gray(5, 4, 1), "BMP")
    put(f + "Z_upper/IMG2.PNG", rgb(3, 2, 2), "PNG")            # upper-case extension
    put(f + "Z_upper/with,comma.bmp", gray(2, 3, 3), "BMP")     # needs quoting in a CSV
    put(f + "a_crack/x1.bmp", gray(7, 3, 4), "BMP")
    put(f + "a_crack/sub/y.png", gray(4, 4, 5), "PNG")
    put(f + "a_crack/sub-b/z.pgm", gray(3, 5, 6), "PPM")        # PIL writes L as P5
    put(f + "a_crack/sub/deeper/w.ppm", rgb(2, 2, 7), "PPM")
    put(f + "a_crack/photo.jpeg", rgb(9, 6, 8), "JPEG")
    put_bytes(f + "a_crack/notes.txt", b"not an image\n")
    put_bytes(f + "a_crack/.DS_Store", b"\0\0\0\1Bud1")
    put(f + "a_crack/.hidden_dir/h.png", gray(2, 2, 9), "PNG")
    put(f + "b_scratch/dup1.bmp", gray(6, 5, 10), "BMP")
    shutil.copyfile(os.path.join(ROOT, f + "b_scratch/dup1.bmp"), os.path.join(ROOT, f + "b_scratch/dup2.bmp"))
    put(f + "b_scratch/same_pixels.pgm", gray(6, 5, 10), "PPM")  # dup1's pixels in another format
    full = os.path.join(ROOT, f + "b_scratch/full.png")
    gray(8, 8, 11).save(full, "PNG")
    with open(full, "rb") as fh:
        png = fh.read()
    os.remove(full)
    put_bytes(f + "b_scratch/broken.png", png[: len(png) - 20])     # header fine, data cut
    put_bytes(f + "b_scratch/garbage.jpg", b"this is text, not a JPEG\n")
    put_bytes(f + "README.txt", b"fixtures for tests/test_dataset.c\n")
    put(f + ".ipynb_checkpoints/c.png", gray(2, 2, 12), "PNG")


def imagefolder_order(root):
    """torchvision.datasets.folder.make_dataset, minus hidden entries."""
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    out = []
    for label, c in enumerate(classes):
        for dirpath, dirnames, fnames in sorted(os.walk(os.path.join(root, c), followlinks=True)):
            rel_dir = os.path.relpath(dirpath, root)
            if any(part.startswith(".") for part in rel_dir.split(os.sep)):
                continue
            for fname in sorted(fnames):
                if fname.startswith(".") or os.path.splitext(fname)[1].lower() not in IMAGE_EXT:
                    continue
                out.append((os.path.join(rel_dir, fname), label, c))
    return out


def write_expected(root_rel):
    root = os.path.join(ROOT, root_rel)
    rows = imagefolder_order(root)
    with open(os.path.join(ROOT, "folders_expected.csv"), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["name", "label", "class"])
        for name, label, c in rows:
            w.writerow([name, label, c])
    with open(os.path.join(ROOT, "probe_expected.csv"), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["name", "format", "width", "height", "sha256"])
        for name, _, _ in rows:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            try:
                with Image.open(path) as im:
                    fmt = {"BMP": "bmp", "PNG": "png", "PPM": "pnm", "JPEG": "jpeg"}[im.format]
                    width, height = im.size
            except Exception:
                fmt, width, height = "unknown", 0, 0
            w.writerow([name, fmt, width, height, hashlib.sha256(data).hexdigest()])


VOC_A = """<?xml version="1.0" encoding="UTF-8"?>
<!-- two defects, integer and float coordinates -->
<annotation verified="yes">
\t<folder>imgs</folder>
\t<filename>a.png</filename>
\t<size><width>20</width><height>10</height><depth>3</depth></size>
\t<object>
\t\t<name>scratch</name>
\t\t<difficult>0</difficult>
\t\t<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>11</xmax><ymax>9</ymax></bndbox>
\t</object>
\t<object>
\t\t<name> rolled-in &amp; scale </name>
\t\t<pose>Unspecified</pose>
\t\t<difficult>1</difficult>
\t\t<bndbox><xmin>2.5</xmin><ymin>0</ymin><xmax>19.75</xmax><ymax>10</ymax></bndbox>
\t</object>
</annotation>
"""

# No extension in <filename> (NEU-DET's quirk), CDATA, a character reference,
# one box out of range (clamped), one empty box (dropped), one without bndbox.
VOC_B = """<annotation>
  <filename>b</filename>
  <size><width>16</width><height>12</height><depth>1</depth></size>
  <object><name><![CDATA[scratch]]></name><difficult>0</difficult>
    <bndbox><xmin>-3</xmin><ymin>1</ymin><xmax>20</xmax><ymax>12</ymax></bndbox></object>
  <object><name>inclusion</name>
    <bndbox><xmin>5</xmin><ymin>5</ymin><xmax>5</xmax><ymax>9</ymax></bndbox></object>
  <object><name>sc&#114;atch</name><difficult>1</difficult>
    <bndbox><xmin>3</xmin><ymin>4</ymin><xmax>8</xmax><ymax>6</ymax></bndbox></object>
  <object><name>inclusion</name></object>
</annotation>"""

# <filename> names no file: matched by the annotation's stem with a warning.
VOC_C = """<annotation><filename>renamed_later.jpg</filename>
<size><width>8</width><height>8</height><depth>1</depth></size>
<object><name>inclusion</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>8</xmax><ymax>8</ymax></bndbox></object>
</annotation>
"""

VOC_D_BROKEN = """<annotation><filename>d.png</filename>
<object><name>scratch</name></objet>
</annotation>
"""

VOC_E_NO_IMAGE = """<annotation><filename>e.png</filename>
<object><name>scratch</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
</annotation>
"""


def make_voc():
    v = "voc/"
    put(v + "images/a.png", rgb(20, 10, 20), "PNG")
    put(v + "images/b.jpg", gray(16, 12, 21), "JPEG")
    put(v + "images/c.bmp", gray(8, 8, 22), "BMP")
    put(v + "images/d.png", gray(4, 4, 23), "PNG")
    put(v + "images/f.png", gray(4, 4, 24), "PNG")   # no annotation
    for name, text in [("a", VOC_A), ("b", VOC_B), ("c", VOC_C), ("d", VOC_D_BROKEN), ("e", VOC_E_NO_IMAGE)]:
        put_bytes(v + "annotations/%s.xml" % name, text.encode())
    put_bytes(v + "annotations/readme.txt", b"not an annotation\n")


# A manifest beside folders/: quoted fields, "" escapes, CRLF, an extra
# column in the middle, a blank line, and split names in several spellings.
MANIFEST = (
    "path,source,label,split\r\n"
    "folders/Z_upper/a.bmp,cam 1,Z_upper,train\r\n"
    "\"folders/Z_upper/with,comma.bmp\",\"cam \"\"2\"\"\",Z_upper,Validation\r\n"
    "\r\n"
    "folders/a_crack/x1.bmp,,a_crack,TEST\r\n"
    "folders/b_scratch/dup1.bmp,\"multi\r\nline\",b_scratch,\r\n"
)

BOXES = (
    "path,label,split,xmin,ymin,xmax,ymax\n"
    "voc/images/a.png,scratch,train,1,2,11,9\n"
    "voc/images/a.png,inclusion,train,2.5,0,19.75,10\n"
    "voc/images/f.png,good,val,,,,\n"
    "voc/images/c.bmp,inclusion,test,1,1,8,8\n"
)


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    make_folders()
    write_expected("folders")
    make_voc()
    put_bytes("manifest.csv", MANIFEST.encode())
    put_bytes("boxes.csv", BOXES.encode())
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print("wrote %s (%d bytes)" % (os.path.normpath(ROOT), total))


if __name__ == "__main__":
    main()
