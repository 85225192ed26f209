"""Loading a run into the current project, as its own QGIS project sets it up: the layers
(each with its named styles) in a group of the run, one map theme per category and one
print layout per category, named after the run so that runs do not overwrite each other.
"""

from qgis.core import (
    QgsLayerTree,
    QgsMapThemeCollection,
    QgsPrintLayout,
    QgsProject,
    QgsReadWriteContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtXml import QDomDocument


def load_run(qgs_path, project, run_name):
    """Adds the layers, themes and layouts of the project at `qgs_path` to `project`
    under a group `run_name`; returns how many of each were added."""
    source = QgsProject()
    if not source.read(qgs_path):
        raise RuntimeError("cannot read the run's project {}: {}".format(qgs_path, source.error()))
    group = project.layerTreeRoot().insertGroup(0, unique_group(project, run_name))
    ids = {}
    _copy_tree(source.layerTreeRoot(), group, project, ids)
    themes = _copy_themes(source, project, group, ids, run_name)
    layouts = _copy_layouts(source, project, ids, themes, run_name)
    return {"layers": len(ids), "themes": len(themes), "layouts": layouts}


def unique_group(project, name):
    taken = {g.name() for g in project.layerTreeRoot().findGroups()}
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = "{} ({})".format(name, n), n + 1
    return candidate


def _copy_tree(source_group, target_group, project, ids):
    for node in source_group.children():
        if QgsLayerTree.isGroup(node):
            group = target_group.addGroup(node.name())
            group.setItemVisibilityChecked(node.itemVisibilityChecked())
            group.setExpanded(node.isExpanded())
            _copy_tree(node, group, project, ids)
        elif QgsLayerTree.isLayer(node) and node.layer() is not None:
            layer = _copy_layer(node.layer())
            project.addMapLayer(layer, False)
            added = target_group.addLayer(layer)
            added.setItemVisibilityChecked(node.itemVisibilityChecked())
            ids[node.layer().id()] = layer.id()


def _copy_layer(layer):
    """A new layer on the same data, holding every named style of `layer`."""
    copy = QgsVectorLayer(layer.source(), layer.name(), layer.providerType())
    styles = layer.styleManager()
    target = copy.styleManager()
    for name in styles.styles():
        if name in target.styles():
            continue
        target.addStyle(name, styles.style(name))
    target.setCurrentStyle(styles.currentStyle())
    for name in list(target.styles()):
        if name not in styles.styles():
            target.removeStyle(name)
    return copy


def _copy_themes(source, project, group, ids, run_name):
    themes = {}
    collection = source.mapThemeCollection()
    prefix = group.name() + "/"
    for name in collection.mapThemes():
        record = collection.mapThemeState(name)
        copied = QgsMapThemeCollection.MapThemeRecord()
        layer_records = []
        for layer_record in record.layerRecords():
            target = project.mapLayer(ids.get(layer_record.layer().id(), ""))
            if target is None:
                continue
            new = QgsMapThemeCollection.MapThemeLayerRecord(target)
            new.usingCurrentStyle = layer_record.usingCurrentStyle
            new.currentStyle = layer_record.currentStyle
            new.isVisible = True
            layer_records.append(new)
        copied.setLayerRecords(layer_records)
        if hasattr(copied, "setHasCheckedStateInfo"):  # QGIS 3.26 and later
            copied.setHasCheckedStateInfo(True)
        copied.setCheckedGroupNodes({group.name()} | {prefix + g for g in record.checkedGroupNodes()})
        copied.setHasExpandedStateInfo(True)
        copied.setExpandedGroupNodes({group.name()} | {prefix + g for g in record.expandedGroupNodes()})
        new_name = "{}: {}".format(run_name, name)
        if project.mapThemeCollection().hasMapTheme(new_name):
            project.mapThemeCollection().update(new_name, copied)
        else:
            project.mapThemeCollection().insert(new_name, copied)
        themes[name] = new_name
    return themes


def _copy_layouts(source, project, ids, themes, run_name):
    """Copies the print layouts, their map following the copied theme and their legend
    listing the copied layers."""
    count = 0
    manager = project.layoutManager()
    for layout in source.layoutManager().printLayouts():
        document = QDomDocument()
        element = layout.writeXml(document, QgsReadWriteContext())
        document.appendChild(element)
        text = document.toString()
        for old, new in ids.items():
            text = text.replace('"{}"'.format(old), '"{}"'.format(new))
            text = text.replace(">{}<".format(old), ">{}<".format(new))
        for old, new in themes.items():
            text = text.replace('followPresetName="{}"'.format(_attr(old)), 'followPresetName="{}"'.format(_attr(new)))
        parsed = QDomDocument()
        parsed.setContent(text)
        copied = QgsPrintLayout(project)
        copied.readLayoutXml(parsed.documentElement(), parsed, QgsReadWriteContext())
        name = "{}: {}".format(run_name, layout.name())
        existing = manager.layoutByName(name)
        if existing is not None:
            manager.removeLayout(existing)
        copied.setName(name)
        if manager.addLayout(copied):
            count += 1
    return count


def _attr(text):
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
