"""The "lifecircle" Processing provider and its setting: where the program is."""

from qgis.core import QgsProcessingProvider

from . import runner
from .algorithms import CoverCategory, RunPlan, SiteFacilities


class LifecircleProvider(QgsProcessingProvider):
    def load(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig, Setting
        except ImportError:  # Processing itself is not loaded: the PATH alone is used.
            return super().load()
        ProcessingConfig.settingIcons[self.name()] = self.icon()
        ProcessingConfig.addSetting(
            Setting(
                self.name(),
                runner.SETTING,
                "lifecircle executable (empty: found on PATH)",
                "",
                valuetype=Setting.FILE,
            )
        )
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig

            ProcessingConfig.removeSetting(runner.SETTING)
        except ImportError:
            pass

    def loadAlgorithms(self):  # noqa: N802
        for algorithm in (RunPlan(), CoverCategory(), SiteFacilities()):
            self.addAlgorithm(algorithm)

    def id(self):
        return "lifecircle"

    def name(self):
        return "lifecircle"

    def longName(self):  # noqa: N802
        return "lifecircle: 15-minute life circles"
