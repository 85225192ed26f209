#!/usr/bin/python3
"""Open a lifecircle output folder in QGIS, as a planner would, and check what QGIS sees.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/check_gpkg.py OUT_DIR PNG_PREFIX

`make qgis-check` runs it on the sample district. Needs Debian's QGIS Python bindings
(python3-qgis, qgis-providers; QGIS 3.22 on Debian 12).

For every feature layer of OUT_DIR/results.gpkg: the layer opens (isValid), is EPSG:4326,
has as many features as its GeoJSON, and QGIS applied the default style from the
GeoPackage's layer_styles table on opening: the renderer type, the number of classes and
their colours are the ones of src/style.rs (copied below: the check is that QGIS applied
them, not how the Rust code wrote them). The GeoJSON layers are opened the same way, where
QGIS picks up the .qml beside each file.

Then it renders what a planner sees, so a person can look at it:
  PNG_PREFIX-gpkg.png                 every layer of results.gpkg, with a legend
  PNG_PREFIX-geojson.png              every GeoJSON layer with its .qml
  PNG_PREFIX-gpkg-CAT.png             one category: the communities in its style (the extra
                                      styles of layer_styles), its circles and gaps, facilities

Prints one line per check and `N passed, M failed`; exits 1 when any check failed.
"""

import json
import os
import sqlite3
import sys

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsLayerTree,
    QgsLayerTreeModel,
    QgsLegendRenderer,
    QgsLegendSettings,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsRenderContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize, Qt
from qgis.PyQt.QtGui import QColor, QImage, QPainter
from qgis.PyQt.QtXml import QDomDocument

# src/style.rs
SHARE_COLOURS = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
NO_DATA_COLOUR = "#d9d9d9"
GAP_COLOUR = "#d55e00"
CATEGORY_COLOURS = ["#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#0072b2", "#f0e442", "#d55e00", "#000000"]
CIRCLE_FILL_ALPHA = round(0.18 * 255)

PASSED = []
FAILED = []


def check(ok, what):
    (PASSED if ok else FAILED).append(what)
    print(("ok    " if ok else "FAIL  ") + what)
    return ok


def hex_of(colour):
    return colour.name().lower()


