//! `report.html` and `report.md`: the figures, maps and gaps for a planning report.
