"""Rendering: stick-figure frames, GIF/MP4/PNG output, HTML gallery, capsule meshes."""
