"""Runs the QGIS plugin's Processing algorithms headless, through processing.run, and
compares them with the command line:

- "Run a plan configuration" on examples/tianjin-plan.toml: summary.json equal to the
  CLI's; the run loaded into the project (its layers styled, a theme and a layout per
  category);
- "Coverage of one category" with the communities as a memory layer (so exported to a
  temporary GeoPackage first): the coverage equal to `lifecircle cover` on the files;
- "Site new facilities": the proposed sites layer loaded;
- an error: lifecircle's own message raised as the Processing error;
- cancelling: the run stops and the output folder keeps what it held.

Usage: check_processing.py LIFECIRCLE_BINARY REPO_DIR WORK_DIR  (QT_QPA_PLATFORM=offscreen)
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, "/usr/share/qgis/python/plugins")

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsFeatureRequest,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)


def fail(message):
    print("check_processing: FAILED: " + message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


class Feedback(QgsProcessingFeedback):
    """Records what the algorithm reports; cancels at the first progress line if asked."""

    def __init__(self, cancel_at_progress=False):
        super().__init__()
        self.cancel_at_progress = cancel_at_progress
        self.steps, self.errors, self.infos, self.commands = [], [], [], []

    def setProgressText(self, text):  # noqa: N802
        self.steps.append(text)
        if self.cancel_at_progress:
            self.cancel()

    def reportError(self, error, fatalError=False):  # noqa: N802,N803
        self.errors.append(error)

    def pushInfo(self, info):  # noqa: N802
        self.infos.append(info)

    def pushCommandInfo(self, info):  # noqa: N802
        self.commands.append(info)


def summary(folder):
    with open(os.path.join(folder, "summary.json"), encoding="utf-8") as f:
        return json.load(f)


def main():
    binary, repo, work = (os.path.abspath(a) for a in sys.argv[1:4])
    os.environ["LIFECIRCLE_EXECUTABLE"] = binary
    sys.path.insert(0, os.path.join(repo, "qgis"))
    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    import processing
    from lifecircle.plugin import LifecirclePlugin

    plugin = LifecirclePlugin()
    plugin.initProcessing()
    ids = {a.id() for a in QgsApplication.processingRegistry().providerById("lifecircle").algorithms()}
    check(ids == {"lifecircle:runplan", "lifecircle:cover", "lifecircle:site"}, "algorithms {}".format(ids))

    # The plan, by Processing and by the command line.
    config = os.path.join(repo, "examples", "tianjin-plan.toml")
    cli_out = os.path.join(work, "cli-plan")
    subprocess.run([binary, "run", config, "--out", cli_out, "--quiet", "--no-maps", "--no-report"], check=True)
    feedback = Feedback()
    out = os.path.join(work, "processing-plan")
    result = processing.run("lifecircle:runplan", {"CONFIG": config, "OUTPUT": out, "LANG": 0, "LOAD": True}, feedback=feedback)
    check(summary(out) == summary(cli_out), "the plan's summary differs from the command line's")
    check(result["TARGETS_MET"] is False, "the sample misses its market target")
    check(result["PROJECT"].endswith(".qgs") and os.path.exists(result["PROJECT"]), "no project")
    check(any(s.startswith("measure market") for s in feedback.steps), "no progress: {}".format(feedback.steps[:5]))
    project = QgsProject.instance()
    categories = summary(out)["categories"]
    themes = project.mapThemeCollection().mapThemes()
    check(len(themes) == len(categories), "themes loaded: {}".format(themes))
    check(len(project.layoutManager().printLayouts()) == len(categories), "layouts loaded")
    communities = [l for l in project.mapLayers().values() if l.name() == "Communities"]
    check(len(communities) == 1 and communities[0].isValid(), "communities loaded")
    check(communities[0].renderer().type() == "graduatedSymbol", "communities loaded unstyled")
    check(
        sorted(communities[0].styleManager().styles()) == sorted(c["name"] for c in categories),
        "communities' styles {}".format(communities[0].styleManager().styles()),
    )
    for layout in project.layoutManager().printLayouts():
        maps = [i for i in layout.items() if i.__class__.__name__ == "QgsLayoutItemMap"]
        check(maps and maps[0].followVisibilityPresetName() in themes, "layout {} follows no loaded theme".format(layout.name()))
        legend_layers = [l.layer() for l in [i for i in layout.items() if i.__class__.__name__ == "QgsLayoutItemLegend"][0].model().rootGroup().findLayers()]
        check(all(l is not None and l.id() in project.mapLayers() for l in legend_layers), "legend of {} lost its layers".format(layout.name()))

    # Drawn as the run draws: facilities over communities over service areas.
    order = [l.name() for l in project.layerTreeRoot().layerOrder()]
    check(order.index("Facilities") < order.index("Communities") < order.index("Service areas (1,000 m), market"), "drawing order {}".format(order))
    # A second run of the same plan adds its own group, themes and layouts: the first
    # run's stay as they were.
    first_themes = set(themes)
    first_layouts = {l.name(): l for l in project.layoutManager().printLayouts()}
    processing.run("lifecircle:runplan", {"CONFIG": config, "OUTPUT": os.path.join(work, "processing-plan-2"), "LOAD": True}, feedback=Feedback())
    themes = project.mapThemeCollection().mapThemes()
    check(first_themes < set(themes) and len(themes) == 2 * len(categories), "second run's themes: {}".format(themes))
    check(all(project.layoutManager().layoutByName(n) is l for n, l in first_layouts.items()), "the first run's layouts were replaced")
    check(len(project.layoutManager().printLayouts()) == 2 * len(categories), "second run's layouts")
    groups = [g.name() for g in project.layerTreeRoot().children()]
    check(groups[:2] == [groups[1] + " (2)", groups[1]], "run groups {}".format(groups))
    for theme in first_themes:
        visible = project.mapThemeCollection().mapThemeVisibleLayers(theme)
        check(all(os.path.join(work, "processing-plan") + os.sep in l.source() for l in visible), "theme {} shows the second run".format(theme))

    # One category, its communities a memory layer.
    data = os.path.join(repo, "data", "teda")
    source = QgsVectorLayer(os.path.join(data, "communities.geojson"), "communities", "ogr")
    memory = source.materialize(QgsFeatureRequest())
    check(memory.providerType() == "memory" and memory.featureCount() == source.featureCount(), "memory layer")
    facilities = os.path.join(data, "facilities.geojson")
    out = os.path.join(work, "processing-cover")
    parameters = {
        "COMMUNITIES": memory,
        "FACILITIES": facilities,
        "CATEGORY": "market",
        "RADIUS": 1000,
        "TARGET": 95,
        "OUTPUT": out,
        "LOAD": False,
    }
    feedback = Feedback()
    result = processing.run("lifecircle:cover", parameters, feedback=feedback)
    check(any(".gpkg" in c for c in feedback.commands), "the memory layer was not exported: {}".format(feedback.commands))
    cli_out = os.path.join(work, "cli-cover")
    subprocess.run(
        [binary, "cover", "--communities", os.path.join(data, "communities.geojson"), "--facilities", facilities,
         "--category", "market", "--radius", "1000", "--target", "0.95", "--out", cli_out, "--quiet",
         "--no-maps", "--no-report"],
        check=True,
    )
    expected = summary(cli_out)["categories"][0]["coverage"]
    check(abs(result["COVERAGE"] - expected) < 1e-9, "cover: {} against the CLI's {}".format(result["COVERAGE"], expected))

    # Siting: the proposed sites are a loaded layer.
    out = os.path.join(work, "processing-site")
    parameters.update(
        {
            "OUTPUT": out,
            "LOAD": True,
            "CANDIDATES": 0,
            "COMMUNITIES": os.path.join(data, "communities.geojson"),
            "DEMAND": os.path.join(data, "buildings.geojson"),
            "BASIS": 1,
        }
    )
    result = processing.run("lifecircle:site", parameters, feedback=Feedback())
    sites = [l for l in project.mapLayers().values() if l.source().endswith("layername=sites_market") and out in l.source()]
    check(len(sites) == 1 and sites[0].featureCount() > 0, "no proposed sites loaded")

    # An error: lifecircle's message, not a traceback.
    feedback = Feedback()
    try:
        processing.run("lifecircle:cover", dict(parameters, INPUT_CRS="EPSG:999999", OUTPUT=os.path.join(work, "bad")), feedback=feedback)
        fail("a bad CRS did not fail")
    except QgsProcessingException as e:
        check("999999" in str(e), "the error does not name the CRS: {}".format(e))
        check(feedback.errors and "999999" in feedback.errors[0], "the error was not reported: {}".format(feedback.errors))

    # Cancelling: the folder keeps what it held.
    out = os.path.join(work, "processing-cancel")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "kept.txt"), "w") as f:
        f.write("before")
    try:
        processing.run("lifecircle:runplan", {"CONFIG": config, "OUTPUT": out, "LOAD": False}, feedback=Feedback(cancel_at_progress=True))
        fail("the cancelled run did not stop")
    except QgsProcessingException as e:
        check("Cancelled" in str(e), "cancelling said: {}".format(e))
    check(sorted(os.listdir(out)) == ["kept.txt"], "the cancelled run changed its folder: {}".format(os.listdir(out)))
    print("check_processing: ok (runplan, cover from a memory layer, site, an error, a cancel)")
    sys.stdout.flush()
    # QGIS 3.22 may crash tearing down Processing's providers at exit (exitQgis): the checks
    # are done, so leave without it.
    os._exit(0)


if __name__ == "__main__":
    main()