def feature_layers(gpkg):
    db = sqlite3.connect(gpkg)
    try:
        return [r[0] for r in db.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid")]
    finally:
        db.close()


def categories(out_dir):
    """The analysed categories, in order, from summary.json."""
    with open(os.path.join(out_dir, "summary.json"), encoding="utf-8") as f:
        return [c["name"] for c in json.load(f)["categories"]]


def geojson_count(out_dir, name):
    with open(os.path.join(out_dir, name + ".geojson"), encoding="utf-8") as f:
        return len(json.load(f)["features"])


def check_style(layer, name, cats, where):
    """The renderer QGIS has for `layer` is the one designed for it."""
    r = layer.renderer()
    kind = r.type() if r else None
    symbols = r.symbols(QgsRenderContext()) if r else []
    if name in ("communities", "demand"):
        check(kind == "graduatedSymbol", f"{where} {name}: graduated renderer (got {kind})")
        if kind != "graduatedSymbol":
            return
        want = list(reversed(SHARE_COLOURS)) + [NO_DATA_COLOUR]
        got = [hex_of(rng.symbol().color()) for rng in r.ranges()]
        check(got == want, f"{where} {name}: 6 share classes in YlGnBu and grey (got {got})")
        labels = [rng.label() for rng in r.ranges()]
        check(labels[0] == "80-100%" and labels[-1] == "no data", f"{where} {name}: class labels {labels}")
        field = "share" if name == "communities" else "covered"
        check(f"{cats[0]}_{field}" in r.classAttribute(), f"{where} {name}: classed on {r.classAttribute()}")
        if name == "communities":
            text = layer.labeling().settings().fieldName if layer.labeling() else ""
            check(layer.labelsEnabled() and text.startswith('"name" ||'),
                  f"{where} {name}: labelled with the community name and share ({text})")
    elif name == "facilities":
        check(kind == "categorizedSymbol", f"{where} {name}: categorized renderer (got {kind})")
        if kind != "categorizedSymbol":
            return
        got = [(c.value(), hex_of(c.symbol().color())) for c in r.categories()]
        want = [(c, CATEGORY_COLOURS[i % 8]) for i, c in enumerate(cats)]
        check(got[:len(cats)] == want and len(got) == len(cats) + 1,
              f"{where} {name}: one Okabe-Ito colour per category and one for the rest (got {got})")
        check(r.classAttribute() == "category", f"{where} {name}: classed on category")
    elif name.startswith("circles_"):
        check(kind == "singleSymbol", f"{where} {name}: single symbol (got {kind})")
        cat = name[len("circles_"):]
        colour = QColor(CATEGORY_COLOURS[cats.index(cat) % 8])
        fill = symbols[0].symbolLayer(0)
        check(hex_of(fill.color()) == colour.name() and fill.color().alpha() == CIRCLE_FILL_ALPHA
              and hex_of(fill.strokeColor()) == colour.name(),
              f"{where} {name}: translucent fill and outline in the category colour")
    elif name.startswith("gaps_"):
        check(kind == "singleSymbol", f"{where} {name}: single symbol (got {kind})")
        sl = symbols[0].symbolLayer(0)
        if layer.geometryType() == 2:  # polygons
            check(hex_of(sl.strokeColor()) == GAP_COLOUR and abs(sl.strokeWidth() - 0.8) < 1e-9
                  and sl.color().alpha() < 64,
                  f"{where} {name}: faint fill, 0.8 mm vermilion outline")
        else:
            check(hex_of(sl.color()) == GAP_COLOUR, f"{where} {name}: vermilion markers")
    else:
        check(False, f"{where} {name}: a layer nobody designed a style for")


def render(layers, extent_layer, path, legend=True, size=(1400, 1100)):
    """Draws `layers` (bottom first) over the extent of `extent_layer` into `path`."""
    crs = QgsCoordinateReferenceSystem("EPSG:3857")
    to_map = QgsCoordinateTransform(extent_layer.crs(), crs, QgsProject.instance())
    extent = to_map.transformBoundingBox(extent_layer.extent())
    extent.scale(1.06)
    settings = QgsMapSettings()
    settings.setLayers(list(reversed(layers)))  # QGIS lists the top layer first
    settings.setDestinationCrs(crs)
    settings.setOutputSize(QSize(*size))
    settings.setOutputDpi(110)
    settings.setBackgroundColor(QColor("white"))
    settings.setExtent(extent)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    if legend:
        image = with_legend(image, layers)
    ok = image.save(path)
    check(ok, f"rendered {path}")


def with_legend(map_image, layers):
    root = QgsLayerTree()
    for layer in reversed(layers):
        root.addLayer(layer)
    model = QgsLayerTreeModel(root)
    settings = QgsLegendSettings()
    renderer = QgsLegendRenderer(model, settings)
    probe = QImage(10, 10, QImage.Format_ARGB32)
    painter = QPainter(probe)
    context = QgsRenderContext.fromQPainter(painter)
    context.setScaleFactor(110 / 25.4)
    size = renderer.minimumSize(context)
    painter.end()
    width = int(size.width() * 110 / 25.4) + 20
    out = QImage(map_image.width() + width, max(map_image.height(), int(size.height() * 110 / 25.4) + 20),
                 QImage.Format_ARGB32)
    out.fill(QColor("white"))
    painter = QPainter(out)
    painter.drawImage(0, 0, map_image)
    painter.translate(map_image.width() + 10, 10)
    painter.setRenderHint(QPainter.Antialiasing)
    context = QgsRenderContext.fromQPainter(painter)
    context.setScaleFactor(110 / 25.4)
    context.setFlag(QgsRenderContext.Antialiasing, True)
    painter.scale(110 / 25.4, 110 / 25.4)  # the legend draws in mm
    context.setScaleFactor(1.0)
    renderer.drawLegend(context)
    painter.end()
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    out_dir, prefix = sys.argv[1], sys.argv[2]
    gpkg = os.path.join(out_dir, "results.gpkg")
    app = QgsApplication([], False)
    app.initQgis()
    cats = categories(out_dir)
    names = feature_layers(gpkg)
    check(len(names) > 0, f"{gpkg}: {len(names)} feature layers: {', '.join(names)}")

    layers = []
    for name in names:
        layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
        if not check(layer.isValid(), f"gpkg {name}: opens"):
            continue
        check(layer.crs().authid() == "EPSG:4326", f"gpkg {name}: EPSG:4326 (got {layer.crs().authid()})")
        n = geojson_count(out_dir, name)
        check(layer.featureCount() == n, f"gpkg {name}: {layer.featureCount()} features, GeoJSON {n}")
        check_style(layer, name, cats, "gpkg")
        count, ids, style_names, descriptions, _ = layer.listStylesInDatabase()
        want = 1 + (len(cats) - 1 if name == "communities" else 0)
        # The styles of this layer come first in the list, then those of the other layers.
        check(count == want, f"gpkg {name}: {count} styles in layer_styles ({', '.join(style_names[:count])})")
        layers.append(layer)
        QgsProject.instance().addMapLayer(layer, False)

    communities = next((l for l in layers if l.name() == "communities"), layers[0] if layers else None)
    if communities is not None:
        render(layers, communities, f"{prefix}-gpkg.png")

    # The same layers as GeoJSON: QGIS loads each .qml beside its file.
    geo = []
    for name in names:
        path = os.path.join(out_dir, name + ".geojson")
        layer = QgsVectorLayer(path, name, "ogr")
        if not check(layer.isValid(), f"geojson {name}: opens"):
            continue
        if layer.featureCount() == 0:
            # GDAL cannot tell the geometry type of an empty FeatureCollection: QGIS opens it
            # as a table, with no symbols to check.
            print(f"note  geojson {name}: empty, opens as a table without geometry")
            continue
        check_style(layer, name, cats, "geojson")
        geo.append(layer)
        QgsProject.instance().addMapLayer(layer, False)
    if geo:
        render(geo, geo[0], f"{prefix}-geojson.png")

    # What a planner looks at for one category: the communities in that category's style
    # (the default for the first, the extra styles of layer_styles for the others), its
    # service areas and gaps, and the facilities.
    if communities is not None:
        count, ids, style_names, _, _ = communities.listStylesInDatabase()
        by_name = dict(zip(style_names[:count], ids[:count]))
        by_layer = {l.name(): l for l in layers}
        for i, cat in enumerate(cats):
            if i == 0:
                styled = communities
            else:
                sid = by_name.get(f"{cat} share")
                if not check(sid is not None, f"gpkg communities: a style '{cat} share'"):
                    continue
                qml, _ = communities.getStyleFromDatabase(sid)
                styled = QgsVectorLayer(f"{gpkg}|layername=communities", "communities", "ogr")
                doc = QDomDocument()
                doc.setContent(qml)
                ok, _ = styled.importNamedStyle(doc)
                r = styled.renderer()
                check(ok and r.type() == "graduatedSymbol" and f'"{cat}_share"' in r.classAttribute(),
                      f"gpkg communities style '{cat} share': graduated on {r.classAttribute()}")
            shown = [styled] + [by_layer[n] for n in (f"circles_{cat}", f"gaps_{cat}", "facilities")
                                if n in by_layer]
            render(shown, communities, f"{prefix}-gpkg-{cat}.png")

    print(f"{len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # Tearing down QGIS with layers still alive crashes PyQGIS 3.22: leave at once.
    os._exit(code)
