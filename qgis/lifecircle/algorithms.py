"""The provider's algorithms: run a plan configuration, measure one category, site new
facilities. Each runs the lifecircle program and, when asked, loads its results into the
current project with their styles, map themes and print layouts."""

import json
import os
import sqlite3
from contextlib import closing
from urllib.request import pathname2url

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputBoolean,
    QgsProcessingOutputFile,
    QgsProcessingOutputFolder,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from . import loader, runner

LANGS = ["as the configuration says (else English)", "English", "Chinese (中文)"]
LANG_ARGS = [None, "en", "zh"]
BASES = ["chosen from the data", "population", "area", "communities"]
BASIS_ARGS = [None, "population", "area", "communities"]
CANDIDATES = ["points in the gaps", "a grid over the gaps", "a layer of candidate sites"]

#: Formats lifecircle reads as they are; any other layer (memory, database, CSV, a
#: selection, a layer of a GeoPackage holding several) is written to a temporary
#: GeoPackage first.
READABLE = ["geojson", "shp"]


class LifecircleAlgorithm(QgsProcessingAlgorithm):
    """What the three algorithms share: the output folder, language, loading."""

    def group(self):
        return ""

    def groupId(self):  # noqa: N802
        return ""

    def createInstance(self):  # noqa: N802
        return type(self)()

    def add_common(self):
        self.addParameter(
            QgsProcessingParameterEnum("LANG", "Language of the report, maps and layouts", LANGS, defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                "LOAD", "Load the results (styled, with a map theme and a print layout per category)", defaultValue=True
            )
        )
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT", "Output folder"))
        self.addOutput(QgsProcessingOutputFolder("OUTPUT_FOLDER", "Output folder"))
        self.addOutput(QgsProcessingOutputFile("SUMMARY", "summary.json"))
        self.addOutput(QgsProcessingOutputFile("GEOPACKAGE", "results.gpkg"))
        self.addOutput(QgsProcessingOutputFile("PROJECT", "QGIS project (.qgs)"))
        self.addOutput(QgsProcessingOutputFile("REPORT", "report.html"))
        self.addOutput(QgsProcessingOutputBoolean("TARGETS_MET", "Every target met"))

    def common_arguments(self, parameters, context):
        out = self.parameterAsString(parameters, "OUTPUT", context)
        arguments = ["--out", out]
        lang = LANG_ARGS[self.parameterAsEnum(parameters, "LANG", context)]
        if lang:
            arguments += ["--lang", lang]
        return out, arguments

    def finish(self, out, parameters, context, feedback):
        """Reads the run's summary into the outputs; remembers what to load."""
        summary_path = os.path.join(out, "summary.json")
        try:
            with open(summary_path, encoding="utf-8") as f:
                summary = json.load(f)
        except (OSError, ValueError) as e:
            raise QgsProcessingException("lifecircle wrote no readable summary.json in {}: {}".format(out, e))
        met = all(c.get("meets_target") is not False for c in summary.get("categories", []))
        for c in summary.get("categories", []):
            feedback.pushInfo(
                "{}: {:.1%} within {:g} m ({}, {})".format(
                    c["name"], c["coverage"], c["radius_m"], c["basis"], c["distance_model"]
                )
            )
        gpkg = os.path.join(out, "results.gpkg")
        project = run_project(gpkg)
        self.to_load = (project, "lifecircle: " + os.path.basename(project)[: -len(".qgs")]) if project else None
        self.load = self.parameterAsBoolean(parameters, "LOAD", context)
        results = {
            "OUTPUT_FOLDER": out,
            "SUMMARY": summary_path,
            "GEOPACKAGE": gpkg,
            "PROJECT": project,
            "REPORT": os.path.join(out, "report.html"),
            "TARGETS_MET": met,
        }
        return results, summary

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        # Runs in the main thread, where the project may be changed.
        if getattr(self, "load", False) and getattr(self, "to_load", None):
            qgs, name = self.to_load
            loaded = loader.load_run(qgs, context.project(), name)
            feedback.pushInfo(
                "Loaded {} layers, {} map themes and {} print layouts from {}".format(
                    loaded["layers"], loaded["themes"], loaded["layouts"], qgs
                )
            )
        return {}


def run_project(gpkg):
    """The .qgs this run wrote: the one named by the project stored in its results.gpkg (an
    older run's .qgs under another title may still lie in the folder), or None."""
    if not os.path.exists(gpkg):
        return None
    try:
        with closing(sqlite3.connect("file:{}?mode=ro".format(pathname2url(gpkg)), uri=True)) as db:
            row = db.execute("SELECT name FROM qgis_projects").fetchone()
    except sqlite3.Error:
        return None
    path = os.path.join(os.path.dirname(gpkg), row[0] + ".qgs") if row else None
    return path if path and os.path.exists(path) else None


