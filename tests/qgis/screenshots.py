"""Screenshots of QGIS desktop with a run's project open, for docs/qgis/: the main window on
each map theme, the first print layout in the layout designer, and the plugin's "Coverage
of one category" dialog. Needs Debian's qgis package and Xvfb (`make qgis-screenshots`);
not part of the tests. QGIS runs this file after it has opened the project:

    qgis --nologo --noplugins --project PROJECT.qgs --code tests/qgis/screenshots.py

with LIFECIRCLE_SHOTS (the folder to write) and LIFECIRCLE_REPO set.
"""

import os
import sys

from qgis.core import QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication
from qgis.utils import iface

OUT = os.environ["LIFECIRCLE_SHOTS"]
sys.path.insert(0, os.path.join(os.environ["LIFECIRCLE_REPO"], "qgis"))
state = {"step": 0}
keep = []


def later(ms, action):
    QTimer.singleShot(ms, action)


def next_step():
    project = QgsProject.instance()
    layouts = [layout.name() for layout in project.layoutManager().printLayouts()]
    i = state["step"]
    state["step"] += 1
    if i < len(layouts):
        # The layouts are named after the themes, in the categories' order.
        project.mapThemeCollection().applyTheme(
            layouts[i], project.layerTreeRoot(), iface.layerTreeView().layerTreeModel()
        )
        iface.mapCanvas().refreshAllLayers()
        later(4000, lambda: (iface.mainWindow().grab().save(os.path.join(OUT, "theme-{}.png".format(i + 1))), next_step()))
    elif i == len(layouts):
        designer = iface.openLayoutDesigner(project.layoutManager().printLayouts()[0])
        later(5000, lambda: (designer.window().grab().save(os.path.join(OUT, "layout-designer.png")), designer.close(), next_step()))
    else:
        from lifecircle.plugin import LifecirclePlugin
        import processing

        plugin = LifecirclePlugin(iface)
        plugin.initProcessing()
        keep.append(plugin)
        dialog = processing.createAlgorithmDialog("lifecircle:cover", {})
        dialog.resize(900, 800)
        dialog.show()
        keep.append(dialog)
        later(3000, lambda: (dialog.grab().save(os.path.join(OUT, "processing-dialog.png")), QApplication.instance().exit(0)))


iface.mainWindow().resize(1400, 900)
later(8000, next_step)
