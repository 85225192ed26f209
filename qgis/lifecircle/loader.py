"""Loading a run into the current project, as its own QGIS project sets it up: the layers
(each with its named styles) in a group of the run, drawn in the run's order above what the
project already shows, one map theme per category and one print layout per category,
named after the run's group so that runs never overwrite each other or the planner's own.
"""

from qgis.core import (
    QgsLayerTree,
    QgsProcessingException,
    QgsMapThemeCollection,
    QgsPrintLayout,
    QgsProject,
    QgsReadWriteContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtXml import QDomDocument


def load_run(qgs_path, project, run_name):
    """Adds the layers, themes and layouts of the project at `qgs_path` to `project`
    under a new group named after `run_name`; returns how many of each were added."""
    source = QgsProject()
    if not source.read(qgs_path):
        raise QgsProcessingException("cannot read the run's project {}: {}".format(qgs_path, source.error()))
    taken = set(project.mapThemeCollection().mapThemes())
    taken |= {layout.name() for layout in project.layoutManager().layouts()}
    taken |= {g.name() for g in project.layerTreeRoot().findGroups()}
    name = unique_name(run_name, taken, source)
    group = project.layerTreeRoot().insertGroup(0, name)
    ids = {}
    _copy_tree(source.layerTreeRoot(), group, project, ids)
    _draw_on_top(source, project, ids)
    themes = _copy_themes(source, project, group, ids, name)
    layouts = _copy_layouts(source, project, ids, themes, name)
    return {"layers": len(ids), "themes": len(themes), "layouts": layouts, "group": name}


def unique_name(name, taken, source):
    """`name`, numbered until neither it nor any theme or layout it prefixes is taken."""
    own = set(source.mapThemeCollection().mapThemes())
    own |= {layout.name() for layout in source.layoutManager().layouts()}
    candidate, n = name, 2
    while candidate in taken or any("{}: {}".format(candidate, o) in taken for o in own):
        candidate, n = "{} ({})".format(name, n), n + 1
    return candidate


def _draw_on_top(source, project, ids):
    """The run's layers drawn in the run's order (facilities over communities over service
    areas), above the layers the project already draws."""
    order = [project.mapLayer(ids[layer.id()]) for layer in source.layerTreeRoot().customLayerOrder() if layer.id() in ids]
    root = project.layerTreeRoot()
    before = [layer for layer in root.layerOrder() if layer.id() not in set(ids.values())]
    root.setCustomLayerOrder(order + before)
    root.setHasCustomLayerOrder(True)


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
    """A new layer on the same data, holding every named style of `layer`, the same one
    current."""
    copy = QgsVectorLayer(layer.source(), layer.name(), layer.providerType())
    styles, target = layer.styleManager(), copy.styleManager()
    current = styles.currentStyle()
    styles.style(current).writeToLayer(copy)
    if target.currentStyle() != current:
        target.renameStyle(target.currentStyle(), current)
    for name in styles.styles():
        if name != current:
            target.addStyle(name, styles.style(name))
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
        if hasattr(copied, "setHasCheckedStateInfo"):  # not in every build's bindings
            copied.setHasCheckedStateInfo(True)
        copied.setCheckedGroupNodes({group.name()} | {prefix + g for g in record.checkedGroupNodes()})
        copied.setHasExpandedStateInfo(True)
        copied.setExpandedGroupNodes({group.name()} | {prefix + g for g in record.expandedGroupNodes()})
        new_name = "{}: {}".format(run_name, name)
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
        copied.setName("{}: {}".format(run_name, layout.name()))
        if manager.addLayout(copied):
            count += 1
    return count


def _attr(text):
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
