"""Opens a run's QGIS project in QGIS itself, headless, from the .qgs beside results.gpkg
and from inside the GeoPackage, and checks what a planner gets:

- every layer valid, styled, with the features of its GeoJSON twin;
- one map theme per category, its layers visible and the others hidden, the communities
  coloured by that category's share; the first category's theme is the view on opening;
- one print layout per category: exported to PDF, rasterised by pdftoppm, the page is not
  blank, its map holds the share colours, and its text (pdftotext) holds the title and the
  category (in Chinese for a Chinese run).

Usage: check_project.py OUT_DIR PNG_DIR   (run with QT_QPA_PLATFORM=offscreen)
Writes PNG_DIR/<lang>-theme-<n>.png (the canvas on each theme) and
PNG_DIR/<lang>-layout-<n>.png (each layout's page) to look at. Exits 1 on the first failure.
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
import unicodedata

from qgis.core import (
    QgsApplication,
    QgsLayoutExporter,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor, QImage

SHARE_COLOURS = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]


def fail(message):
    print("check_project: FAILED: " + message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def geojson_count(out, table):
    with open(os.path.join(out, table + ".geojson"), encoding="utf-8") as f:
        return len(json.load(f)["features"])


def share_pixels(image, rect=None):
    """The share of an image's pixels (inside rect: x0, y0, x1, y1) in a share colour."""
    colours = [QColor(c) for c in SHARE_COLOURS]
    x0, y0, x1, y1 = rect or (0, 0, image.width(), image.height())
    hits = total = 0
    for y in range(y0, y1, 2):
        for x in range(x0, x1, 2):
            total += 1
            p = QColor(image.pixel(x, y))
            # A PDF and its rasteriser may shift a colour by a unit or two.
            if any(
                abs(p.red() - c.red()) <= 3 and abs(p.green() - c.green()) <= 3 and abs(p.blue() - c.blue()) <= 3
                for c in colours
            ):
                hits += 1
    return hits / max(total, 1)


def non_white(image):
    hits = total = 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            total += 1
            if image.pixel(x, y) & 0xFFFFFF != 0xFFFFFF:
                hits += 1
    return hits / max(total, 1)