class RunPlan(LifecircleAlgorithm):
    """lifecircle run CONFIG."""

    def name(self):
        return "runplan"

    def displayName(self):  # noqa: N802
        return "Run a plan configuration"

    def shortHelpString(self):  # noqa: N802
        return (
            "Runs a lifecircle configuration file (TOML): every category, life-circle level, "
            "indicator and siting it asks for, on the files it names. Writes the summaries, "
            "layers, results.gpkg with its QGIS project, maps and report into the output "
            "folder, and loads the results."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(
            QgsProcessingParameterFile("CONFIG", "Plan configuration (.toml)", extension="toml")
        )
        self.add_common()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        config = self.parameterAsFile(parameters, "CONFIG", context)
        out, arguments = self.common_arguments(parameters, context)
        runner.run(["run", config] + arguments, feedback)
        results, _ = self.finish(out, parameters, context, feedback)
        return results


class CoverCategory(LifecircleAlgorithm):
    """lifecircle cover: one category, configured by the dialog."""

    def name(self):
        return "cover"

    def displayName(self):  # noqa: N802
        return "Coverage of one category"

    def shortHelpString(self):  # noqa: N802
        return (
            "Measures how much of the communities (or of the people, with a demand layer) "
            "lies within reach of one category of facilities: a radius in metres, or minutes "
            "of walking; along the streets when a street network is given. Layers that are "
            "not GeoJSON or Shapefiles on disk are written to a temporary GeoPackage first."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add_inputs()
        self.add_common()
        self.addOutput(QgsProcessingOutputNumber("COVERAGE", "Coverage (fraction)"))

    def add_inputs(self):
        polygon, point = QgsProcessing.TypeVectorPolygon, QgsProcessing.TypeVectorAnyGeometry
        self.addParameter(
            QgsProcessingParameterFeatureSource("COMMUNITIES", "Communities", [polygon], optional=True)
        )
        for name, label in (
            ("ID_FIELD", "Community id field"),
            ("NAME_FIELD", "Community name field"),
            ("POPULATION_FIELD", "Population field"),
            ("GROUP_FIELD", "Group field (district, street)"),
        ):
            self.addParameter(
                QgsProcessingParameterField(name, label, parentLayerParameterName="COMMUNITIES", optional=True)
            )
        self.addParameter(
            QgsProcessingParameterFeatureSource("DEMAND", "Where people live (points or polygons)", [point], optional=True)
        )
        self.addParameter(
            QgsProcessingParameterField(
                "DEMAND_WEIGHT",
                "Demand weight field (residents or households)",
                parentLayerParameterName="DEMAND",
                type=QgsProcessingParameterField.Numeric,
                optional=True,
            )
        )
        self.addParameter(QgsProcessingParameterFeatureSource("FACILITIES", "Facilities", [point]))
        self.addParameter(
            QgsProcessingParameterField(
                "CATEGORY_FIELD", "Category field", parentLayerParameterName="FACILITIES", defaultValue="category", optional=True
            )
        )
        self.addParameter(QgsProcessingParameterString("CATEGORY", "Category to measure (a value of the category field)"))
        self.addParameter(
            QgsProcessingParameterNumber("RADIUS", "Reach, metres", QgsProcessingParameterNumber.Double, 1000, minValue=1)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "MINUTES", "Reach in minutes of walking (replaces the radius)", QgsProcessingParameterNumber.Double, optional=True, minValue=0.1
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber("SPEED", "Walking speed, km/h", QgsProcessingParameterNumber.Double, 4, minValue=0.1)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "TARGET", "Target coverage, %", QgsProcessingParameterNumber.Double, optional=True, minValue=0, maxValue=100
            )
        )
        self.addParameter(QgsProcessingParameterEnum("BASIS", "Coverage judged on", BASES, defaultValue=0))
        self.addParameter(
            QgsProcessingParameterFile(
                "NETWORK", "Street network (.osm.pbf or GeoJSON lines): walk along streets", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                "INPUT_CRS", "Coordinates of every layer, overriding the files (e.g. GCJ-02)", optional=True
            )
        )

    def input_path(self, parameters, name, context, feedback):
        if parameters.get(name) in (None, ""):
            return None
        return self.parameterAsCompatibleSourceLayerPath(parameters, name, context, READABLE, "gpkg", feedback)

    def input_arguments(self, parameters, context, feedback):
        arguments = []
        crs = self.parameterAsString(parameters, "INPUT_CRS", context).strip()
        for layer, flag, crs_flag in (
            ("COMMUNITIES", "--communities", "--communities-crs"),
            ("DEMAND", "--demand", "--demand-crs"),
            ("FACILITIES", "--facilities", "--facilities-crs"),
        ):
            path = self.input_path(parameters, layer, context, feedback)
            if path:
                arguments += [flag, path]
                if crs:
                    arguments += [crs_flag, crs]
        for field, flag in (
            ("ID_FIELD", "--id-field"),
            ("NAME_FIELD", "--name-field"),
            ("POPULATION_FIELD", "--population-field"),
            ("GROUP_FIELD", "--group-field"),
            ("DEMAND_WEIGHT", "--demand-weight"),
            ("CATEGORY_FIELD", "--category-field"),
        ):
            value = self.parameterAsString(parameters, field, context)
            if value:
                arguments += [flag, value]
        arguments += ["--category", self.parameterAsString(parameters, "CATEGORY", context)]
        minutes = parameters.get("MINUTES")
        if minutes not in (None, ""):
            arguments += ["--minutes", self.parameterAsDouble(parameters, "MINUTES", context)]
            arguments += ["--speed", self.parameterAsDouble(parameters, "SPEED", context)]
        else:
            arguments += ["--radius", self.parameterAsDouble(parameters, "RADIUS", context)]
        if parameters.get("TARGET") not in (None, ""):
            arguments += ["--target", self.parameterAsDouble(parameters, "TARGET", context) / 100.0]
        basis = BASIS_ARGS[self.parameterAsEnum(parameters, "BASIS", context)]
        if basis:
            arguments += ["--basis", basis]
        network = self.parameterAsFile(parameters, "NETWORK", context)
        if network:
            arguments += ["--network", network]
        return arguments

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        out, common = self.common_arguments(parameters, context)
        arguments = self.input_arguments(parameters, context, feedback)
        runner.run(["cover"] + arguments + common, feedback)
        results, summary = self.finish(out, parameters, context, feedback)
        categories = summary.get("categories", [])
        results["COVERAGE"] = categories[0]["coverage"] if categories else None
        return results


class SiteFacilities(CoverCategory):
    """lifecircle site: where to add facilities of one category to meet its target."""

    def name(self):
        return "site"

    def displayName(self):  # noqa: N802
        return "Site new facilities"

    def shortHelpString(self):  # noqa: N802
        return (
            "Proposes where to add facilities of one category so that its coverage meets the "
            "target (or covers the most with a given number of new sites): candidate sites in "
            "the gaps, on a grid over them, or from a layer. The proposed sites are a layer of "
            "the results, numbered in the order to build them."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add_inputs()
        self.addParameter(QgsProcessingParameterEnum("CANDIDATES", "Candidate sites", CANDIDATES, defaultValue=0))
        self.addParameter(
            QgsProcessingParameterNumber("GRID", "Grid spacing, metres", QgsProcessingParameterNumber.Double, 200, minValue=1)
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                "CANDIDATE_LAYER", "Candidate sites layer", [QgsProcessing.TypeVectorPoint], optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "ADD", "Number of sites to add (empty: as many as the target needs)", QgsProcessingParameterNumber.Integer, optional=True, minValue=1
            )
        )
        self.addParameter(QgsProcessingParameterString("GROUP", "Only in this group (a value of the group field)", optional=True))
        self.add_common()
        self.addOutput(QgsProcessingOutputNumber("COVERAGE", "Coverage before the new sites (fraction)"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        out, common = self.common_arguments(parameters, context)
        arguments = self.input_arguments(parameters, context, feedback)
        choice = self.parameterAsEnum(parameters, "CANDIDATES", context)
        if choice == 0:
            arguments += ["--candidates", "gaps"]
        elif choice == 1:
            arguments += ["--candidates", "grid:{:g}".format(self.parameterAsDouble(parameters, "GRID", context))]
        else:
            path = self.input_path(parameters, "CANDIDATE_LAYER", context, feedback)
            if not path:
                raise QgsProcessingException("Candidate sites from a layer need the candidate sites layer.")
            arguments += ["--candidates", path]
        if parameters.get("ADD") not in (None, ""):
            arguments += ["--add", self.parameterAsInt(parameters, "ADD", context)]
        group = self.parameterAsString(parameters, "GROUP", context)
        if group:
            arguments += ["--group", group]
        runner.run(["site"] + arguments + common, feedback)
        results, summary = self.finish(out, parameters, context, feedback)
        categories = summary.get("categories", [])
        results["COVERAGE"] = categories[0]["coverage"] if categories else None
        return results
