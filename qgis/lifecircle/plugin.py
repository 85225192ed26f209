"""The plugin: adds the lifecircle provider to the Processing Toolbox."""

from qgis.core import QgsApplication

from .provider import LifecircleProvider


class LifecirclePlugin:
    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802
        self.provider = LifecircleProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