def check_project(uri, out, summary, png_dir, lang, look):
    project = QgsProject.instance()
    project.clear()
    check(project.read(uri), "QGIS cannot read {}: {}".format(uri, project.error()))
    check(project.crs().authid() == summary["work_crs"], "project CRS " + project.crs().authid())
    categories = summary["categories"]
    names = [c["name"] for c in categories]
    titles = [c.get("label") or c["name"] for c in categories]

    layers = {l.id(): l for l in project.mapLayers().values()}
    for layer in layers.values():
        check(layer.isValid(), "layer {} is not valid in {}".format(layer.name(), uri))
        table = layer.id().replace("lifecircle_", "", 1)
        count = geojson_count(out, table)
        check(layer.featureCount() == count, "{}: {} features, {} in its GeoJSON".format(table, layer.featureCount(), count))
    expected = {"lifecircle_communities", "lifecircle_facilities"}
    expected |= {"lifecircle_{}_{}".format(kind, n) for n in names for kind in ("circles", "gaps")}
    check(expected <= set(layers), "layers missing: {}".format(expected - set(layers)))
    check(layers["lifecircle_communities"].renderer().type() == "graduatedSymbol", "communities not graduated")
    check(layers["lifecircle_facilities"].renderer().type() == "categorizedSymbol", "facilities not categorized")

    def owner(layer_id):
        """The category a layer belongs to, None for the shared layers."""
        for n in names:
            for kind in ("circles", "gaps", "sites"):
                own = "lifecircle_{}_{}".format(kind, n)
                rest = layer_id[len(own):]
                if layer_id.startswith(own) and (rest == "" or (kind == "sites" and rest[1:].isdigit() and rest[0] == "_")):
                    return n
        return None

    # The view on opening is the first category's theme.
    root = project.layerTreeRoot()
    for layer_id in layers:
        visible = root.findLayer(layer_id).isVisible()
        should = owner(layer_id) in (None, names[0])
        check(visible == should, "{} visible={} on opening".format(layer_id, visible))
    check(layers["lifecircle_communities"].styleManager().currentStyle() == names[0], "communities' style on opening")

    themes = project.mapThemeCollection()
    check(themes.mapThemes() == sorted(titles) or set(themes.mapThemes()) == set(titles), "themes {}".format(themes.mapThemes()))
    for c, (name, title) in enumerate(zip(names, titles)):
        visible = set(themes.mapThemeVisibleLayerIds(title))
        want = {i for i in layers if owner(i) in (None, name)}
        check(visible == want, "theme {}: visible {}".format(title, sorted(visible)))
        style = themes.mapThemeStyleOverrides(title)["lifecircle_communities"]
        check('"{}_share"'.format(name) in style, "theme {}: communities not coloured by {}_share".format(title, name))
        if look:
            settings = QgsMapSettings()
            settings.setLayers(themes.mapThemeVisibleLayers(title))
            settings.setLayerStyleOverrides(themes.mapThemeStyleOverrides(title))
            settings.setDestinationCrs(project.crs())
            settings.setExtent(project.viewSettings().defaultViewExtent())
            settings.setOutputSize(QSize(800, 640))
            settings.setBackgroundColor(QColor("white"))
            job = QgsMapRendererParallelJob(settings)
            job.start()
            job.waitForFinished()
            image = job.renderedImage()
            image.save(os.path.join(png_dir, "{}-theme-{}.png".format(lang, c + 1)))
            check(share_pixels(image) > 0.1, "theme {}: the canvas shows no share colours".format(title))

    layouts = project.layoutManager().printLayouts()
    check(sorted(l.name() for l in layouts) == sorted(titles), "layouts {}".format([l.name() for l in layouts]))
    with tempfile.TemporaryDirectory() as tmp:
        for layout in layouts:
            c = titles.index(layout.name())
            pdf = os.path.join(tmp, "layout.pdf")
            result = QgsLayoutExporter(layout).exportToPdf(pdf, QgsLayoutExporter.PdfExportSettings())
            check(result == QgsLayoutExporter.Success, "layout {}: PDF export failed ({})".format(layout.name(), result))
            text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout
            # pdftotext gives some ideographs as their compatibility forms (⽰ for 示).
            flat = unicodedata.normalize("NFKC", text).replace("\n", " ")
            title_words = summary_title(out, lang)
            check(title_words in flat, "layout {}: title {!r} not in its PDF: {!r}".format(layout.name(), title_words, flat[:300]))
            check(names[c] in flat or titles[c].split(" ")[0] in flat, "layout {}: category not in its PDF".format(layout.name()))
            stem = os.path.join(tmp, "page")
            subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", pdf, stem], check=True)
            page = QImage(stem + ".png")
            check(not page.isNull(), "layout {}: pdftoppm wrote no page".format(layout.name()))
            check(page.width() > page.height(), "layout {}: not landscape".format(layout.name()))
            check(non_white(page) > 0.15, "layout {}: the page is blank".format(layout.name()))
            # The map frame: 10..205 mm across, 26..186 mm down, of 297 x 210.
            sx, sy = page.width() / 297.0, page.height() / 210.0
            frame = (int(12 * sx), int(28 * sy), int(203 * sx), int(184 * sy))
            # Gaps are tinted, so only part of the communities keep their pure share colour.
            check(share_pixels(page, frame) > 0.02, "layout {}: the map shows no share colours".format(layout.name()))
            check(non_white(page.copy(*frame[:2], frame[2] - frame[0], frame[3] - frame[1])) > 0.3, "layout {}: the map is empty".format(layout.name()))
            if look:
                page.save(os.path.join(png_dir, "{}-layout-{}.png".format(lang, c + 1)))
    print("check_project: {} ok ({} layers, {} themes, {} layouts)".format(uri, len(layers), len(titles), len(layouts)))


def summary_title(out, lang):
    """The words of the run's title the PDF must hold (digits aside: Qt's PDF text of Latin
    digits in a CJK font does not always extract)."""
    name = os.path.basename(glob.glob(os.path.join(out, "*.qgs"))[0])[: -len(".qgs")]
    words = [w for w in name.replace(" - ", " ").split(" ") if w and not any(ch.isdigit() for ch in w)]
    return " ".join(words[:3]) if lang == "en" else name[:5]


def main():
    out, png_dir = sys.argv[1], sys.argv[2]
    os.makedirs(png_dir, exist_ok=True)
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    projects = glob.glob(os.path.join(out, "*.qgs"))
    check(len(projects) == 1, "expected one .qgs in {}, found {}".format(out, projects))
    name = os.path.basename(projects[0])[: -len(".qgs")]
    lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in name) else "en"
    app = QgsApplication([], False)
    app.initQgis()
    check_project(projects[0], out, summary, png_dir, lang, look=True)
    gpkg = "geopackage:{}?projectName={}".format(os.path.join(out, "results.gpkg"), name)
    check_project(gpkg, out, summary, png_dir, lang, look=False)
    app.exitQgis()


if __name__ == "__main__":
    main()
