"""Motion composition: atomic clips, skeleton maths, quality checks, transitions, overlays."""
